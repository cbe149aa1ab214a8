// The helper program for a batch of security.capability operations, all or nothing. One plan, two
// ways to tell what happened:
//   'report' (runXattrBatch): the program writes its records to fd 1 and exits EXIT_*;
//   'setter' (a standalone setter, `emit`): the exit status is the only result, the errno of the
//            failing call or SETTER_EXIT_*, and the program deletes itself after success when its
//            argv[0] names a one-shot ('!' starts its last component).
//
// Phase A (check), for every operation in order, nothing written:
//   fd = openat(AT_FDCWD, path, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC)
//        O_NOFOLLOW: a symlink fails with ELOOP; O_NONBLOCK: opening a FIFO cannot block; the mode
//        argument is only read with O_CREAT or O_TMPFILE, so three arguments are enough;
//   fstat(fd) and S_ISREG(st_mode), since the kernel only accepts file capabilities on regular files;
//   fgetxattr(fd, "security.capability", buf, 32): the previous value, or -ENODATA for none.
//   A `remove` (or a `set` with mustExist) of an attribute that is absent fails here with ENODATA:
//   libcap 2.66 `setcap -r` refuses such a file too ("has no capablity to remove", exit 1).
//   The first failure stops the program. In setter mode results nobody reads again are not stored
//   and the previous value is read only where an undo or a remove needs it: one path is one write.
// Check report: the check records (written even on failure), so the caller knows every previous
//   value before anything is written, even if the helper is killed later.
// Phase B (write), for every set/remove in order: fsetxattr(fd, name, value, len, 0) or
//   fremovexattr(fd, name). If write k fails, writes k-1..0 are undone from the previous values
//   (fsetxattr of the old bytes, or fremovexattr when there were none), last first, each one
//   tried even when an undo before it failed.
// Write report: the write records.
// Everything after openat goes through the descriptor: a path swapped for a symlink after the
// check can never be followed.

import { AT_FDCWD, STAT_BUFFER_SIZE, type Instruction, type OpenFlag, type Operand, type Program, type Slot, type SyscallName } from './program';
import type { XattrOp, XattrPath } from './xattr';

/**
 * The operations a batch program performs: XattrOp, plus
 *   `clear`: a remove that is not an error when there is nothing to remove (no write then).
 *     runXattrBatch uses it to put back "no attribute" after a helper was killed mid-way, when it
 *     cannot know which writes happened, and for a file whose pairs end in a remove after a set;
 *   `set` with `mustExist`: checked like a remove (absent: ENODATA, nothing written), written like
 *     a set: a file named first by a remove and last by a set (`setcap -r f cap_kill+p f`).
 */
export type BatchOp =
  | XattrOp
  | { kind: 'clear'; path: XattrPath }
  | { kind: 'set'; path: XattrPath; value: Uint8Array; mustExist: true };

/** The check fails with ENODATA when the file has no attribute: a remove, or a set that stands for one. */
export function requiresAttribute(op: BatchOp): boolean {
  return op.kind === 'remove' || (op.kind === 'set' && 'mustExist' in op && op.mustExist === true);
}

/** 'report': records on fd 1 and EXIT_* (runXattrBatch); 'setter': exit status only, argv[0] self-delete (emit). */
export type BatchProgramMode = 'report' | 'setter';

export const XATTR_NAME_CAPS = 'security.capability';
/** Room for the previous value: VFS_CAP_U32_3 * 4 + 12 = 24 bytes is the largest the kernel writes. */
export const VALUE_BUFFER_SIZE = 32;
/** asm-generic/errno.h, shared by every architecture we generate code for. */
export const ENODATA = 61;

// Exit statuses in report mode.
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
/** A write failed; every write before it was undone. */
export const EXIT_WRITE_FAILED = 2;
export const EXIT_ROLLBACK_FAILED = 3;

// Exit statuses in setter mode besides 0: any other non-zero status is the errno of the failing call.
/** A target is not a regular file (directory, FIFO, device, socket): nothing written. */
export const SETTER_EXIT_NOT_REGULAR_FILE = 200;
/** A write failed, and undoing an earlier write failed too: files may be left with new values. */
export const SETTER_EXIT_ROLLBACK_FAILED = 201;

