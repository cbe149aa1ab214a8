// More files than the open-file limit lets one helper hold: runXattrBatch splits the batch into
// helper runs and stays all or nothing across them. The batches run in a child under
// `ulimit -n 64` (fixtures/batch-main.ts), so that 150 files need 4 runs of 48 (64 less 16
// reserved); one run would fail with EMFILE. (Node under tsx holds some 30 descriptors itself,
// so a much lower limit starves the parent, not the helper.) Bytes are compared with libcap setcap's, read back by python3. Needs root.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filesPerHelperRun, openFileLimit } from '../../src/native/limits';
import { runXattrBatch, type XattrOp } from '../../src/native/xattr';
import { pythonGetCap, pythonGetCaps, pythonSetCap, requireRoot, scratchDir } from './helpers';

const REPO = resolve(__dirname, '../..');

const FILES = 150;
const LIMIT = 64;

interface ChildResult {
  ok: boolean;
  rolledBack: boolean;
  outcomes: { error?: { stage: string; errno: number; code: string }; previous?: string | null }[];
}

/** runXattrBatch(ops) in a child whose RLIMIT_NOFILE is `limit` (`ulimit -n`), with the same Node and tsx. */
function runLimited(ops: XattrOp[], limit = LIMIT): ChildResult {
  const json = JSON.stringify(ops.map((op) => (op.kind === 'set' ? { ...op, value: Buffer.from(op.value).toString('hex') } : op)));
  const out = execFileSync('sh', ['-c', `ulimit -n ${limit} && exec "$@"`, 'sh', process.execPath, '-r', 'tsx/cjs', join(__dirname, 'fixtures/batch-main.ts')], {
    input: json,
    cwd: REPO,
  });
  const result = JSON.parse(out.toString()) as ChildResult | { thrown: string };
  if ('thrown' in result) assert.unreachable(result.thrown);
  return result as ChildResult;
}

/** This process's RLIMIT_NOFILE soft limit, as `sh -c ulimit -n` would report it here. */
function shellLimit(): number {
  return Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
}

function files(dir: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const path = join(dir, `f${i}`);
    writeFileSync(path, '');
    return path;
  });
}

function libcapBytes(dir: string, text: string): Buffer {
  const file = join(dir, 'oracle');
  writeFileSync(file, '');
  execFileSync('setcap', [text, file]);
  return pythonGetCap(file)!;
}

test('filesPerHelperRun: the soft limit less the reserved descriptors, at least one', () => {
  assert.is(filesPerHelperRun(1024), 1008);
  assert.is(filesPerHelperRun(4), 1);
  assert.is(openFileLimit(), shellLimit());
});

test(`${FILES} files under an open-file limit of ${LIMIT}: every file gets libcap's bytes`, () => {
  requireRoot();
  const dir = scratchDir('chunks-set');
  const value = libcapBytes(dir, 'cap_net_raw+ep');
  const paths = files(dir, FILES);
  const old = libcapBytes(dir, 'cap_kill+p');
  pythonSetCap(paths[3]!, old);
  assert.ok(FILES > 3 * filesPerHelperRun(LIMIT), 'the batch needs four helper runs');
  const result = runLimited(paths.map((path): XattrOp => ({ kind: 'set', path, value })));
  assert.ok(result.ok, JSON.stringify(result.outcomes.find((o) => o.error)));
  assert.is(result.outcomes.length, FILES);
  assert.is(result.outcomes[3]!.previous, old.toString('hex'));
  assert.ok(pythonGetCaps(paths).every((bytes) => bytes?.equals(value)));
});

test('a check failing in the last run: the files earlier runs wrote are put back exactly', () => {
  requireRoot();
  const dir = scratchDir('chunks-check');
  const value = libcapBytes(dir, 'cap_net_raw+ep');
  const old = libcapBytes(dir, 'cap_chown,cap_kill+ep');
  const paths = files(dir, FILES);
  pythonSetCap(paths[0]!, old);
  pythonSetCap(paths[60]!, old);
  const before = pythonGetCaps(paths);
  const ops: XattrOp[] = paths.map((path) => ({ kind: 'set', path, value }));
  ops[FILES - 2] = { kind: 'set', path: join(dir, 'missing'), value };
  const result = runLimited(ops);
  assert.not.ok(result.ok);
  assert.ok(result.rolledBack, 'earlier runs had written');
  assert.equal(result.outcomes[FILES - 2]!.error, { stage: 'open', errno: 2, code: 'ENOENT' });
  assert.equal(result.outcomes.filter((o) => o.error).length, 1);
  assert.equal(pythonGetCaps(paths), before);
});

test('a write failing in a later run (read-only mount): the earlier runs are undone too', () => {
  requireRoot();
  const dir = scratchDir('chunks-write');
  const value = libcapBytes(dir, 'cap_net_raw+ep');
  const paths = files(dir, FILES);
  const readonly = join(dir, 'ro');
  writeFileSync(readonly, '');
  execFileSync('mount', ['--bind', readonly, readonly]);
  try {
    execFileSync('mount', ['-o', 'remount,bind,ro', readonly]);
    const before = pythonGetCaps(paths);
    const ops: XattrOp[] = paths.map((path) => ({ kind: 'set', path, value }));
    ops.splice(120, 0, { kind: 'set', path: readonly, value });
    const result = runLimited(ops);
    assert.not.ok(result.ok);
    assert.ok(result.rolledBack);
    assert.equal(result.outcomes[120]!.error, { stage: 'set', errno: 30, code: 'EROFS' });
    assert.equal(pythonGetCaps(paths), before);
  } finally {
    execFileSync('umount', [readonly]);
  }
});

test('a path that is not UTF-8 (a Buffer) names its own file, not its U+FFFD spelling', () => {
  requireRoot();
  const dir = scratchDir('bytes-path');
  const value = libcapBytes(dir, 'cap_net_raw+ep');
  const named = Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0x66, 0xff])]);
  const decoy = `${dir}/f\ufffd`;
  writeFileSync(named, '');
  writeFileSync(decoy, '');
  const result = runXattrBatch([{ kind: 'set', path: named, value }]);
  assert.ok(result.ok);
  const read = execFileSync('/usr/bin/python3', ['-c', 'import os,sys; print(os.getxattr(bytes.fromhex(sys.argv[1]), "security.capability").hex())', named.toString('hex')]);
  assert.is(read.toString().trim(), value.toString('hex'));
  assert.is(pythonGetCap(decoy), null);
});

test.run();
