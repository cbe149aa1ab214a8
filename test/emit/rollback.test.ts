// A write that fails after the check passed: the second target sits on a read-only bind mount, so
// openat, fstat and fgetxattr succeed there and only fsetxattr fails (EROFS). The setter must undo
// the first write (restore the previous attribute, or remove it when there was none), exit 30, and
// keep itself. Every platform's undo chain runs for real.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emitMain } from '../../src/emit/cli';
import { PLATFORM_NAMES } from '../../src/emit/platforms';
import { libcapBytes, requireTools, runSetter, xattrHex } from './helpers';
import { scratchDir } from '../scratch';

const EROFS = 30;

let mounted: string | undefined;
const area = scratchDir('emit-rollback');

test.before(() => {
  requireTools();
  const source = join(area, 'source');
  const readOnly = join(area, 'read-only');
  mkdirSync(source);
  mkdirSync(readOnly);
  writeFileSync(join(source, 'file'), 'payload\n');
  const bind = spawnSync('mount', ['--bind', source, readOnly], { encoding: 'utf8' });
  if (bind.status !== 0) throw new Error(`rollback tests need mount (root with CAP_SYS_ADMIN): ${bind.stderr}`);
  mounted = readOnly;
  execFileSync('mount', ['-o', 'remount,ro,bind', readOnly]);
});

test.after(() => {
  if (mounted) spawnSync('umount', [mounted]);
});

for (const platform of PLATFORM_NAMES) {
  test(`${platform}: a failed second write undoes the first (previous value restored / removed), exit 30`, () => {
    const dir = area;
    const frozen = join(mounted!, 'file');
    const program = join(dir, '!setter');
    for (const previous of ['cap_chown=p', null]) {
      const first = join(dir, 'first');
      writeFileSync(first, 'payload\n');
      if (previous) execFileSync('/usr/sbin/setcap', [previous, first]);
      const before = xattrHex(first);
      assert.is(before, previous ? libcapBytes(dir, previous) : null);
      const status = emitMain(['--arch', platform, '--output', program, 'cap_net_raw=ep', first, 'cap_net_admin=ep', frozen], {}, {
        stdout: () => {},
        stderr: (text) => assert.unreachable(text),
      });
      assert.is(status, 0);
      assert.ok(readFileSync(program).length > 512, 'two targets carry the undo chain');
      assert.is(runSetter(platform, program), EROFS, `${platform}: previous ${previous}`);
      assert.is(xattrHex(first), before, `${platform}: first target restored (previous ${previous})`);
      assert.is(xattrHex(frozen), null);
      assert.ok(existsSync(program), 'never deleted after a failure');
    }
  });
}

test('a setter that cannot delete itself (read-only mount) exits EROFS after setting everything', () => {
  for (const platform of PLATFORM_NAMES) {
    const target = join(area, 'target');
    writeFileSync(target, 'payload\n');
    // written through the writable side, run through the read-only one
    const status = emitMain(['--arch', platform, '--output', join(area, 'source', '!setter'), 'cap_net_raw=ep', target], {}, {
      stdout: () => {},
      stderr: (text) => assert.unreachable(text),
    });
    assert.is(status, 0);
    assert.is(runSetter(platform, join(mounted!, '!setter')), EROFS, platform);
    assert.is(xattrHex(target), libcapBytes(area, 'cap_net_raw=ep'), platform);
    assert.ok(existsSync(join(mounted!, '!setter')));
  }
});

test.run();
