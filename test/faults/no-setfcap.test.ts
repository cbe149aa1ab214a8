// Fault: the caller lacks CAP_SETFCAP. Setting security.capability needs it (the kernel's
// cap_convert_nscap); root with setfcap dropped from the bounding set gets EPERM. setpriv
// drops it before exec'ing node, so neither the tool nor its helper has it.
import { test } from 'uvu';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { checkFault, scratchDir } from './harness';

const WITHOUT_SETFCAP = ['setpriv', '--inh-caps=-all', '--bounding-set=-setfcap', '--'];

test('without CAP_SETFCAP: exact message, exit 1, nothing written', () => {
  const dir = scratchDir('fault-nosetfcap');
  writeFileSync(join(dir, 'good'), 'good\n');
  writeFileSync(join(dir, 'app'), 'app\n');
  const status = execFileSync(WITHOUT_SETFCAP[0]!, [...WITHOUT_SETFCAP.slice(1), 'grep', 'CapBnd', '/proc/self/status'], { encoding: 'utf8' });
  const bounding = BigInt('0x' + status.split(':')[1]!.trim());
  assert.is((bounding >> 31n) & 1n, 0n, `CAP_SETFCAP (31) still in the bounding set: ${status}`);
  checkFault({
    watch: [dir],
    cwd: dir,
    prefix: WITHOUT_SETFCAP,
    args: ['cap_net_raw+ep', 'good', 'cap_net_raw+ep', 'app'],
    expected: {
      status: 1,
      stderr:
        'setcap-static: good: not permitted to set its capabilities: writing file capabilities needs CAP_SETFCAP ' +
        "(run as root; in a user namespace, the file's owner must be mapped into it)\n" +
        'setcap-static: no file was changed\n',
    },
  });
});

test.run();
