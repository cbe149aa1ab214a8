// Writing and running the helper: nothing named is ever left, descriptors are not leaked,
// noexec and read-only directories are skipped, the named-file fallback unlinks before running.
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backends } from '../../src/native/arch';
import { assemble } from '../../src/native/assemble';
import { candidateDirectories, runHelper, writeNamedThenUnlink } from '../../src/native/exec';
import { NativeError, runXattrBatch } from '../../src/native/xattr';
import { pythonGetCap, requireRoot, requireTool, scratchDir } from './helpers';

const exit42 = assemble({ code: [{ op: 'syscall', name: 'exit_group', args: [{ kind: 'imm', value: 42 }] }], data: [], bss: [] }, backends.x86_64).elf;
const netBind = Buffer.from('0100000200040000000000000000000000000000', 'hex');
const dir = scratchDir('exec');

function openDescriptors(): string[] {
  return readdirSync('/proc/self/fd').map((fd) => {
    try {
      return `${fd} -> ${readlinkSync(`/proc/self/fd/${fd}`)}`;
    } catch {
      return fd; // the descriptor readdir itself used
    }
  });
}

/** Mounts a tmpfs with `options` on a fresh directory, runs body, unmounts. */
function withTmpfs<T>(name: string, options: string, body: (mounted: string) => T): T {
  requireRoot();
  const mounted = join(dir, name);
  mkdirSync(mounted);
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'none', mounted]);
  try {
    return body(mounted);
  } finally {
    execFileSync('umount', [mounted]);
  }
}

function withTmpdir<T>(tmpdir: string, body: () => T): T {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmpdir;
  try {
    return body();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

test('candidates: $TMPDIR, /tmp, /dev/shm, /run, the Node executable directory, /, the working directory', () => {
  withTmpdir('/some/where', () => {
    const dirs = candidateDirectories();
    assert.equal(dirs.slice(0, 4), ['/some/where', '/tmp', '/dev/shm', '/run']);
    assert.ok(dirs.includes('/'));
    assert.ok(dirs.includes(process.cwd()));
  });
  withTmpdir('relative/ignored', () => assert.is(candidateDirectories()[0], '/tmp'));
});

test('the helper leaves nothing in its directory and no open descriptor, after success, failure and a signal', () => {
  requireTool('strace', ['-V']);
  const target = join(dir, 'target');
  writeFileSync(target, '');
  const empty = join(dir, 'tmpdir');
  mkdirSync(empty);
  const before = openDescriptors();
  withTmpdir(empty, () => {
    const run = runHelper(exit42);
    assert.is(run.status, 42);
    assert.is(run.directory, empty);
    assert.ok(runXattrBatch([{ kind: 'set', path: target, value: netBind }]).ok);
    assert.not.ok(runXattrBatch([{ kind: 'set', path: join(dir, 'missing'), value: netBind }]).ok);
    assert.throws(
      () => runXattrBatch([{ kind: 'set', path: target, value: netBind }], { arch: 'x86_64', emulator: ['strace', '-qq', '-o', '/dev/null', '-e', 'inject=fsetxattr:signal=KILL'] }),
      (error: Error) => error instanceof NativeError,
    );
  });
  assert.equal(readdirSync(empty), []);
  assert.equal(openDescriptors(), before);
  assert.is(pythonGetCap(target)?.toString('hex'), netBind.toString('hex'));
});

test('a noexec directory is skipped for the next candidate; alone, it is a NativeError naming it', () => {
  withTmpfs('noexec', 'noexec', (noexec) => {
    const run = withTmpdir(noexec, () => runHelper(exit42));
    assert.is(run.status, 42);
    assert.is.not(run.directory, noexec);
    assert.equal(readdirSync(noexec), []);
    assert.throws(() => runHelper(exit42, [], [noexec]), (error: Error) => error instanceof NativeError && error.message.includes(`${noexec}: exec EACCES`));
    assert.equal(readdirSync(noexec), []);
  });
});

test('a read-only or missing directory is skipped', () => {
  withTmpfs('readonly', 'ro', (readonly) => {
    const run = runHelper(exit42, [], [join(dir, 'does-not-exist'), readonly, dir]);
    assert.is(run.status, 42);
    assert.is(run.directory, dir);
    assert.throws(() => runHelper(exit42, [], [readonly]), (error: Error) => error instanceof NativeError && error.message.includes(`${readonly}: EROFS`));
  });
});

test('named fallback (filesystems without O_TMPFILE): the file is gone before the descriptor is returned', () => {
  const fallback = join(dir, 'fallback');
  mkdirSync(fallback);
  const fd = writeNamedThenUnlink(fallback, exit42);
  try {
    assert.equal(readdirSync(fallback), []);
    assert.equal(new Uint8Array(readFileSync(`/proc/self/fd/${fd}`)), exit42);
    assert.is(fstatSync(fd).nlink, 0);
    assert.is(fstatSync(fd).mode & 0o777, 0o700);
  } finally {
    closeSync(fd);
  }
});

test.run();
