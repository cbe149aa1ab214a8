// Fault: more files than the open-file limit (RLIMIT_NOFILE). libcap's setcap opens one file at
// a time; the helper opens every target before its first write (to check them all first). With
// `ulimit -n 256`, 600 files must still all be set (libcap's setcap sets them), or, at the very
// least, nothing must change and the message must say why.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool, scratchDir, snapshotTree } from './harness';

const FILES = 600;
const LIMIT = 256;

test(`${FILES} files under ulimit -n ${LIMIT}: every file set, as libcap's setcap does`, () => {
  const dir = scratchDir('fault-nofile');
  for (const who of ['ours', 'libcap']) mkdirSync(join(dir, who));
  const args: string[] = [];
  for (let i = 0; i < FILES; i++) {
    for (const who of ['ours', 'libcap']) writeFileSync(join(dir, who, `f${i}`), '');
    args.push('cap_net_raw+ep', `f${i}`);
  }
  const limited = ['sh', '-c', `ulimit -n ${LIMIT} && exec "$@"`, 'sh'];
  execFileSync(limited[0]!, [...limited.slice(1), 'setcap', ...args], { cwd: join(dir, 'libcap') });
  const before = snapshotTree(join(dir, 'ours'));
  const run = runTool(args, { cwd: join(dir, 'ours'), prefix: limited });
  assert.not.match(run.stderr, /\n\s+at .+[(:]\d+|node:internal/, 'stack trace');
  if (run.status !== 0) {
    // Not what libcap does, but then nothing may have changed.
    assert.equal(snapshotTree(join(dir, 'ours')), before, 'a failed run changed files');
  }
  assert.is(run.stderr, '', `libcap's setcap sets all ${FILES} files under ulimit -n ${LIMIT}`);
  assert.is(run.status, 0);
  assert.equal(snapshotTree(join(dir, 'ours')), snapshotTree(join(dir, 'libcap')));
});

test.run();
