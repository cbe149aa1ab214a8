// Fault: the target does not exist. The message names the path and the reason; a good file
// listed before it in the same invocation is left untouched (all or nothing).
import { test } from 'uvu';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFault, scratchDir } from './harness';

test('a missing target: exact message, exit 1, nothing written', () => {
  const dir = scratchDir('fault-missing');
  writeFileSync(join(dir, 'good'), 'good\n');
  checkFault({
    watch: [dir],
    cwd: dir,
    args: ['cap_net_raw+ep', 'good', 'cap_net_raw+ep', 'missing'],
    expected: {
      status: 1,
      stderr: 'setcap-static: missing: no such file or directory\nsetcap-static: no file was changed\n',
    },
  });
});

test.run();
