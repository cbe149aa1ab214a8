// Fault: the target is a character device (mknod c 1 3, the same device as /dev/null).
// Opening it is harmless, but a capability on a device node is meaningless: refused.
import { test } from 'uvu';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFault, scratchDir } from './harness';

test('a character device target: refused, no attribute on the node', () => {
  const dir = scratchDir('fault-device');
  writeFileSync(join(dir, 'good'), 'good\n');
  execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
  checkFault({
    watch: [dir],
    cwd: dir,
    args: ['cap_net_raw+ep', 'good', 'cap_net_raw+ep', 'null'],
    expected: {
      status: 1,
      stderr:
        'setcap-static: null: not a regular file: it is a character device; file capabilities exist only on regular files\n' +
        'setcap-static: no file was changed\n',
    },
  });
});

test.run();
