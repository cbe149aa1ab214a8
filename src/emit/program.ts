// The program an emitted setter runs, in src/native/program.ts's IR plus src/emit/instructions.ts.
//
// It follows the batch helper's all-or-nothing plan (src/native/batch.ts) with the exit status as
// its only output, and decides at run time, from argv[0], whether to delete itself:
//   entry   inspectArgv0: remember argv[0] and whether its last component starts with '!'.
//   check   for every target in order, nothing written yet:
//             fd = openat(AT_FDCWD, path, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC)
//             fstat(fd) and S_ISREG(st_mode)      the kernel keeps file capabilities on regular files only
//             fgetxattr(fd, security.capability)  the previous value, or ENODATA for none; a filesystem
//                                                 without xattrs fails here (EOPNOTSUPP), before any write.
//                                                 With one target there is nothing to undo and its only
//                                                 write failing changes nothing: the check is left out.
//   write   for every target: fsetxattr(fd, security.capability, value, len, 0). If write k fails,
//           writes k-1..0 are undone from the previous values, last first.
//   delete  only when every write succeeded and argv[0] named a one-shot: unlinkat(AT_FDCWD, argv[0], 0).
// Everything after openat goes through the descriptor: a path swapped for a symlink after the
// check can never be followed.
import { AT_FDCWD, STAT_BUFFER_SIZE, type Operand, type Slot } from '../native/program';
import { cString, ENODATA, OPEN_FLAGS, VALUE_BUFFER_SIZE, XATTR_NAME_CAPS } from '../native/batch';
import type { EmitInstruction } from './instructions';

/** Exit statuses of an emitted setter. Any other non-zero status is the errno of the failing call. */
export const SETTER_EXIT_OK = 0;
/** A target is not a regular file (directory, FIFO, device, socket): nothing written. */
export const SETTER_EXIT_NOT_REGULAR_FILE = 200;
/** A write failed, and undoing an earlier write failed too: files may be left with new values. */
export const SETTER_EXIT_ROLLBACK_FAILED = 201;

export interface SetterTarget {
  path: string;
  /** The security.capability bytes (encodeVfsCap). */
  value: Uint8Array;
}

export interface SetterProgram {
  code: EmitInstruction[];
  data: { name: string; bytes: Uint8Array }[];
  bss: { name: string; size: number }[];
}

/** Per-target slots: descriptor, fgetxattr result, previous value. */
const TARGET_FD = 0;
const TARGET_GET = 8;
const TARGET_VALUE = 16;
const TARGET_SIZE = TARGET_VALUE + VALUE_BUFFER_SIZE;

