// The batch program in the form the standalone setter (`emit`) uses: no reports, the exit status
// is the only result, the program unlinks a path after success. Run by the kernel (x86_64) and by
// qemu-aarch64; the files are read back with python3, not with our code.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backends } from '../../src/native/arch';
import { assemble } from '../../src/native/assemble';
import {
  EXIT_CHECK_FAILED,
  EXIT_OK,
  EXIT_ROLLBACK_FAILED,
  EXIT_UNLINK_FAILED,
  EXIT_WRITE_FAILED,
  buildBatchProgram,
  type BatchProgramOptions,
} from '../../src/native/batch';
import { runHelper } from '../../src/native/exec';
import type { XattrOp } from '../../src/native/xattr';
import { ARCHES, pythonGetCaps, pythonSetCap, requireRoot, requireTool, scratchDir } from './helpers';

const netBind = Buffer.from('0100000200040000000000000000000000000000', 'hex');
const chown = Buffer.from('0100000201000000000000000000000000000000', 'hex');
const hex = (b: Buffer | null): string | null => (b ? b.toString('hex') : null);

for (const arch of ARCHES) {
  const dir = scratchDir(`batch-${arch.name}`);
  const file = (name: string, caps?: Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, '');
    if (caps) pythonSetCap(path, caps);
    return path;
  };
  const runSetter = (ops: XattrOp[], options: BatchProgramOptions, emulatorPrefix: string[] = []): number | null => {
    requireRoot();
    arch.require();
    const { elf } = assemble(buildBatchProgram(ops, options), backends[arch.name]);
    const run = runHelper(elf, [...emulatorPrefix, ...(arch.options.emulator ?? [])]);
    assert.is(run.stdout.length, 0, 'no report without options.report');
    return run.status;
  };

  test(`${arch.name}: a one-path setter with self-delete fits in 512 bytes and is deterministic`, () => {
    const ops: XattrOp[] = [{ kind: 'set', path: '/usr/local/bin/some-server', value: netBind }];
    const options = { report: false, unlinkOnSuccess: '/!setcap' };
    const first = assemble(buildBatchProgram(ops, options), backends[arch.name]).elf;
    assert.ok(first.length <= 512, `${first.length} bytes`);
    assert.equal(assemble(buildBatchProgram(ops, options), backends[arch.name]).elf, first);
  });

  test(`${arch.name}: setter: success writes, unlinks itself, exits ${EXIT_OK}`, () => {
    const target = file('target');
    const self = file('self');
    assert.is(runSetter([{ kind: 'set', path: target, value: netBind }], { report: false, unlinkOnSuccess: self }), EXIT_OK);
    assert.equal(pythonGetCaps([target]).map(hex), [hex(netBind)]);
    assert.not.ok(existsSync(self));
  });

  test(`${arch.name}: setter: a failed check exits ${EXIT_CHECK_FAILED}, writes nothing, deletes nothing`, () => {
    const target = file('check-target');
    const self = file('check-self');
    const status = runSetter(
      [{ kind: 'set', path: target, value: netBind }, { kind: 'set', path: join(dir, 'missing'), value: netBind }],
      { report: false, unlinkOnSuccess: self },
    );
    assert.is(status, EXIT_CHECK_FAILED);
    assert.equal(pythonGetCaps([target]), [null]);
    assert.ok(existsSync(self));
  });

  test(`${arch.name}: setter: a refused write exits ${EXIT_WRITE_FAILED} with the earlier writes undone`, () => {
    const a = file('wf-a', chown);
    const b = file('wf-b');
    const c = file('wf-c');
    const status = runSetter(
      [
        { kind: 'set', path: a, value: netBind },
        { kind: 'remove', path: a },
        { kind: 'set', path: b, value: netBind },
        { kind: 'set', path: c, value: new Uint8Array([9]) },
      ],
      { report: false },
    );
    assert.is(status, EXIT_WRITE_FAILED);
    assert.equal(pythonGetCaps([a, b, c]).map(hex), [hex(chown), null, null]);
    assert.is(runSetter([{ kind: 'set', path: c, value: new Uint8Array([9]) }], { report: false }), EXIT_WRITE_FAILED);
  });

  test(`${arch.name}: setter: a failed undo exits ${EXIT_ROLLBACK_FAILED}`, () => {
    requireTool('strace', ['-V']);
    const a = file('rf-a', chown); // its undo is an fsetxattr of the old bytes, which strace fails
    const b = file('rf-b');
    const strace = ['strace', '-qq', '-f', '-o', '/dev/null', '-e', 'inject=fsetxattr:error=EIO:when=2+'];
    assert.is(runSetter([{ kind: 'set', path: a, value: netBind }, { kind: 'set', path: b, value: netBind }], { report: false }, strace), EXIT_ROLLBACK_FAILED);
    assert.equal(pythonGetCaps([a, b]).map(hex), [hex(netBind), null]);
  });

  test(`${arch.name}: setter: writes done but the self-delete failing exits ${EXIT_UNLINK_FAILED}`, () => {
    const target = file('unlink-target');
    assert.is(runSetter([{ kind: 'set', path: target, value: netBind }], { report: false, unlinkOnSuccess: join(dir, 'no-such-self') }), EXIT_UNLINK_FAILED);
    assert.equal(pythonGetCaps([target]).map(hex), [hex(netBind)]);
  });
}

test.run();
