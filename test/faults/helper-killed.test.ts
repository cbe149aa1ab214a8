// Fault: the helper program is killed (SIGKILL) in the middle of a 10,000-file batch. A watcher
// finds the tool's Node process through /proc (its command line holds the bundle's path) and
// kills every child of it (the helper runs as /proc/self/fd/3, a child of Node), at a different
// moment in each attempt: at once (while it opens and checks), and 20 to 90 ms later (while it
// writes; 10,000 files take the helper about 100 ms here). A kill that lands after the helper's
// complete write report is a success (exit 0, every file set). Whatever moment the kill lands, the files must end as they started: untouched, or
// changed and restored. The message must say what happened.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertUnchanged, atExit, emptyFiles, PYTHON, runTool, scratchDir, sha256, snapshotTree, toolBundle } from './harness';

const FILES = 10000;

const WATCHER_PY = String.raw`
import os, signal, sys, time
marker, report, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
me = os.getpid()
deadline = time.time() + 60
while time.time() < deadline:
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or int(pid) == me: continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                cmdline = f.read().split(b'\0')
        except OSError:
            continue
        if len(cmdline) < 2 or marker.encode() not in cmdline[1:2] or b'node' not in cmdline[0]: continue
        try:
            tasks = os.listdir('/proc/%s/task' % pid)
        except OSError:
            continue
        for tid in tasks:
            try:
                with open('/proc/%s/task/%s/children' % (pid, tid)) as f:
                    children = f.read().split()
            except OSError:
                continue
            for child in children:
                # Let the helper get this far into its batch (seconds) before the kill.
                time.sleep(delay)
                try:
                    exe = os.readlink('/proc/%s/exe' % child)
                except OSError:
                    exe = '?'
                try:
                    os.kill(int(child), signal.SIGKILL)
                except OSError:
                    continue
                with open(report, 'w') as out:
                    out.write('%s %s\n' % (child, exe))
                sys.exit(0)
sys.exit(1)
`;

function removeCapabilities(dir: string): void {
  execFileSync(PYTHON, ['-c', "import os,sys\nfor n in os.listdir(sys.argv[1]):\n  try: os.removexattr(os.path.join(sys.argv[1],n),'security.capability')\n  except OSError: pass", dir]);
}

/** The messages a SIGKILL can produce, by the moment it lands (src/native/xattr.ts). */
function acceptable(stderr: string): boolean {
  return KILLED_MESSAGES.some((pattern) => pattern.test(stderr));
}
const KILLED_MESSAGES: RegExp[] = [
  /^setcap-static: the helper program was killed by SIGKILL before reporting its checks; nothing was written\n$/,
  /^setcap-static: the helper program was killed by SIGKILL after checking every file and before reporting its writes; \d+ file\(s\) had changed and were restored to their previous values\n$/,
];

test(`the helper SIGKILLed during a ${FILES}-file batch: files end as they started, a clear message`, () => {
  const dir = scratchDir('fault-killed');
  const args = emptyFiles(dir, FILES, 'cap_net_raw+ep');
  const files = join(dir, 'files');
  const toolHash = sha256(toolBundle());
  const before = snapshotTree(files);
  let caught = 0;
  const DELAYS_MS = [0, 20, 30, 40, 50, 60, 70, 90];
  for (const [attempt, delay] of DELAYS_MS.entries()) {
    const report = join(dir, `killed.${attempt}`);
    const watcher = spawn(PYTHON, ['-c', WATCHER_PY, toolBundle(), report, String(delay / 1000)], { stdio: 'ignore' });
    atExit(() => watcher.kill('SIGKILL'));
    // Let the watcher start before the tool does.
    const started = Date.now();
    while (Date.now() - started < 300) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    const run = runTool(args, { cwd: dir, timeout: 60 });
    watcher.kill('SIGKILL');
    assert.not.ok(run.timedOut, 'the tool hung');
    assert.not.match(run.stderr, /\n\s+at .+[(:]\d+|node:internal/, `a stack trace:\n${run.stderr}`);
    assert.equal(run.stray, [], 'files left in /tmp or /dev/shm');
    if (!existsSync(report)) {
      console.log(`kill after ${delay} ms: the helper had finished (tool exit ${run.status}); resetting`);
      // It all went through before the watcher saw the helper: undo and try again.
      if (run.status === 0) removeCapabilities(files);
      assertUnchanged(before, snapshotTree(files), files);
      continue;
    }
    if (run.status === 0) {
      // The kill landed after the helper's complete write report (src/native/xattr.ts trusts
      // it): a success, and then every file must hold its capability.
      console.log(`kill after ${delay} ms: landed after the complete report; tool exit 0`);
      assert.is(run.stderr, '');
      const set = Object.values(snapshotTree(files)).filter((entry) => entry.xattr === '0100000200200000000000000000000000000000').length;
      assert.is(set, FILES, 'exit 0 but not every file has its capability');
      removeCapabilities(files);
      assertUnchanged(before, snapshotTree(files), files);
      continue;
    }
    caught++;
    console.log(`kill after ${delay} ms: killed ${readFileSync(report, 'utf8').trim()}; tool said: ${run.stderr.trim()}`);
    assert.is(run.status, 1, `exit status after the helper was killed: ${run.stderr}`);
    assert.is(run.stdout, '');
    assert.ok(acceptable(run.stderr), `unexpected message: ${JSON.stringify(run.stderr)}`);
    assertUnchanged(before, snapshotTree(files), files);
  }
  assert.ok(caught >= 2, `the watcher caught the helper only ${caught} times in ${DELAYS_MS.length} attempts`);
  assert.is(sha256(toolBundle()), toolHash, 'the tool itself changed');
});

test.run();
