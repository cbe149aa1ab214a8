// runXattrBatch applies its operations in order, as libcap's setcap applies its pairs: a path
// named twice sees the earlier operation's result. Each sequence runs against libcap's setcap
// given the same pairs on a copy of the same file: when setcap exits 0 the batch succeeds and
// the attribute bytes (python3 os.getxattr) are setcap's; when setcap fails the batch fails and
// the file is as it was (setcap may have applied the pairs before its failure: all or nothing
// here). Needs root.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runXattrBatch, type XattrOp } from '../../src/native/xattr';
import { pythonGetCap, pythonSetCap, requireRoot, requireTool, scratchDir } from './helpers';

/** libcap's setcap pairs: a capability text or -r. */
const SEQUENCES: string[][] = [
  ['=', '-r'],
  ['-r', 'cap_kill+p'],
  ['cap_chown+ep', 'cap_kill+ep'],
  ['-r', '-r'],
  ['cap_kill+p', '-r', '-r'],
  ['-r', 'cap_kill+p', '-r'],
  ['cap_kill+p', '-r', 'cap_chown+ep'],
  ['-r', 'cap_kill+p', '-r', 'cap_net_raw+ep'],
];
/** The file before the pairs: no attribute, or one setcap wrote. */
const STARTS: (string | null)[] = [null, 'cap_sys_admin+i'];

test('a path named in several operations: libcap setcap status and bytes, all or nothing', () => {
  requireRoot();
  requireTool('setcap', ['-h'], 'libcap2-bin');
  const dir = scratchDir('sequence');
  const oracle = new Map<string, Buffer | null>();
  /** The bytes setcap writes for `text`, read back raw. */
  const bytesOf = (text: string): Buffer => {
    if (!oracle.has(text)) {
      const file = join(dir, `oracle-${oracle.size}`);
      writeFileSync(file, '');
      assert.is(spawnSync('setcap', [text, file]).status, 0, `setcap ${text}`);
      oracle.set(text, pythonGetCap(file));
    }
    return oracle.get(text)!;
  };
  let agreedSuccess = 0;
  let agreedFailure = 0;
  SEQUENCES.forEach((sequence, i) => {
    STARTS.forEach((start, j) => {
      const theirs = join(dir, `libcap-${i}-${j}`);
      const ours = join(dir, `ours-${i}-${j}`);
      for (const file of [theirs, ours]) {
        writeFileSync(file, '');
        if (start !== null) pythonSetCap(file, bytesOf(start));
      }
      const before = pythonGetCap(ours);
      const libcap = spawnSync('setcap', sequence.flatMap((text) => [text, theirs]));
      const ops: XattrOp[] = sequence.map((text) => (text === '-r' ? { kind: 'remove', path: ours } : { kind: 'set', path: ours, value: bytesOf(text) }));
      const result = runXattrBatch(ops);
      const what = `start ${start ?? 'none'}, setcap ${sequence.join(' f ')} f: libcap exit ${libcap.status} ${libcap.stderr.toString().trim()}`;
      if (libcap.status === 0) {
        assert.ok(result.ok, `${what}; ours failed: ${JSON.stringify(result.outcomes.map((o) => o.error))}`);
        assert.equal(pythonGetCap(ours), pythonGetCap(theirs), what);
        agreedSuccess++;
      } else {
        assert.not.ok(result.ok, `${what}; ours succeeded`);
        assert.equal(pythonGetCap(ours), before, `${what}; ours changed the file`);
        const failed = result.outcomes.filter((o) => o.error);
        assert.is(failed.length, 1, `${what}: one operation reports the failure`);
        assert.equal(failed[0]!.error, { stage: 'remove', errno: 61, code: 'ENODATA' }, what);
        agreedFailure++;
      }
    });
  });
  console.log(`sequences vs libcap: ${agreedSuccess} agreed successes, ${agreedFailure} agreed failures`);
  assert.ok(agreedSuccess > 0 && agreedFailure > 0);
});

test('a remove after a remove fails there, but a failure before it is the one reported', () => {
  requireRoot();
  const dir = scratchDir('sequence-first');
  const file = join(dir, 'f');
  writeFileSync(file, '');
  pythonSetCap(file, Buffer.from('0100000200200000000000000000000000000000', 'hex'));
  const missing = join(dir, 'missing');
  const second = runXattrBatch([
    { kind: 'remove', path: file },
    { kind: 'remove', path: file },
  ]);
  assert.not.ok(second.ok);
  assert.is(second.outcomes[0]!.error, undefined);
  assert.is(second.outcomes[1]!.error?.code, 'ENODATA');
  const earlier = runXattrBatch([
    { kind: 'set', path: missing, value: Buffer.from('0000000200000000000000000000000000000000', 'hex') },
    { kind: 'remove', path: file },
    { kind: 'remove', path: file },
  ]);
  assert.not.ok(earlier.ok);
  assert.equal(earlier.outcomes[0]!.error, { stage: 'open', errno: 2, code: 'ENOENT' });
  assert.is(earlier.outcomes[2]!.error, undefined);
  assert.is(pythonGetCap(file)?.toString('hex'), '0100000200200000000000000000000000000000');
});

test.run();
