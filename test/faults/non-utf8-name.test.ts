// Fault: a file name that is not UTF-8. Linux file names are bytes; Node decodes argv as UTF-8
// and turns a byte like 0xff into U+FFFD, which encodes back as the bytes ef bf bd: a different
// name. The tool must act on the file the user named (libcap's setcap does) or refuse with a
// message; it must never give the capability to another file. A decoy named ef bf bd sits next
// to the file named ff. `get -r` must print the names' bytes as getcap -r does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { PYTHON, runTool, scratchDir, snapshotTree, toolBundle } from './harness';

const FF = Buffer.from([0xff]);
const DECOY = Buffer.from([0xef, 0xbf, 0xbd]);

test('a non-UTF-8 name: the named file or a refusal, never the file whose name is its U+FFFD spelling', () => {
  const dir = scratchDir('fault-nonutf8');
  writeFileSync(Buffer.concat([Buffer.from(dir + '/'), FF]), 'ff\n');
  writeFileSync(Buffer.concat([Buffer.from(dir + '/'), DECOY]), 'decoy\n');
  // The raw byte cannot travel through Node's spawn (string arguments): printf makes it.
  const run = runTool(['cap_net_raw+ep'], { cwd: dir, prefix: ['sh', '-c', 'exec "$@" "$(printf "\\377")"', 'sh'] });
  const after = snapshotTree(dir);
  const decoy = after[DECOY.toString('utf8')];
  assert.ok(decoy, `the decoy is gone: ${JSON.stringify(after)}`);
  assert.is(decoy.xattr, null, `the capability went to the decoy (ef bf bd) instead of the file named ff: ${run.stderr}`);
  assert.not.match(run.stderr, /\n\s+at .+[(:]\d+|node:internal/, 'stack trace');
  if (run.status === 0) {
    const named = Object.entries(after).find(([name]) => name !== DECOY.toString('utf8'));
    assert.is(named?.[1].xattr, '0100000200200000000000000000000000000000', 'exit 0 but the named file has no capability');
  } else {
    assert.is(run.status, 1);
    assert.ok(run.stderr.length > 0, 'exit 1 without a message');
  }
});

test('get -r prints a non-UTF-8 name with the bytes getcap -r prints', () => {
  const dir = scratchDir('fault-nonutf8-get');
  const path = Buffer.concat([Buffer.from(dir + '/'), FF]);
  writeFileSync(path, 'ff\n');
  execFileSync(PYTHON, ['-c', "import os,sys; os.setxattr(bytes.fromhex(sys.argv[1]),'security.capability',bytes.fromhex(sys.argv[2]))", path.toString('hex'), '0100000200200000000000000000000000000000']);
  const libcap = spawnSync('getcap', ['-r', '.'], { cwd: dir });
  const ours = spawnSync(process.execPath, [toolBundle(), 'get', '-r', '.'], { cwd: dir });
  assert.is(ours.status, libcap.status);
  assert.is(ours.stdout.toString('hex'), libcap.stdout.toString('hex'), `ours ${JSON.stringify(ours.stdout.toString('latin1'))} libcap ${JSON.stringify(libcap.stdout.toString('latin1'))}`);
});

test.run();
