// runXattrBatch end to end, for each code generator (x86_64 natively, aarch64 under qemu-user):
// bytes compared with what libcap setcap wrote and what python3 os.getxattr / getcap read back,
// never with our own output. Needs root (security.capability, mounts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NativeError, runXattrBatch, type XattrBatchOptions, type XattrOp } from '../../src/native/xattr';
import { ARCHES, getcap, pythonGetCap, pythonGetCaps, pythonSetCap, requireRoot, requireTool, scratchDir } from './helpers';

/** What libcap setcap writes for `text` (rootid when given), read back raw by python3. */
function libcapBytes(dir: string, text: string, rootid?: number): Buffer {
  const file = join(dir, `oracle-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, '');
  execFileSync('setcap', [...(rootid === undefined ? [] : ['-n', String(rootid)]), text, file]);
  const bytes = pythonGetCap(file);
  assert.ok(bytes, `setcap ${text} wrote nothing`);
  oracleText.set(bytes.toString('hex'), capText(file));
  return bytes;
}
const oracleText = new Map<string, string>();

/** getcap -n's text for a file, without the path. */
function capText(path: string): string {
  return execFileSync('getcap', ['-n', path]).toString().trim().slice(path.length + 1);
}

function freshFile(dir: string, name: string, caps?: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/true\n', { mode: 0o755 });
  if (caps) pythonSetCap(path, caps);
  return path;
}

function hex(bytes: Uint8Array | null | undefined): string | null | undefined {
  return bytes ? Buffer.from(bytes).toString('hex') : bytes;
}

function mount(args: string[]): void {
  execFileSync('mount', args);
}

/** Mounts (the mount point is the last argument), runs `body`, unmounts whatever happens. */
function withMount<T>(args: string[], body: () => T): T {
  mount(args);
  try {
    return body();
  } finally {
    execFileSync('umount', [args[args.length - 1]!]);
  }
}

for (const arch of ARCHES) {
  const dir = scratchDir(`xattr-${arch.name}`);
  const options: XattrBatchOptions = arch.options;
  const run = (ops: XattrOp[], opts: XattrBatchOptions = options) => {
    requireRoot();
    arch.require();
    return runXattrBatch(ops, opts);
  };
  const netBind = libcapBytes(dir, 'cap_net_bind_service=ep');
  const several = libcapBytes(dir, 'cap_chown,cap_dac_override,cap_net_raw+p cap_sys_admin+i');
  const rootid = libcapBytes(dir, 'cap_net_raw+ep', 1000);

  test(`${arch.name}: get reads exactly the bytes libcap setcap wrote (rev 2 and rev 3 with rootid)`, () => {
    const a = freshFile(dir, 'get-a', netBind);
    const b = freshFile(dir, 'get-b', rootid);
    const c = freshFile(dir, 'get-c');
    const result = run([{ kind: 'get', path: a }, { kind: 'get', path: b }, { kind: 'get', path: c }]);
    assert.ok(result.ok);
    assert.is(hex(result.outcomes[0]!.previous), netBind.toString('hex'));
    assert.is(hex(result.outcomes[1]!.previous), rootid.toString('hex'));
    assert.is(rootid.length, 24);
    assert.is(result.outcomes[2]!.previous, null);
    for (const outcome of result.outcomes) {
      assert.is(outcome.mode, 0o100755);
      assert.is(outcome.error, undefined);
    }
  });

  test(`${arch.name}: set writes the bytes python3 reads back and getcap shows as libcap's text`, () => {
    const plain = freshFile(dir, 'set-plain');
    const replaced = freshFile(dir, 'set-replaced', netBind);
    const withRoot = freshFile(dir, 'set-rootid');
    const result = run([
      { kind: 'set', path: plain, value: several },
      { kind: 'set', path: replaced, value: several },
      { kind: 'set', path: withRoot, value: rootid },
    ]);
    assert.ok(result.ok);
    assert.not.ok(result.rolledBack);
    assert.is(hex(pythonGetCap(plain)), several.toString('hex'));
    assert.is(hex(pythonGetCap(replaced)), several.toString('hex'));
    assert.is(hex(pythonGetCap(withRoot)), rootid.toString('hex'));
    assert.is(capText(plain), oracleText.get(several.toString('hex')));
    assert.is(capText(withRoot), oracleText.get(rootid.toString('hex')));
    assert.match(capText(withRoot), /\[rootid=1000\]$/);
    assert.is(result.outcomes[0]!.previous, null);
    assert.is(hex(result.outcomes[1]!.previous), netBind.toString('hex'));
  });

  test(`${arch.name}: remove deletes the attribute; removing an absent one fails like libcap setcap -r`, () => {
    const file = freshFile(dir, 'remove', netBind);
    const result = run([{ kind: 'remove', path: file }]);
    assert.ok(result.ok);
    assert.is(hex(result.outcomes[0]!.previous), netBind.toString('hex'));
    assert.is(pythonGetCap(file), null);
    assert.is(getcap(file), '');

    // libcap: `setcap -r` on a file without capabilities exits 1 ("has no capablity to remove").
    const bare = freshFile(dir, 'remove-bare');
    let libcapStatus = 0;
    try {
      execFileSync('setcap', ['-r', bare], { stdio: 'pipe' });
    } catch (error) {
      libcapStatus = (error as { status: number }).status;
    }
    assert.is(libcapStatus, 1);
    const other = freshFile(dir, 'remove-other');
    const again = run([{ kind: 'set', path: other, value: netBind }, { kind: 'remove', path: bare }]);
    assert.not.ok(again.ok);
    assert.equal(again.outcomes[1]!.error, { stage: 'remove', errno: 61, code: 'ENODATA' });
    assert.is(pythonGetCap(other), null, 'nothing written when a remove has nothing to remove');
  });

  test(`${arch.name}: symlink (ELOOP, target untouched), directory, FIFO (no hang) and missing file are refused`, () => {
    const target = freshFile(dir, 'link-target');
    const link = join(dir, 'link');
    symlinkSync(target, link);
    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    const fifo = join(dir, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    const missing = join(dir, 'missing');
    const value = netBind;

    const cases: [string, object][] = [
      [link, { stage: 'open', errno: 40, code: 'ELOOP' }],
      [directory, { stage: 'type', errno: 22, code: 'EINVAL' }],
      [fifo, { stage: 'type', errno: 22, code: 'EINVAL' }],
      [missing, { stage: 'open', errno: 2, code: 'ENOENT' }],
      [join(target, 'x'), { stage: 'open', errno: 20, code: 'ENOTDIR' }],
    ];
    for (const [path, error] of cases) {
      const started = Date.now();
      const result = run([{ kind: 'set', path, value }]);
      assert.ok(Date.now() - started < 10_000, `${path} took too long`);
      assert.not.ok(result.ok, path);
      assert.equal(result.outcomes[0]!.error, error, path);
    }
    assert.is(pythonGetCap(target), null);
    const modes = run([{ kind: 'get', path: directory }]).outcomes[0]!.mode! & 0o170000;
    assert.is(modes, 0o040000);
    assert.is(run([{ kind: 'get', path: fifo }]).outcomes[0]!.mode! & 0o170000, 0o010000);
  });

  test(`${arch.name}: relative paths resolve against the working directory`, () => {
    const file = freshFile(dir, 'relative');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      assert.ok(run([{ kind: 'set', path: 'relative', value: netBind }]).ok);
    } finally {
      process.chdir(cwd);
    }
    assert.is(hex(pythonGetCap(file)), netBind.toString('hex'));
  });

  test(`${arch.name}: all or nothing: one bad path among good ones and nothing is written`, () => {
    const good = [freshFile(dir, 'aon-1'), freshFile(dir, 'aon-2', several), freshFile(dir, 'aon-3')];
    const result = run([
      { kind: 'set', path: good[0]!, value: netBind },
      { kind: 'remove', path: good[1]! },
      { kind: 'set', path: join(dir, 'aon-missing'), value: netBind },
      { kind: 'set', path: good[2]!, value: netBind },
    ]);
    assert.not.ok(result.ok);
    assert.not.ok(result.rolledBack);
    assert.equal(result.outcomes[2]!.error, { stage: 'open', errno: 2, code: 'ENOENT' });
    assert.is(result.outcomes[0]!.error, undefined);
    assert.is(result.outcomes[0]!.previous, null);
    assert.is(hex(result.outcomes[1]!.previous), several.toString('hex'));
    assert.is(result.outcomes[3]!.previous, undefined, 'not reached');
    assert.is(pythonGetCap(good[0]!), null);
    assert.is(hex(pythonGetCap(good[1]!)), several.toString('hex'));
    assert.is(pythonGetCap(good[2]!), null);
  });

  // The kernel validates the bytes (cap_convert_nscap: a bad header or size is EINVAL) only when
  // writing, so a malformed value passes the checks and fails in the write phase: a real way to
  // make write k fail after writes 0..k-1 succeeded.
  test(`${arch.name}: rollback: the kernel refuses write 3, writes 1 and 2 are undone to their exact previous state`, () => {
    const hadCaps = freshFile(dir, 'rb-had', rootid);
    const hadNone = freshFile(dir, 'rb-none');
    const refused = freshFile(dir, 'rb-refused', netBind);
    const result = run([
      { kind: 'set', path: hadCaps, value: several },
      { kind: 'set', path: hadNone, value: several },
      { kind: 'get', path: refused },
      { kind: 'set', path: refused, value: new Uint8Array([1, 0, 0]) },
    ]);
    assert.not.ok(result.ok);
    assert.ok(result.rolledBack);
    assert.equal(result.outcomes[3]!.error, { stage: 'set', errno: 22, code: 'EINVAL' });
    assert.is(hex(pythonGetCap(hadCaps)), rootid.toString('hex'));
    assert.is(pythonGetCap(hadNone), null);
    assert.is(hex(pythonGetCap(refused)), netBind.toString('hex'));

    const first = run([{ kind: 'set', path: refused, value: new Uint8Array(20) }, { kind: 'set', path: hadNone, value: netBind }]);
    assert.not.ok(first.ok);
    assert.not.ok(first.rolledBack, 'nothing had been written before the first write failed');
    assert.equal(first.outcomes[0]!.error, { stage: 'set', errno: 22, code: 'EINVAL' });
    assert.is(pythonGetCap(hadNone), null);
  });

  test(`${arch.name}: rollback: a read-only bind mount passes the checks, refuses the write (EROFS), earlier writes undone`, () => {
    requireRoot();
    const source = join(dir, 'ro-source');
    const mounted = join(dir, 'ro-mount');
    mkdirSync(source);
    mkdirSync(mounted);
    const inside = freshFile(source, 'file', netBind);
    const before = [freshFile(dir, 'ro-1', several), freshFile(dir, 'ro-2')];
    const result = withMount(['--bind', source, mounted], () => {
      mount(['-o', 'remount,bind,ro', mounted]);
      return run([
        { kind: 'remove', path: before[0]! },
        { kind: 'set', path: before[1]!, value: rootid },
        { kind: 'set', path: join(mounted, 'file'), value: several },
      ]);
    });
    assert.not.ok(result.ok);
    assert.ok(result.rolledBack);
    assert.is(hex(result.outcomes[2]!.previous), netBind.toString('hex'), 'read through the read-only mount');
    assert.equal(result.outcomes[2]!.error, { stage: 'set', errno: 30, code: 'EROFS' });
    assert.is(hex(pythonGetCap(before[0]!)), several.toString('hex'));
    assert.is(pythonGetCap(before[1]!), null);
    assert.is(hex(pythonGetCap(inside)), netBind.toString('hex'));
  });

  test(`${arch.name}: a filesystem without xattrs (ramfs) is reported at the check (EOPNOTSUPP), nothing written`, () => {
    requireRoot();
    const mounted = join(dir, 'ramfs');
    mkdirSync(mounted);
    const elsewhere = freshFile(dir, 'ramfs-other');
    const result = withMount(['-t', 'ramfs', 'none', mounted], () => {
      const onRamfs = freshFile(mounted, 'file');
      return run([{ kind: 'set', path: elsewhere, value: netBind }, { kind: 'set', path: onRamfs, value: netBind }]);
    });
    assert.not.ok(result.ok);
    assert.equal(result.outcomes[1]!.error, { stage: 'get', errno: 95, code: 'EOPNOTSUPP' });
    assert.is(pythonGetCap(elsewhere), null);
  });

  test(`${arch.name}: 2,000 files in one run: set, get, remove`, () => {
    const many = join(dir, 'many');
    mkdirSync(many);
    const paths = Array.from({ length: 2000 }, (_, i) => freshFile(many, `f${i}`));
    const value = (i: number): Buffer => (i % 3 === 0 ? several : netBind);
    const set = run(paths.map((path, i) => ({ kind: 'set', path, value: value(i) })));
    assert.ok(set.ok);
    const read = pythonGetCaps(paths).map(hex);
    assert.equal(read, paths.map((_, i) => value(i).toString('hex')));
    const get = run(paths.map((path) => ({ kind: 'get', path })));
    assert.equal(get.outcomes.map((o) => hex(o.previous)), read);
    const removed = run(paths.map((path) => ({ kind: 'remove', path })));
    assert.ok(removed.ok);
    assert.equal(removed.outcomes.map((o) => hex(o.previous)), read);
    assert.ok(pythonGetCaps(paths).every((bytes) => bytes === null));
  });

  // strace stops the helper at a chosen system call with SIGKILL (inject=...:signal=KILL): the
  // only deterministic way to kill it between two writes.
  const straced = (inject: string): XattrBatchOptions => ({
    arch: arch.name,
    emulator: ['strace', '-qq', '-f', '-o', '/dev/null', '-e', `inject=${inject}`, ...(options.emulator ?? [])],
  });

  test(`${arch.name}: helper killed after two of four writes: previous values restored, NativeError`, () => {
    requireTool('strace', ['-V']);
    const files = [freshFile(dir, 'kill-1', rootid), freshFile(dir, 'kill-2'), freshFile(dir, 'kill-3', netBind), freshFile(dir, 'kill-4')];
    const before = pythonGetCaps(files).map(hex);
    let thrown: unknown;
    try {
      run(files.map((path) => ({ kind: 'set', path, value: several })), straced('fsetxattr:signal=KILL:when=3'));
    } catch (error) {
      thrown = error;
    }
    assert.instance(thrown, NativeError);
    assert.match((thrown as Error).message, /killed by SIGKILL after checking every file and before reporting its writes; 2 file\(s\) had changed and were restored/);
    assert.equal(pythonGetCaps(files).map(hex), before);
  });

  test(`${arch.name}: the restore run killed too: NativeError says restoring failed, no endless retry`, () => {
    requireTool('strace', ['-V']);
    const files = [freshFile(dir, 'killtwice-1', netBind), freshFile(dir, 'killtwice-2')];
    assert.throws(
      () => run(files.map((path) => ({ kind: 'set', path, value: several })), straced('fsetxattr:signal=KILL:when=1')),
      (error: Error) =>
        error instanceof NativeError &&
        /before reporting its writes; restoring the previous values failed \(.*killed by SIGKILL before reporting its writes\): check /.test(error.message),
    );
    assert.equal(pythonGetCaps(files).map(hex), [netBind.toString('hex'), null], 'killed before its first write both times');
  });

  test(`${arch.name}: helper killed while checking: NativeError, nothing written`, () => {
    requireTool('strace', ['-V']);
    const files = [freshFile(dir, 'killcheck-1'), freshFile(dir, 'killcheck-2')];
    assert.throws(
      () => run(files.map((path) => ({ kind: 'set', path, value: several })), straced('fgetxattr:signal=KILL:when=2')),
      (error: Error) => error instanceof NativeError && /killed by SIGKILL before reporting its checks; nothing was written/.test(error.message),
    );
    assert.equal(pythonGetCaps(files), [null, null]);
  });

  test(`${arch.name}: a failed undo is not hidden: NativeError names the file left changed`, () => {
    requireTool('strace', ['-V']);
    const files = [freshFile(dir, 'undo-1', netBind), freshFile(dir, 'undo-2')];
    assert.throws(
      () => run(files.map((path) => ({ kind: 'set', path, value: several })), straced('fsetxattr:error=EIO:when=2+')),
      (error: Error) => error instanceof NativeError && error.message.includes(`undoing the earlier writes failed too: ${files[0]} (EIO) left changed`),
    );
    assert.is(hex(pythonGetCap(files[0]!)), several.toString('hex'));
  });
}

test('no operations: no helper, ok', () => {
  assert.equal(runXattrBatch([]), { ok: true, outcomes: [], rolledBack: false });
});

test('a path with a NUL byte is refused before anything runs', () => {
  assert.throws(() => runXattrBatch([{ kind: 'get', path: 'a\0b' }]), /path "a\\u0000b" contains a NUL byte/);
});

test.run();
