// The batch program in setter mode, the form the standalone setter (`emit`) uses: no reports, the
// exit status is the errno of the failing call (or SETTER_EXIT_*), and the program deletes itself
// after success when argv[0] names a one-shot ('!'). Run by the kernel (x86_64) and by
// qemu-aarch64 (`-0` sets argv[0]); the files are read back with python3, not with our code.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backends } from '../../src/native/arch';
import { assemble } from '../../src/native/assemble';
import { EXIT_OK, SETTER_EXIT_NOT_REGULAR_FILE, SETTER_EXIT_ROLLBACK_FAILED, buildBatchProgram } from '../../src/native/batch';
import type { XattrOp } from '../../src/native/xattr';
import { ARCHES, pythonGetCaps, pythonSetCap, requireRoot, requireTool, scratchDir } from './helpers';

const netBind = Buffer.from('0100000200040000000000000000000000000000', 'hex');
const chown = Buffer.from('0100000201000000000000000000000000000000', 'hex');
const hex = (b: Buffer | null): string | null => (b ? b.toString('hex') : null);
/** asm-generic/errno-base.h */
const ENOENT = 2;
const EINVAL = 22;

for (const arch of ARCHES) {
  const dir = scratchDir(`batch-${arch.name}`);
  const file = (name: string, caps?: Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, '');
    if (caps) pythonSetCap(path, caps);
    return path;
  };
  /** Writes the setter for `ops` to `program` and runs it with argv[0] = `argv0` (default: `program`), after `prefix` (strace). */
  const runSetter = (ops: XattrOp[], options: { program?: string; argv0?: string; prefix?: string[] } = {}): number | null => {
    requireRoot();
    arch.require();
    const program = options.program ?? join(dir, 'setter');
    writeFileSync(program, assemble(buildBatchProgram(ops, 'setter'), backends[arch.name]).elf);
    chmodSync(program, 0o755);
    const argv0 = options.argv0 ?? program;
    const emulator = arch.options.emulator ?? [];
    const [command, ...args] = [...(options.prefix ?? []), ...emulator, ...(emulator.length > 0 ? ['-0', argv0] : []), program];
    const run = spawnSync(command!, args, { argv0: options.prefix || emulator.length > 0 ? undefined : argv0, timeout: 20_000 });
    if (run.error) throw run.error;
    assert.is(run.stdout.length, 0, 'no report in setter mode');
    return run.status;
  };

  test(`${arch.name}: a one-path setter fits in 512 bytes and is deterministic`, () => {
    const ops: XattrOp[] = [{ kind: 'set', path: '/usr/local/bin/some-server', value: netBind }];
    const first = assemble(buildBatchProgram(ops, 'setter'), backends[arch.name]).elf;
    assert.ok(first.length <= 512, `${first.length} bytes`);
    assert.equal(assemble(buildBatchProgram(ops, 'setter'), backends[arch.name]).elf, first);
  });

  test(`${arch.name}: setter: success writes, deletes itself when named !..., exits ${EXIT_OK}`, () => {
    const target = file('target');
    const self = join(dir, '!self');
    assert.is(runSetter([{ kind: 'set', path: target, value: netBind }], { program: self }), EXIT_OK);
    assert.equal(pythonGetCaps([target]).map(hex), [hex(netBind)]);
    assert.not.ok(existsSync(self));
    const kept = join(dir, 'kept');
    assert.is(runSetter([{ kind: 'set', path: target, value: chown }], { program: kept }), EXIT_OK);
    assert.equal(pythonGetCaps([target]).map(hex), [hex(chown)]);
    assert.ok(existsSync(kept));
  });

  test(`${arch.name}: setter: a failed check exits its errno, writes nothing, deletes nothing`, () => {
    const target = file('check-target');
    const self = join(dir, '!check-self');
    const status = runSetter([{ kind: 'set', path: target, value: netBind }, { kind: 'set', path: join(dir, 'missing'), value: netBind }], { program: self });
    assert.is(status, ENOENT);
    assert.equal(pythonGetCaps([target]), [null]);
    assert.ok(existsSync(self));
    assert.is(runSetter([{ kind: 'set', path: dir, value: netBind }], { program: self }), SETTER_EXIT_NOT_REGULAR_FILE);
    assert.ok(existsSync(self));
  });

  test(`${arch.name}: setter: a refused write exits its errno with the earlier writes undone`, () => {
    const a = file('wf-a', chown);
    const b = file('wf-b');
    const c = file('wf-c');
    const status = runSetter([
      { kind: 'set', path: a, value: netBind },
      { kind: 'remove', path: a },
      { kind: 'set', path: b, value: netBind },
      { kind: 'set', path: c, value: new Uint8Array([9]) },
    ]);
    assert.is(status, EINVAL);
    assert.equal(pythonGetCaps([a, b, c]).map(hex), [hex(chown), null, null]);
    assert.is(runSetter([{ kind: 'set', path: c, value: new Uint8Array([9]) }]), EINVAL);
  });

  test(`${arch.name}: setter: a failed undo exits ${SETTER_EXIT_ROLLBACK_FAILED}`, () => {
    requireTool('strace', ['-V']);
    const a = file('rf-a', chown); // its undo is an fsetxattr of the old bytes, which strace fails
    const b = file('rf-b');
    const prefix = ['strace', '-qq', '-f', '-o', '/dev/null', '-e', 'inject=fsetxattr:error=EIO:when=2+'];
    assert.is(runSetter([{ kind: 'set', path: a, value: netBind }, { kind: 'set', path: b, value: netBind }], { prefix }), SETTER_EXIT_ROLLBACK_FAILED);
    assert.equal(pythonGetCaps([a, b]).map(hex), [hex(netBind), null]);
  });

  test(`${arch.name}: setter: writes done but the self-delete failing exits its errno`, () => {
    const target = file('unlink-target');
    const status = runSetter([{ kind: 'set', path: target, value: netBind }], { argv0: join(dir, 'no-such-dir', '!self') });
    assert.is(status, ENOENT);
    assert.equal(pythonGetCaps([target]).map(hex), [hex(netBind)]);
  });
}

test.run();
