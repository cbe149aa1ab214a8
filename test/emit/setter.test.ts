// Every platform's setter, run for real (natively for amd64, under qemu-user for the others):
// the bytes it writes are libcap's, it refuses what the core refuses, reports through its exit
// status, and deletes itself only after success and only when named !…
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emitMain } from '../../src/emit/cli';
import { PLATFORM_NAMES, type PlatformName } from '../../src/emit/platforms';
import { SETTER_EXIT_NOT_REGULAR_FILE } from '../../src/native/batch';
import { libcapBytes, requireTools, runSetter, xattrHex } from './helpers';
import { scratchDir } from '../scratch';

const ENOENT = 2;
const ELOOP = 40;

const quiet = { stdout: () => {}, stderr: (text: string) => { throw new Error(`emit failed: ${text}`); } };

function emit(platform: PlatformName, output: string, ...pairs: string[]): Uint8Array {
  assert.is(emitMain(['--arch', platform, '--output', output, ...pairs], {}, quiet), 0);
  return new Uint8Array(readFileSync(output));
}

function file(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, 'payload\n');
  return path;
}

test.before(requireTools);

const sizes: string[] = [];

for (const platform of PLATFORM_NAMES) {
  test(`${platform}: one path fits in 512 bytes`, () => {
    const dir = scratchDir('emit');
    const short = emit(platform, join(dir, 'short'), 'cap_net_bind_service=ep', '/app');
    const longer = emit(platform, join(dir, 'longer'), 'cap_net_bind_service=ep', '/usr/local/bin/app');
    const longest = emit(platform, join(dir, 'longest'), 'cap_net_bind_service=ep', `/${'a'.repeat(30)}`);
    sizes.push(`${platform.padEnd(8)} /app: ${short.length} bytes, /usr/local/bin/app: ${longer.length} bytes, a 31-byte path: ${longest.length} bytes`);
    assert.ok(short.length <= 512, `${platform}: ${short.length} bytes`);
    assert.ok(longer.length <= 512, `${platform}: ${longer.length} bytes`);
    assert.ok(longest.length <= 512, `${platform}: ${longest.length} bytes for a 31-byte path`);
    assert.is(statSync(join(dir, 'short')).mode & 0o777, 0o755);
  });

  test(`${platform}: writes libcap's bytes`, () => {
    const dir = scratchDir('emit');
    for (const text of ['cap_net_bind_service=ep', 'cap_chown,cap_kill=eip', 'all=ep', '=', 'cap_net_raw+p cap_setuid+i']) {
      const target = file(dir, 'target');
      const program = join(dir, 'setter');
      emit(platform, program, text, target);
      assert.is(runSetter(platform, program), 0, `${platform} ${text}`);
      assert.is(xattrHex(target), libcapBytes(dir, text), `${platform} ${text}`);
      assert.ok(existsSync(program), 'a setter not named !… stays');
    }
  });

  test(`${platform}: refuses a symlink, a directory, a missing file; nothing changed, no self-delete`, () => {
    const dir = scratchDir('emit');
    const target = file(dir, 'target');
    symlinkSync(target, join(dir, 'link'));
    mkdirSync(join(dir, 'directory'));
    const program = join(dir, '!setter');
    for (const [path, status] of [['link', ELOOP], ['directory', SETTER_EXIT_NOT_REGULAR_FILE], ['missing', ENOENT]] as const) {
      emit(platform, program, 'cap_net_raw=ep', join(dir, path));
      assert.is(runSetter(platform, program), status, `${platform} ${path}`);
      assert.is(xattrHex(target), null, 'the link target is unchanged');
      assert.ok(existsSync(program), 'never deleted after a failure');
    }
  });

  test(`${platform}: deletes itself after success only when its name starts with '!'`, () => {
    const dir = scratchDir('emit');
    const target = file(dir, 'target');
    const expected = libcapBytes(dir, 'cap_net_raw=ep');
    // run by absolute path: argv[0] = /…/!setter
    const program = join(dir, '!setter');
    emit(platform, program, 'cap_net_raw=ep', target);
    assert.is(runSetter(platform, program), 0);
    assert.not.ok(existsSync(program), 'deleted (absolute argv[0])');
    assert.is(xattrHex(target), expected);
    // argv[0] relative to the working directory, with and without a slash (a PATH lookup)
    for (const argv0 of ['./!setter', '!setter']) {
      emit(platform, program, 'cap_net_raw=ep', target);
      assert.is(runSetter(platform, program, { cwd: dir, argv0 }), 0);
      assert.not.ok(existsSync(program), `deleted (argv[0] ${argv0})`);
    }
    // '!' elsewhere than at the start of the last component: kept
    mkdirSync(join(dir, '!dir'));
    for (const name of ['!dir/setter', 'set!ter']) {
      const kept = join(dir, name);
      emit(platform, kept, 'cap_net_raw=ep', target);
      assert.is(runSetter(platform, kept), 0);
      assert.ok(existsSync(kept), `kept: ${name}`);
    }
  });

  test(`${platform}: a file of 3 GiB (32-bit programs must open with O_LARGEFILE)`, () => {
    const dir = scratchDir('emit');
    const big = join(dir, 'big');
    writeFileSync(big, '');
    truncateSync(big, 3 * 1024 ** 3); // sparse
    const program = join(dir, 'setter');
    emit(platform, program, 'cap_net_raw=ep', big);
    assert.is(runSetter(platform, program), 0);
    assert.is(xattrHex(big), libcapBytes(dir, 'cap_net_raw=ep'));
  });

  test(`${platform}: several paths, all or nothing`, () => {
    const dir = scratchDir('emit');
    const first = file(dir, 'first');
    const second = file(dir, 'second');
    const program = join(dir, '!setter');
    emit(platform, program, 'cap_net_raw=ep', join(dir, 'first'), 'cap_chown=p', second);
    assert.is(runSetter(platform, program), 0);
    assert.is(xattrHex(first), libcapBytes(dir, 'cap_net_raw=ep'));
    assert.is(xattrHex(second), libcapBytes(dir, 'cap_chown=p'));
    assert.not.ok(existsSync(program));
    // the second path is missing: checked before the first write, so the first stays as it was
    const fresh = file(dir, 'fresh');
    emit(platform, program, 'cap_net_raw=ep', fresh, 'cap_chown=p', join(dir, 'missing'));
    assert.is(runSetter(platform, program), ENOENT);
    assert.is(xattrHex(fresh), null);
    assert.ok(existsSync(program));
  });
}

test('sizes', () => {
  console.log(`\n  setter sizes (one path):\n${sizes.map((line) => `    ${line}`).join('\n')}`);
  assert.is(sizes.length, PLATFORM_NAMES.length);
});

test.run();
