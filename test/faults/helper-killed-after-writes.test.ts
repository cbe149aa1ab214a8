// Fault: the helper is killed after it has reported every write as done, just before it exits:
// the last moment a SIGKILL can land. strace injects SIGKILL at exit_group (in every traced
// process: Node is killed at its own exit too, after printing, so its exit status is not the
// tool's; what it printed and what is on disk are). The files were all written; a message
// saying the run failed must then come with the files as they were (restored), and a run that
// leaves them written must not claim failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapability, scratchDir, toolBundle } from './harness';

test('helper killed at exit after reporting every write: disk and message agree', () => {
  try {
    execFileSync('sh', ['-c', 'command -v strace'], { stdio: 'ignore' });
  } catch {
    assert.unreachable('strace is missing: apt-get install -y strace');
  }
  const dir = scratchDir('fault-killed-late');
  writeFileSync(join(dir, 'a'), '');
  writeFileSync(join(dir, 'b'), '');
  const run = spawnSync(
    'strace',
    ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=exit_group', '-e', 'inject=exit_group:signal=KILL', process.execPath, toolBundle(), 'cap_net_raw+ep', 'a', 'cap_net_raw+ep', 'b'],
    { cwd: dir, encoding: 'utf8', timeout: 60000 },
  );
  const written = [readCapability(join(dir, 'a')), readCapability(join(dir, 'b'))];
  const stderr = run.stderr;
  console.log(`tool said: ${JSON.stringify(stderr)}; a=${written[0]} b=${written[1]}`);
  assert.not.match(stderr, /\n\s+at .+[(:]\d+|node:internal/, 'stack trace');
  if (written.every((value) => value === null)) {
    assert.ok(stderr.length > 0, 'files restored but no message');
  } else {
    assert.equal(written, ['0100000200200000000000000000000000000000', '0100000200200000000000000000000000000000'], 'a partial state');
    assert.is(stderr, '', `every file got its capability, yet the tool reported a failure: ${stderr}`);
  }
});

test.run();