export function buildSetterProgram(targets: readonly SetterTarget[]): SetterProgram {
  if (targets.length === 0) throw new RangeError('a setter needs at least one target');
  const code: EmitInstruction[] = [];
  const data: SetterProgram['data'] = [{ name: 'name', bytes: cString(XATTR_NAME_CAPS, 'attribute name') }];
  const bss: SetterProgram['bss'] = [
    { name: 'targets', size: TARGET_SIZE * targets.length },
    { name: 'stat', size: STAT_BUFFER_SIZE },
    // 0: argv[0], 8: delete on success (0/1), 16: the failed write's result
    { name: 'self', size: 24 },
  ];
  const field = (i: number, offset: number): Slot => ({ symbol: 'targets', offset: i * TARGET_SIZE + offset });
  const argv0: Slot = { symbol: 'self', offset: 0 };
  const selfDelete: Slot = { symbol: 'self', offset: 8 };
  const failedWrite: Slot = { symbol: 'self', offset: 16 };
  const imm = (value: number): Operand => ({ kind: 'imm', value });
  const addr = (symbol: string, offset = 0): Operand => ({ kind: 'addr', symbol, offset });
  const fd = (i: number): Operand => ({ kind: 'slot', slot: field(i, TARGET_FD) });
  const name = addr('name');
  const label = (n: string): void => void code.push({ op: 'label', name: n });

  const valueSymbols = new Map<string, string>();
  const valueOf = (target: SetterTarget): string => valueSymbols.get(Buffer.from(target.value).toString('hex'))!;

  code.push({ op: 'inspectArgv0', pointer: argv0, selfDelete });

  targets.forEach((target, i) => {
    // openat's mode argument is only read with O_CREAT or O_TMPFILE: three arguments are enough.
    data.push({ name: `path${i}`, bytes: cString(target.path, 'path') });
    const key = Buffer.from(target.value).toString('hex');
    if (!valueSymbols.has(key)) {
      // paths sharing one capability share its bytes
      valueSymbols.set(key, `value${i}`);
      data.push({ name: `value${i}`, bytes: target.value });
    }
    code.push({ op: 'syscall', name: 'openat', args: [imm(AT_FDCWD), addr(`path${i}`), { kind: 'openFlags', flags: OPEN_FLAGS }], save: field(i, TARGET_FD) });
    code.push({ op: 'jumpIfNegative', target: 'failed' });
    code.push({ op: 'syscall', name: 'fstat', args: [fd(i), addr('stat')] });
    code.push({ op: 'jumpIfNegative', target: 'failed' });
    code.push({ op: 'loadMode', stat: 'stat' });
    code.push({ op: 'jumpIfNotRegularFile', target: 'not_regular' });
    if (targets.length === 1) return; // one write: its failure leaves nothing to undo or to have checked for
    code.push({ op: 'syscall', name: 'fgetxattr', args: [fd(i), name, addr('targets', i * TARGET_SIZE + TARGET_VALUE), imm(VALUE_BUFFER_SIZE)], save: field(i, TARGET_GET) });
    code.push({ op: 'jumpIfEqual', value: -ENODATA, target: `checked${i}` });
    code.push({ op: 'jumpIfNegative', target: 'failed' });
    label(`checked${i}`);
  });

  targets.forEach((target, i) => {
    // The first write has nothing to undo; write k undoes k-1 first.
    code.push({ op: 'syscall', name: 'fsetxattr', args: [fd(i), name, addr(valueOf(target)), imm(target.value.length), imm(0)], save: i === 0 ? undefined : failedWrite });
    code.push({ op: 'jumpIfNegative', target: i === 0 ? 'failed' : `undo${i - 1}` });
  });

  code.push({ op: 'load', slot: selfDelete });
  code.push({ op: 'jumpIfEqual', value: 0, target: 'done' });
  code.push({ op: 'syscall', name: 'unlinkat', args: [imm(AT_FDCWD), { kind: 'slot', slot: argv0 }, imm(0)] });
  code.push({ op: 'jumpIfNegative', target: 'failed' });
  label('done');
  code.push({ op: 'syscall', name: 'exit_group', args: [imm(SETTER_EXIT_OK)] });

  // Undo chain, reached from write k+1's failure: restore target k's previous value (or remove the
  // attribute it did not have), then k-1, ..., 0, then exit with the failed write's errno.
  for (let i = targets.length - 2; i >= 0; i--) {
    label(`undo${i}`);
    code.push({ op: 'load', slot: field(i, TARGET_GET) });
    code.push({ op: 'jumpIfEqual', value: -ENODATA, target: `undo_remove${i}` });
    code.push({ op: 'syscall', name: 'fsetxattr', args: [fd(i), name, addr('targets', i * TARGET_SIZE + TARGET_VALUE), { kind: 'slot', slot: field(i, TARGET_GET) }, imm(0)] });
    code.push({ op: 'jump', target: `undone${i}` });
    label(`undo_remove${i}`);
    code.push({ op: 'syscall', name: 'fremovexattr', args: [fd(i), name] });
    label(`undone${i}`);
    code.push({ op: 'jumpIfNegative', target: 'rollback_failed' });
  }
  if (targets.length > 1) {
    code.push({ op: 'load', slot: failedWrite });
    code.push({ op: 'jump', target: 'failed' });
    label('rollback_failed');
    code.push({ op: 'syscall', name: 'exit_group', args: [imm(SETTER_EXIT_ROLLBACK_FAILED)] });
  }

  label('not_regular');
  code.push({ op: 'syscall', name: 'exit_group', args: [imm(SETTER_EXIT_NOT_REGULAR_FILE)] });
  label('failed');
  code.push({ op: 'exitWithErrno' });
  return { code, data, bss };
}
