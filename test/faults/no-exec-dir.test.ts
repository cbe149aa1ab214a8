// Fault: nowhere to run the helper program. The tool writes its helper as a nameless file in
// the first of $TMPDIR, /tmp, /dev/shm, /run, the Node executable's directory, / and the working
// directory that is writable and not mounted noexec (src/native/exec.ts). Here, in a private
// mount namespace, /tmp is noexec, /dev/shm and / (so /run, /usr/bin, the working directory)
// are read-only; only the target's own tmpfs is writable, and it is none of the candidates.
import { test } from 'uvu';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { atExit, checkFault, scratchDir } from './harness';

test('no writable, executable directory for the helper: a clear message, nothing written', () => {
  const dir = scratchDir('fault-noexec');
  const target = join(dir, 'target');
  const cwd = join(dir, 'cwd');
  mkdirSync(target);
  mkdirSync(cwd);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'setcap-static-test-target', target]);
  atExit(() => execFileSync('umount', ['-l', target], { stdio: 'ignore' }));
  writeFileSync(join(target, 'app'), 'app\n');
  try {
    checkFault({
      watch: [dir],
      cwd,
      setup: [
        'mount -o remount,noexec /tmp',
        'mount -o remount,ro /dev/shm',
        'mount -o remount,bind,ro /',
        // /run, when it is its own mount, goes read-only too.
        'if mountpoint -q /run; then mount -o remount,bind,ro /run; fi',
      ].join(' && '),
      args: ['cap_net_raw+ep', join(target, 'app')],
      expected: {
        status: 1,
        stderr:
          'setcap-static: no directory to run the helper program from ' +
          `(/tmp: exec EACCES; /dev/shm: EROFS; /run: EROFS; ${dirname(process.execPath)}: EROFS; /: EROFS; ${cwd}: EROFS)\n`,
      },
    });
  } finally {
    execFileSync('umount', [target]);
  }
});

test.run();
