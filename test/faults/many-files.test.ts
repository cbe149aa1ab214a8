// 10,000 files in one invocation: one helper run (counted with strace: exactly two successful
// execve calls, Node and the helper), every file ends with libcap's bytes, in bounded time.
// bench/many-files.sh reports the time against libcap's setcap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyFiles, runTool, scratchDir, snapshotTree } from './harness';

const FILES = 10000;

test(`${FILES} files in one invocation: one helper exec, libcap's bytes on every file`, () => {
  try {
    execFileSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' });
  } catch {
    assert.unreachable('strace is missing: apt-get install -y strace');
  }
  const dir = scratchDir('fault-many');
  const args = emptyFiles(dir, FILES, 'cap_net_bind_service,cap_net_raw=ep');
  const files = join(dir, 'files');
  // The oracle's bytes for the same text.
  writeFileSync(join(dir, 'oracle'), '');
  execFileSync('setcap', ['cap_net_bind_service,cap_net_raw=ep', join(dir, 'oracle')]);
  const expected = snapshotTree(dir)['oracle']!.xattr;

  const log = join(dir, 'strace.log');
  const started = process.hrtime.bigint();
  const run = runTool(args, { cwd: dir, prefix: ['strace', '-f', '-qq', '-e', 'trace=execve', '-o', log, '--'], timeout: 120 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.is(run.stderr, '');
  assert.is(run.status, 0);
  assert.equal(run.stray, []);
  const execs = readFileSync(log, 'utf8').split('\n').filter((line) => /execve\(/.test(line) && / = 0$/.test(line));
  console.log(`many-files: ${FILES} files in ${ms.toFixed(0)} ms under strace; successful execve: ${execs.length}`);
  assert.is(execs.length, 2, `expected node + one helper:\n${execs.join('\n')}`);
  assert.match(execs[1]!, /\/proc\/self\/fd\/3/, 'the second exec is not the helper');
  const after = snapshotTree(files);
  const wrong = Object.entries(after).filter(([, entry]) => entry.xattr !== expected);
  assert.is(wrong.length, 0, `${wrong.length} files without libcap's bytes ${expected}, e.g. ${JSON.stringify(wrong[0])}`);
});

test.run();
