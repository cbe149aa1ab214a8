// User namespaces. When a process whose namespace root is not the host's root sets
// security.capability, the kernel (cap_convert_nscap) stores revision 3 with the host uid of
// that namespace's root as rootid; reading it back, the kernel shows revision 3 with the rootid
// as mapped in the reader's namespace, or revision 2 to a reader in that namespace itself.
// Every expectation here is what libcap's setcap/getcap do in the same place.
//
// As root, `unshare --user --map-root-user` maps the namespace's root to host uid 0: what is
// stored reads back as revision 2 everywhere, and a file whose owner is not mapped into the
// namespace is refused (EPERM, libcap too). Revision 3 comes from a user whose namespace root is
// another host uid: setpriv --reuid=100000 ... unshare --user --map-root-user, on a file owned
// by 100000:100000.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readCapability, scratchDir, skip, toolBundle } from '../faults/harness';

const HOST_UID = 100000;
const AS_HOST_ROOT_IN_USERNS = ['unshare', '--user', '--map-root-user', '--'];
const AS_MAPPED_ROOT_IN_USERNS = ['setpriv', `--reuid=${HOST_UID}`, `--regid=${HOST_UID}`, '--clear-groups', '--', ...AS_HOST_ROOT_IN_USERNS];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: readonly string[], cwd: string): Run {
  const result = spawnSync(command[0]!, command.slice(1), { cwd, encoding: 'utf8', timeout: 60000, env: { PATH: process.env.PATH, HOME: '/', LANG: 'C.UTF-8' } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tool(): string[] {
  const bundle = toolBundle();
  // The mapped user must be able to read the bundle.
  chmodSync(dirname(bundle), 0o755);
  return [process.execPath, bundle];
}

function userNamespacesWork(): string | undefined {
  const probe = spawnSync('unshare', ['--user', '--map-root-user', 'id', '-u'], { encoding: 'utf8' });
  if (probe.status !== 0 || probe.stdout.trim() !== '0') return `unshare --user --map-root-user fails here: ${probe.stderr.trim()}`;
  const mapped = spawnSync(AS_MAPPED_ROOT_IN_USERNS[0]!, [...AS_MAPPED_ROOT_IN_USERNS.slice(1), 'id', '-u'], { encoding: 'utf8' });
  if (mapped.status !== 0 || mapped.stdout.trim() !== '0') return `an unprivileged user cannot create a user namespace: ${mapped.stderr.trim()}`;
  return undefined;
}

/** A directory the mapped user can reach, with two empty files owned by it: ours and libcap's. */
function mappedFiles(what: string): { dir: string; ours: string; libcap: string } {
  const dir = scratchDir(`userns-${what}`);
  chmodSync(dir, 0o755);
  const ours = join(dir, 'ours');
  const libcap = join(dir, 'libcap');
  for (const file of [ours, libcap]) {
    writeFileSync(file, '#!/bin/true\n');
    chownSync(file, HOST_UID, HOST_UID);
  }
  return { dir, ours, libcap };
}

test('as root, unshare --user --map-root-user: the namespace root is host root, revision 2, the bytes libcap writes', () => {
  const why = userNamespacesWork();
  if (why) return void skip('userns map-root-user', why);
  const dir = scratchDir('userns-hostroot');
  writeFileSync(join(dir, 'ours'), '');
  writeFileSync(join(dir, 'libcap'), '');
  const libcap = run([...AS_HOST_ROOT_IN_USERNS, 'setcap', 'cap_net_raw+ep', 'libcap'], dir);
  assert.is(libcap.status, 0, `libcap: ${libcap.stderr}`);
  const ours = run([...AS_HOST_ROOT_IN_USERNS, ...tool(), 'cap_net_raw+ep', 'ours'], dir);
  assert.is(ours.stderr, '');
  assert.is(ours.status, 0);
  assert.is(readCapability(join(dir, 'ours')), readCapability(join(dir, 'libcap')));
  assert.is(readCapability(join(dir, 'ours')), '0100000200200000000000000000000000000000');
  for (const prefix of [[], AS_HOST_ROOT_IN_USERNS]) {
    assert.is(run([...prefix, ...tool(), 'get', '-n', 'ours'], dir).stdout, run([...prefix, 'getcap', '-n', 'ours'], dir).stdout);
  }
});

test('unshare --user --map-root-user on a file whose owner is not mapped: EPERM as for libcap, a clear message, nothing written', () => {
  const why = userNamespacesWork();
  if (why) return void skip('userns unmapped owner', why);
  const { dir, ours, libcap } = mappedFiles('unmapped');
  const oracle = run([...AS_HOST_ROOT_IN_USERNS, 'setcap', 'cap_net_raw+ep', libcap], dir);
  assert.is(oracle.status, 1);
  assert.match(oracle.stderr, /Operation not permitted/);
  const mine = run([...AS_HOST_ROOT_IN_USERNS, ...tool(), 'cap_net_raw+ep', 'ours'], dir);
  assert.is(
    mine.stderr,
    'setcap-static: ours: not permitted to set its capabilities: writing file capabilities needs CAP_SETFCAP ' +
      "(run as root; in a user namespace, the file's owner must be mapped into it)\n",
  );
  assert.is(mine.status, 1);
  assert.is(mine.stdout, '');
  assert.is(readCapability(ours), null);
  assert.is(readCapability(libcap), null);
});

test('namespace root = host uid 100000: revision 3 with rootid 100000, byte for byte what libcap writes', () => {
  const why = userNamespacesWork();
  if (why) return void skip('userns rev3', why);
  const { dir, ours, libcap } = mappedFiles('rev3');
  const oracle = run([...AS_MAPPED_ROOT_IN_USERNS, 'setcap', 'cap_net_bind_service,cap_net_raw+ep', libcap], dir);
  assert.is(oracle.status, 0, `libcap setcap in the namespace: ${oracle.stderr}`);
  const mine = run([...AS_MAPPED_ROOT_IN_USERNS, ...tool(), 'cap_net_bind_service,cap_net_raw+ep', ours], dir);
  assert.is(mine.stderr, '');
  assert.is(mine.status, 0);
  // Read from outside the namespace, raw.
  const bytes = readCapability(ours);
  assert.is(bytes, readCapability(libcap));
  assert.is(bytes!.length, 48, `revision 3 is 24 bytes: ${bytes}`);
  assert.is(bytes!.slice(6, 8), '03', `magic_etc: ${bytes}`);
  assert.is(Buffer.from(bytes!, 'hex').readUInt32LE(20), HOST_UID, `rootid: ${bytes}`);
});

test('get -n prints the rootid as getcap -n does, inside the namespace and outside it', () => {
  const why = userNamespacesWork();
  if (why) return void skip('userns get -n', why);
  const { dir, ours } = mappedFiles('getn');
  const set = run([...AS_MAPPED_ROOT_IN_USERNS, 'setcap', 'cap_net_raw+ep', ours], dir);
  assert.is(set.status, 0, set.stderr);
  for (const [where, prefix] of [['outside', []], ['inside', AS_MAPPED_ROOT_IN_USERNS]] as const) {
    for (const args of [['-n', ours], [ours], ['-n', 'ours']]) {
      const libcap = run([...prefix, 'getcap', ...args], dir);
      const mine = run([...prefix, ...tool(), 'get', ...args], dir);
      assert.is(mine.stdout, libcap.stdout, `${where}: get ${args.join(' ')}`);
      assert.is(mine.status, libcap.status, `${where}: get ${args.join(' ')} status (${mine.stderr})`);
    }
  }
  // Outside, getcap -n shows the rootid; inside, the kernel presents revision 2 and there is none.
  assert.match(run(['getcap', '-n', ours], dir).stdout, /\[rootid=100000\]/);
  assert.not.match(run([...AS_MAPPED_ROOT_IN_USERNS, 'getcap', '-n', ours], dir).stdout, /rootid/);
});

/** The security.capability PAX record values in a tar, as raw bytes (hex). */
function paxCapabilities(tar: Buffer): string[] {
  const key = Buffer.from(' SCHILY.xattr.security.capability=');
  const values: string[] = [];
  for (let at = tar.indexOf(key); at >= 0; at = tar.indexOf(key, at + 1)) {
    let start = at;
    while (start > 0 && tar[start - 1]! >= 0x30 && tar[start - 1]! <= 0x39) start--;
    const length = Number(tar.subarray(start, at).toString('latin1'));
    const value = tar.subarray(at + key.length, start + length - 1);
    values.push(value.toString('hex'));
  }
  return values;
}

test('pack in a user namespace writes revision 2, and refuses -n ROOTID', () => {
  const why = userNamespacesWork();
  if (why) return void skip('userns pack', why);
  const { dir: base, ours } = mappedFiles('pack');
  // The tar is written where the mapped user may write.
  const dir = join(base, 'out');
  mkdirSync(dir);
  chownSync(dir, HOST_UID, HOST_UID);
  const packed = run([...AS_MAPPED_ROOT_IN_USERNS, ...tool(), 'pack', '--output', join(dir, 'app.tar'), 'cap_net_raw+ep', `${ours}:/app`], dir);
  assert.is(packed.stderr, '');
  assert.is(packed.status, 0);
  const values = paxCapabilities(readFileSync(join(dir, 'app.tar')));
  assert.equal(values, ['0100000200200000000000000000000000000000'], 'the PAX record must be libcap\'s revision 2 bytes');
  const refused = run([...AS_MAPPED_ROOT_IN_USERNS, ...tool(), 'pack', '-n', '1000', '--output', join(dir, 'rev3.tar'), 'cap_net_raw+ep', `${ours}:/app`], dir);
  assert.is(refused.status, 1, refused.stderr);
  assert.is(
    refused.stderr,
    'setcap-static pack: -n ROOTID is not supported by pack: a tar carries revision-2 capabilities only; ' +
      "a rootid (revision 3) names a user namespace's root on one host, which means nothing inside an image\n",
  );
  assert.equal(readdirSync(dir), ['app.tar'], 'a refused pack left a file behind');
});

test.run();
