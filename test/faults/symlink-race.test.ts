// Fault: a symlink swapped in for the target while the tool runs. A racer renames, over and
// over, a regular file and then a symlink to a victim file over the target path (rename(2) is
// atomic: the path is always one or the other). The tool runs repeatedly meanwhile. Whatever
// each run says, the victim must never get the capability: the helper opens with O_NOFOLLOW and
// works on the descriptor (fsetxattr), never on the path again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atExit, PYTHON, readCapability, runTool, scratchDir, sha256, toolBundle } from './harness';

const RACER_PY = String.raw`
import os, sys
d, n = sys.argv[1], 0
target, victim = os.path.join(d, 'app'), os.path.join(d, 'victim')
while True:
    n += 1
    f = os.path.join(d, 'f.%d' % (n % 4))
    with open(f, 'w') as out: out.write('app\n')
    os.rename(f, target)
    l = os.path.join(d, 'l.%d' % (n % 4))
    os.symlink(victim, l)
    os.rename(l, target)
`;

const RUNS = 60;

test(`${RUNS} runs against a target raced by rename(symlink): the symlink's target never gets the capability`, async () => {
  const dir = scratchDir('fault-race');
  writeFileSync(join(dir, 'victim'), 'victim\n');
  writeFileSync(join(dir, 'app'), 'app\n');
  const toolHash = sha256(toolBundle());
  const racer = spawn(PYTHON, ['-c', RACER_PY, dir], { stdio: 'ignore' });
  atExit(() => racer.kill('SIGKILL'));
  const outcomes = new Map<string, number>();
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < RUNS; i++) {
      const run = runTool(['cap_net_raw+ep', 'app'], { cwd: dir, timeout: 20 });
      assert.not.ok(run.timedOut, 'the tool hung');
      assert.not.match(run.stderr, /\n\s+at .+[(:]\d+|node:internal/, `a stack trace:\n${run.stderr}`);
      assert.ok(run.status === 0 || run.status === 1, `exit status ${run.status}: ${run.stderr}`);
      if (run.status === 1) assert.ok(run.stderr.trim().length > 0, 'exit 1 without a message');
      assert.equal(run.stray, [], 'files left in /tmp or /dev/shm');
      const key = run.status === 0 ? 'set' : run.stderr.trim();
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      assert.is(readCapability(join(dir, 'victim')), null, `run ${i}: the symlink's target got a capability (${run.stderr})`);
    }
    assert.is(racer.exitCode, null, 'the racer died early: the race did not run');
  } finally {
    racer.kill('SIGKILL');
  }
  console.log('symlink race outcomes:', Object.fromEntries(outcomes));
  assert.is(readCapability(join(dir, 'victim')), null);
  assert.is(sha256(toolBundle()), toolHash, 'the tool itself changed');
  assert.ok((outcomes.get('set') ?? 0) > 0 && outcomes.size > 1, 'the race never produced both outcomes: it tested nothing');
});

test.run();
