// The standalone executable from `npm run build`: fully static, and it does its job in an empty root
// holding only itself and /proc (a mounted procfs): no libc, no /tmp, no shell, no Node installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { libcapOracle, run, standalone, XATTR_NAME_CAPS } from '../e2e/docker';

const CAP_TEXT = 'cap_net_bind_service=ep';

// What Docker gives a process in a FROM scratch image. HOME matters: pkg's start-up code calls
// os.homedir(), which throws without HOME when there is no /etc/passwd (an empty environment crashes).
const CHROOT_ENV = { HOME: '/', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

const test = suite('build: standalone executable');

function requireStandalone(): void {
  if (!existsSync(standalone)) throw new Error(`${standalone} is missing: run npm run build`);
}

test('file(1) says it is a statically linked ELF executable', () => {
  requireStandalone();
  const described = run('file', ['--brief', '--dereference', standalone]);
  assert.is(described.status, 0, described.stderr);
  assert.match(described.stdout, /^ELF 64-bit LSB executable, x86-64/);
  assert.match(described.stdout, 'statically linked');
});

test(`in a chroot holding only itself and /proc: sets ${CAP_TEXT} and reads it back`, () => {
  requireStandalone();
  if (process.getuid?.() !== 0) throw new Error('the chroot test needs root (chroot, mount)');
  const root = mkdtempSync(join(tmpdir(), 'setcap-static-chroot-'));
  const proc = join(root, 'proc');
  let mounted = false;
  try {
    run('cp', [standalone, join(root, 'setcap-static')]);
    mkdirSync(proc);
    const mount = run('mount', ['-t', 'proc', 'proc', proc]);
    assert.is(mount.status, 0, `mount -t proc: ${mount.stderr}`);
    mounted = true;
    writeFileSync(join(root, 'target'), 'a file to give a capability\n');

    const set = spawnSync('/usr/sbin/chroot', [root, '/setcap-static', CAP_TEXT, '/target'], { encoding: 'utf8', env: CHROOT_ENV });
    assert.is(set.status, 0, `setcap in the chroot: ${set.stdout}${set.stderr}`);
    const oracle = libcapOracle(CAP_TEXT);
    const onDisk = run('python3', ['-c', `import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], '${XATTR_NAME_CAPS}').hex())`, join(root, 'target')]);
    assert.is(onDisk.stdout, oracle.bytes.toString('hex'), `bytes on disk: ${onDisk.output}`);

    const get = spawnSync('/usr/sbin/chroot', [root, '/setcap-static', 'get', '/target'], { encoding: 'utf8', env: CHROOT_ENV });
    assert.is(get.status, 0, `getcap in the chroot: ${get.stdout}${get.stderr}`);
    assert.is(get.stdout.trim(), oracle.getcapLine('/target'));

    assert.equal(readdirSync(root).sort(), ['proc', 'setcap-static', 'target'], 'the runs left files behind in the root');
  } finally {
    // Never delete recursively through a still-mounted /proc.
    if (mounted && run('umount', [proc]).status !== 0) throw new Error(`umount ${proc} failed: ${root} left in place`);
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
