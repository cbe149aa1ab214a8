// Fault: the target is on a read-only filesystem (a tmpfs remounted ro). fsetxattr fails with
// EROFS; the good file on a writable filesystem in the same invocation must stay untouched,
// and the read-only file keeps the capability it already had.
import { test } from 'uvu';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atExit, checkFault, scratchDir, writeCapability } from './harness';

test('a target on a read-only filesystem: exact message, exit 1, nothing written', () => {
  const dir = scratchDir('fault-readonly');
  const ro = join(dir, 'ro');
  mkdirSync(ro);
  writeFileSync(join(dir, 'good'), 'good\n');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'setcap-static-test-ro', ro]);
  atExit(() => execFileSync('umount', ['-l', ro], { stdio: 'ignore' }));
  writeFileSync(join(ro, 'app'), 'app\n');
  writeCapability(join(ro, 'app'), '0100000200200000000000000000000000000000'); // cap_net_raw=ep
  execFileSync('mount', ['-o', 'remount,ro', ro]);
  try {
    checkFault({
      watch: [dir],
      cwd: dir,
      args: ['cap_net_raw+ep', 'good', 'cap_sys_admin+ep', 'ro/app'],
      expected: {
        status: 1,
        stderr:
          'setcap-static: ro/app: is on a read-only file system: cannot set its capabilities\n' +
          'setcap-static: no file was changed: the write before it was undone\n',
      },
    });
  } finally {
    execFileSync('umount', [ro]);
  }
});

test.run();
