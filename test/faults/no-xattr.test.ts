// Fault: the target is on a filesystem without extended attributes. vfat is the classic one,
// but this kernel has no vfat driver (mount -t vfat: "unknown filesystem type"); ramfs has no
// xattr handlers at all and returns EOPNOTSUPP for security.capability, as vfat would.
import { test } from 'uvu';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { atExit, checkFault, scratchDir } from './harness';

test('a target on a filesystem without xattr support (ramfs): exact message, exit 1, nothing written', () => {
  const dir = scratchDir('fault-noxattr');
  const mnt = join(dir, 'ramfs');
  mkdirSync(mnt);
  writeFileSync(join(dir, 'good'), 'good\n');
  execFileSync('mount', ['-t', 'ramfs', 'setcap-static-test-ramfs', mnt]);
  atExit(() => execFileSync('umount', ['-l', mnt], { stdio: 'ignore' }));
  try {
    writeFileSync(join(mnt, 'app'), 'app\n');
    // The oracle says what this filesystem does: libcap's setcap gets EOPNOTSUPP here.
    const oracle = (() => {
      try {
        execFileSync('setcap', ['cap_net_raw+ep', join(mnt, 'app')], { stdio: 'pipe' });
        return '';
      } catch (error) {
        return String((error as { stderr: Buffer }).stderr);
      }
    })();
    assert.match(oracle, /Operation not supported/, `libcap setcap on ramfs: ${oracle}`);
    checkFault({
      watch: [dir],
      cwd: dir,
      args: ['cap_net_raw+ep', 'good', 'cap_net_raw+ep', 'ramfs/app'],
      expected: {
        status: 1,
        stderr:
          'setcap-static: ramfs/app: its file system does not support security.capability (no extended attributes there)\n' +
          'setcap-static: no file was changed\n',
      },
    });
  } finally {
    execFileSync('umount', [mnt]);
  }
});

test.run();
