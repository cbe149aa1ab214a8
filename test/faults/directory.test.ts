// Fault: the target is a directory. The kernel would store security.capability on a
// directory; it means nothing there, and setcap refuses anything but a regular file.
import { test } from 'uvu';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFault, scratchDir } from './harness';

test('a directory target: refused, no attribute on the directory', () => {
  const dir = scratchDir('fault-directory');
  writeFileSync(join(dir, 'good'), 'good\n');
  mkdirSync(join(dir, 'sub'));
  checkFault({
    watch: [dir],
    cwd: dir,
    args: ['cap_net_raw+ep', 'good', 'cap_net_raw+ep', 'sub'],
    expected: {
      status: 1,
      stderr:
        'setcap-static: sub: not a regular file: it is a directory; file capabilities exist only on regular files\n' +
        'setcap-static: no file was changed\n',
    },
  });
});

test.run();
