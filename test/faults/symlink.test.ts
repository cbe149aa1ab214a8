// Fault: the target is a symbolic link. libcap's setcap refuses it ("must be a regular
// (non-symlink) file"); so must we, and the file the link points to must not get the capability.
import { test } from 'uvu';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFault, scratchDir } from './harness';

test('a symlink target: refused, the link and the file it points to untouched', () => {
  const dir = scratchDir('fault-symlink');
  writeFileSync(join(dir, 'good'), 'good\n');
  writeFileSync(join(dir, 'victim'), 'victim\n');
  symlinkSync('victim', join(dir, 'link'));
  checkFault({
    watch: [dir],
    cwd: dir,
    args: ['cap_net_raw+ep', 'good', 'cap_net_raw+ep', 'link'],
    expected: {
      status: 1,
      stderr:
        "setcap-static: link: is a symbolic link (to victim); capabilities are set on the link's target file, name it instead\n" +
        'setcap-static: no file was changed\n',
    },
  });
});

test('a symlink to a directory, and a dangling symlink: refused the same way', () => {
  const dir = scratchDir('fault-symlink2');
  symlinkSync('/', join(dir, 'root'));
  symlinkSync('nowhere', join(dir, 'dangling'));
  checkFault({
    watch: [dir],
    cwd: dir,
    args: ['cap_net_raw+ep', 'root'],
    expected: {
      status: 1,
      stderr: "setcap-static: root: is a symbolic link (to /); capabilities are set on the link's target file, name it instead\n",
    },
  });
  checkFault({
    watch: [dir],
    cwd: dir,
    args: ['cap_net_raw+ep', 'dangling'],
    expected: {
      status: 1,
      stderr: "setcap-static: dangling: is a symbolic link (to nowhere); capabilities are set on the link's target file, name it instead\n",
    },
  });
});

test.run();
