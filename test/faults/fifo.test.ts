// Fault: the target is a FIFO. Opening a FIFO for reading blocks until a writer comes: the
// tool must not hang (the runner kills it after 20 s and the test fails), and must refuse it.
import { test } from 'uvu';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFault, scratchDir } from './harness';

test('a FIFO target: no hang, refused, nothing written', () => {
  const dir = scratchDir('fault-fifo');
  writeFileSync(join(dir, 'good'), 'good\n');
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  const started = Date.now();
  checkFault({
    watch: [dir],
    cwd: dir,
    args: ['cap_net_raw+ep', 'good', 'cap_net_raw+ep', 'fifo'],
    expected: {
      status: 1,
      stderr:
        'setcap-static: fifo: not a regular file: it is a FIFO (named pipe); file capabilities exist only on regular files\n' +
        'setcap-static: no file was changed\n',
    },
    timeout: 20,
  });
  console.log(`fifo: refused in ${Date.now() - started} ms`);
});

test.run();