/**
 * One check record per operation, CHECK_RECORD_SIZE bytes, words in the target's byte order:
 *   0 openat result (fd or -errno)   8 fstat result   16 st_mode   24 fgetxattr result (length or -errno)
 *   32 the previous value (VALUE_BUFFER_SIZE bytes)
 */
export const CHECK_RECORD_SIZE = 64;
const CHECK_OPEN = 0;
const CHECK_FSTAT = 8;
const CHECK_MODE = 16;
const CHECK_GET = 24;
const CHECK_VALUE = 32;
/** One write record per operation: 0 fsetxattr/fremovexattr result, 8 undo result. */
export const WRITE_RECORD_SIZE = 16;
const WRITE_RESULT = 0;
const WRITE_UNDO = 8;

export const OPEN_FLAGS: readonly OpenFlag[] = ['O_RDONLY', 'O_NOFOLLOW', 'O_NONBLOCK', 'O_NOCTTY', 'O_CLOEXEC'];

/** A NUL-terminated path: a string's UTF-8 bytes, or a file name's bytes as they are; a NUL inside would silently cut it. */
export function cString(text: string | Uint8Array, what: string): Uint8Array {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  if (bytes.includes(0)) throw new TypeError(`${what} ${JSON.stringify(typeof text === 'string' ? text : bytes.toString('latin1'))} contains a NUL byte`);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

export function buildBatchProgram(ops: readonly BatchOp[], mode: BatchProgramMode): Program {
  const report = mode === 'report';
  if (!report && ops.length === 0) throw new RangeError('a setter needs at least one path');
  const code: Instruction[] = [];
  const data: Program['data'] = [{ name: 'name', bytes: cString(XATTR_NAME_CAPS, 'attribute name') }];
  const bss: Program['bss'] = [
    { name: 'checks', size: CHECK_RECORD_SIZE * ops.length },
    ...(report ? [{ name: 'writes', size: WRITE_RECORD_SIZE * ops.length }] : []),
    { name: 'stat', size: STAT_BUFFER_SIZE },
    // 0: report: the exit status; setter: the failed write's result, then -SETTER_EXIT_ROLLBACK_FAILED
    // 8, 16 (setter): argv[0], delete on success (0/1)
    { name: 'status', size: report ? 8 : 24 },
  ];
  const check = (i: number, field: number): Slot => ({ symbol: 'checks', offset: i * CHECK_RECORD_SIZE + field });
  const write = (i: number, field: number): Slot => ({ symbol: 'writes', offset: i * WRITE_RECORD_SIZE + field });
  const status: Slot = { symbol: 'status', offset: 0 };
  const argv0: Slot = { symbol: 'status', offset: 8 };
  const selfDelete: Slot = { symbol: 'status', offset: 16 };
  const slot = (s: Slot): Operand => ({ kind: 'slot', slot: s });
  const imm = (value: number): Operand => ({ kind: 'imm', value });
  const addr = (symbol: string, offset = 0): Operand => ({ kind: 'addr', symbol, offset });
  const fds: Operand[] = ops.map((_, i) => slot(check(i, CHECK_OPEN)));
  const fd = (i: number): Operand => fds[i]!;
  const previous = (i: number): Operand => addr('checks', i * CHECK_RECORD_SIZE + CHECK_VALUE);
  const openFlags: Operand = { kind: 'openFlags', flags: OPEN_FLAGS };
  const atFdcwd = imm(AT_FDCWD);
  const zero = imm(0);
  const statBuffer = addr('stat');
  const valueSize = imm(VALUE_BUFFER_SIZE);
  const name = addr('name');
  const syscall = (nameOf: SyscallName, args: Operand[], save?: Slot): void => {
    code.push(save ? { op: 'syscall', name: nameOf, args, save } : { op: 'syscall', name: nameOf, args });
  };
  const label = (n: string): void => void code.push({ op: 'label', name: n });
  const jump = (target: string): void => void code.push({ op: 'jump', target });
  const jumpIfNegative = (target: string): void => void code.push({ op: 'jumpIfNegative', target });
  const writeReport = (symbol: string, size: number): void => {
    if (report && size > 0) syscall('write', [imm(1), addr(symbol), imm(size)]);
  };

  // Where each failure goes: report mode writes a report and exits EXIT_*; setter mode exits with
  // the errno in the result register ('failed') or a SETTER_EXIT_* status.
  const checkFailed = report ? 'check_failed' : 'failed';
  const notRegular = report ? 'check_failed' : 'not_regular';
  // Which results are needed later: everything when reporting; otherwise the previous value only
  // where an undo restores it or a remove needs it to exist.
  const writers = ops.flatMap((op, i) => (op.kind === 'get' ? [] : [i]));
  const undone = new Set(writers.slice(0, -1));
  const keep = (i: number, field: number): Slot | undefined => (report ? check(i, field) : undefined);
  // Report mode records every write and undo; setter mode keeps a failed write's result (but the
  // first's: nothing to undo, it exits at once) for the exit status after the undo chain.
  const keepWrite = (i: number, k: number): Slot | undefined => (report ? write(i, WRITE_RESULT) : k > 0 ? status : undefined);
  const keepUndo = (i: number): Slot | undefined => (report ? write(i, WRITE_UNDO) : undefined);

  if (!report) code.push({ op: 'inspectArgv0', pointer: argv0, selfDelete });

  // Phase A
  const values = new Map<string, string>();
  ops.forEach((op, i) => {
    data.push({ name: `path${i}`, bytes: cString(op.path, 'path') });
    if (op.kind === 'set') {
      // operations sharing one value share its bytes
      const key = Buffer.from(op.value).toString('hex');
      if (!values.has(key)) {
        values.set(key, `value${i}`);
        data.push({ name: `value${i}`, bytes: op.value });
      }
    }
    syscall('openat', [atFdcwd, addr(`path${i}`), openFlags], check(i, CHECK_OPEN));
    jumpIfNegative(checkFailed);
    syscall('fstat', [fd(i), statBuffer], keep(i, CHECK_FSTAT));
    jumpIfNegative(checkFailed);
    code.push(report ? { op: 'loadMode', stat: 'stat', save: check(i, CHECK_MODE) } : { op: 'loadMode', stat: 'stat' });
    code.push({ op: 'jumpIfNotRegularFile', target: notRegular });
    if (report || requiresAttribute(op) || op.kind === 'clear' || undone.has(i)) {
      syscall('fgetxattr', [fd(i), name, previous(i), valueSize], check(i, CHECK_GET));
      code.push({ op: 'jumpIfEqual', value: -ENODATA, target: requiresAttribute(op) ? checkFailed : `checked${i}` });
      jumpIfNegative(checkFailed);
      label(`checked${i}`);
    }
  });
  writeReport('checks', CHECK_RECORD_SIZE * ops.length);

  // Phase B: a failed write k jumps to the undo of the write before it; the first has none.
  const firstWriteFailed = report ? 'write_failed' : 'failed';
  if (report && writers.length > 1) code.push({ op: 'store', slot: status, value: EXIT_WRITE_FAILED });
  writers.forEach((i, k) => {
    const op = ops[i]!;
    const undoTarget = k === 0 ? firstWriteFailed : `undo${writers[k - 1]}`;
    if (op.kind === 'set') {
      const value = values.get(Buffer.from(op.value).toString('hex'))!;
      syscall('fsetxattr', [fd(i), name, addr(value), imm(op.value.length), zero], keepWrite(i, k));
    } else {
      if (op.kind === 'clear') {
        code.push({ op: 'load', slot: check(i, CHECK_GET) });
        code.push({ op: 'jumpIfEqual', value: -ENODATA, target: `written${i}` });
      }
      syscall('fremovexattr', [fd(i), name], keepWrite(i, k));
    }
    jumpIfNegative(undoTarget);
    if (op.kind === 'clear') label(`written${i}`);
  });
  writeReport('writes', WRITE_RECORD_SIZE * ops.length);
  if (!report) {
    // Delete only when every write succeeded and argv[0] named a one-shot. unlinkat gets argv[0]
    // as it was run: absolute, or relative to the working directory the program started in.
    code.push({ op: 'load', slot: selfDelete });
    code.push({ op: 'jumpIfEqual', value: 0, target: 'done' });
    syscall('unlinkat', [atFdcwd, slot(argv0), zero]);
    jumpIfNegative('failed');
    label('done');
  }
  syscall('exit_group', [imm(EXIT_OK)]);
  if (!report) {
    label('not_regular');
    syscall('exit_group', [imm(SETTER_EXIT_NOT_REGULAR_FILE)]);
  }

  // Undo chain, last write first: each step restores the value phase A read and falls through to
  // the one before it. The last write is never undone: it is the one that failed or none did.
  for (const i of [...undone].reverse()) {
    label(`undo${i}`);
    code.push({ op: 'load', slot: check(i, CHECK_GET) });
    // A clear of an absent attribute wrote nothing: nothing to undo.
    code.push({ op: 'jumpIfEqual', value: -ENODATA, target: ops[i]!.kind === 'clear' ? `undo_next${i}` : `undo_remove${i}` });
    syscall('fsetxattr', [fd(i), name, previous(i), slot(check(i, CHECK_GET)), zero], keepUndo(i));
    jump(`undone${i}`);
    label(`undo_remove${i}`);
    syscall('fremovexattr', [fd(i), name], keepUndo(i));
    label(`undone${i}`);
    jumpIfNegative(`undo_failed${i}`);
    jump(`undo_next${i}`);
    label(`undo_failed${i}`);
    code.push({ op: 'store', slot: status, value: report ? EXIT_ROLLBACK_FAILED : -SETTER_EXIT_ROLLBACK_FAILED });
    label(`undo_next${i}`);
  }
  if (report) {
    if (writers.length > 0) {
      label('write_failed');
      writeReport('writes', WRITE_RECORD_SIZE * ops.length);
      syscall('exit_group', [writers.length > 1 ? slot(status) : imm(EXIT_WRITE_FAILED)]);
    }
    label('check_failed');
    writeReport('checks', CHECK_RECORD_SIZE * ops.length);
    syscall('exit_group', [imm(EXIT_CHECK_FAILED)]);
  } else {
    // status: -errno of the failed write, or -SETTER_EXIT_ROLLBACK_FAILED; the result register
    // holds -errno when a jump lands on `failed`.
    if (undone.size > 0) code.push({ op: 'load', slot: status });
    label('failed');
    code.push({ op: 'exitWithErrno' });
  }

  return { code, data, bss };
}

export interface CheckRecord {
  open: number;
  fstat: number;
  mode: number;
  get: number;
  value: Uint8Array;
}

export interface WriteRecord {
  result: number;
  undo: number;
}

function word(view: DataView, at: number, little: boolean): number {
  return Number(view.getBigInt64(at, little));
}

export function readCheckRecords(report: Uint8Array, count: number, little: boolean): CheckRecord[] {
  const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
  return Array.from({ length: count }, (_, i) => {
    const at = i * CHECK_RECORD_SIZE;
    return {
      open: word(view, at + CHECK_OPEN, little),
      fstat: word(view, at + CHECK_FSTAT, little),
      mode: word(view, at + CHECK_MODE, little),
      get: word(view, at + CHECK_GET, little),
      value: report.slice(at + CHECK_VALUE, at + CHECK_VALUE + VALUE_BUFFER_SIZE),
    };
  });
}

export function readWriteRecords(report: Uint8Array, count: number, little: boolean): WriteRecord[] {
  const view = new DataView(report.buffer, report.byteOffset, report.byteLength);
  return Array.from({ length: count }, (_, i) => ({
    result: word(view, i * WRITE_RECORD_SIZE + WRITE_RESULT, little),
    undo: word(view, i * WRITE_RECORD_SIZE + WRITE_UNDO, little),
  }));
}
