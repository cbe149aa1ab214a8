// runXattrBatch: the only code that runs a helper program. It generates the batch program
// (batch.ts) for the target architecture, runs it once (exec.ts) and turns its reports into
// outcomes.

import { constants as osConstants } from 'node:os';
import { backends, hostArch } from './arch';
import { assemble } from './assemble';
import {
  CHECK_RECORD_SIZE,
  ENODATA,
  EXIT_CHECK_FAILED,
  EXIT_OK,
  EXIT_WRITE_FAILED,
  WRITE_RECORD_SIZE,
  buildBatchProgram,
  type BatchOp,
  readCheckRecords,
  readWriteRecords,
} from './batch';
import { NativeError } from './errors';
import { runHelper, type HelperRun } from './exec';
import { S_IFMT, S_IFREG, type ArchName } from './program';

export { NativeError } from './errors';

/** One operation on one file's security.capability attribute. */
export type XattrOp =
  | { kind: 'set'; path: string; value: Uint8Array }
  | { kind: 'remove'; path: string }
  | { kind: 'get'; path: string };

/** Where an operation failed. */
export type XattrStage = 'open' | 'fstat' | 'type' | 'get' | 'set' | 'remove';

export interface XattrOutcome {
  op: XattrOp;
  /** st_mode from fstat on the opened descriptor, when reached. */
  mode?: number;
  /** The attribute as it was before the batch: its bytes, or null when the file had none (ENODATA). */
  previous?: Uint8Array | null;
  /** Absent when the operation succeeded. errno is positive; code is its name ('ENOENT', 'ELOOP', ...). */
  error?: { stage: XattrStage; errno: number; code: string };
}

export interface XattrBatchResult {
  /** Every operation succeeded. */
  ok: boolean;
  outcomes: XattrOutcome[];
  /** A write failed after earlier writes had been made, and those earlier writes were undone. */
  rolledBack: boolean;
}

export interface XattrBatchOptions {
  /** Machine code to generate; default: the running machine's. */
  arch?: 'x86_64' | 'aarch64';
  /** Run the helper through an emulator, e.g. ['qemu-aarch64-static']. */
  emulator?: string[];
}

/** The errno a non-regular file is reported with: what the kernel answers to a capability on one (cap_convert_nscap). */
export const EINVAL = 22;

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno)) if (!errnoNames.has(value)) errnoNames.set(value, name);
errnoNames.set(95, 'EOPNOTSUPP'); // the kernel's name; ENOTSUP is libc's alias

/** 'ENOENT' for 2; `E${n}` for a number Node does not name. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

function failure(stage: XattrStage, negativeErrno: number): NonNullable<XattrOutcome['error']> {
  const errno = -negativeErrno;
  return { stage, errno, code: errnoName(errno) };
}

function describeEnd(run: HelperRun): string {
  const how = run.signal ? `was killed by ${run.signal}` : `exited with status ${run.status}`;
  const stderr = run.stderr.toString().trim();
  return `the helper program ${how}${stderr ? ` (${stderr.split('\n')[0]})` : ''}`;
}

/**
 * Runs all operations in one helper program run, all or nothing: every target is opened
 * (O_NOFOLLOW), checked to be a regular file and its current attribute read before the first
 * write; if any of that fails nothing is written; if a write fails, earlier writes are undone.
 */
export function runXattrBatch(ops: readonly XattrOp[], options?: XattrBatchOptions): XattrBatchResult {
  return runBatch(ops, options) as XattrBatchResult;
}

/** An XattrOutcome for any BatchOp. */
type BatchOutcome = Omit<XattrOutcome, 'op'> & { op: BatchOp };
interface BatchResult {
  ok: boolean;
  outcomes: BatchOutcome[];
  rolledBack: boolean;
}

/** `restoring`: this run is the restore after a lost helper; losing it too is not retried. */
function runBatch(ops: readonly BatchOp[], options?: XattrBatchOptions, restoring = false): BatchResult {
  if (ops.length === 0) return { ok: true, outcomes: [], rolledBack: false };
  const arch: ArchName | undefined = options?.arch ?? hostArch();
  if (!arch) throw new NativeError(`no code generator for this machine (${process.arch}); supported: ${Object.keys(backends).join(', ')}`);
  const backend = backends[arch];
  const { elf } = assemble(buildBatchProgram(ops, 'report'), backend);
  const run = runHelper(elf, options?.emulator);
  const little = backend.endian === 'little';

  const checkSize = CHECK_RECORD_SIZE * ops.length;
  if (run.stdout.length < checkSize) {
    throw new NativeError(`${describeEnd(run)} before reporting its checks; nothing was written`);
  }
  const outcomes: BatchOutcome[] = ops.map((op) => ({ op }));
  const checks = readCheckRecords(run.stdout.subarray(0, checkSize), ops.length, little);
  const checkFailed = checks.some((check, i) => {
    const outcome = outcomes[i]!;
    if (check.open < 0) outcome.error = failure('open', check.open);
    else if (check.fstat < 0) outcome.error = failure('fstat', check.fstat);
    else {
      outcome.mode = check.mode;
      if ((check.mode & S_IFMT) !== S_IFREG) outcome.error = failure('type', -EINVAL);
      else if (check.get === -ENODATA) {
        outcome.previous = null;
        if (outcome.op.kind === 'remove') outcome.error = failure('remove', check.get);
      } else if (check.get < 0) outcome.error = failure('get', check.get);
      else outcome.previous = check.value.slice(0, check.get);
    }
    return outcome.error !== undefined;
  });
  if (checkFailed) {
    if (run.signal === null && run.status !== EXIT_CHECK_FAILED) throw new NativeError(`${describeEnd(run)} after a failed check; nothing was written`);
    return { ok: false, outcomes, rolledBack: false };
  }

  const writeSize = WRITE_RECORD_SIZE * ops.length;
  if (run.stdout.length < checkSize + writeSize) {
    if (restoring) throw new NativeError(`${describeEnd(run)} before reporting its writes`);
    return restoreAfterLostHelper(ops, outcomes, run, options);
  }
  const writes = readWriteRecords(run.stdout.subarray(checkSize, checkSize + writeSize), ops.length, little);
  const writers = ops.flatMap((op, i) => (op.kind === 'get' ? [] : [i]));
  const failed = writers.findIndex((i) => writes[i]!.result < 0);
  // From here the write report is complete and authoritative; a helper killed after writing it
  // (run.signal) changed nothing more. A normal exit must agree with the report.
  const exited = (status: number): boolean => run.signal !== null || run.status === status;
  if (failed < 0) {
    if (!exited(EXIT_OK)) throw new NativeError(`${describeEnd(run)} after reporting every write as done`);
    return { ok: true, outcomes, rolledBack: false };
  }
  const failedOp = writers[failed]!;
  outcomes[failedOp]!.error = failure(ops[failedOp]!.kind === 'set' ? 'set' : 'remove', writes[failedOp]!.result);
  const notRestored = writers.slice(0, failed).filter((i) => writes[i]!.undo < 0);
  if (notRestored.length > 0) {
    const which = notRestored.map((i) => `${ops[i]!.path} (${errnoName(-writes[i]!.undo)})`).join(', ');
    throw new NativeError(`writing ${ops[failedOp]!.path} failed (${outcomes[failedOp]!.error!.code}) and undoing the earlier writes failed too: ${which} left changed`);
  }
  if (!exited(EXIT_WRITE_FAILED)) throw new NativeError(`${describeEnd(run)} after reporting a failed write and its undo`);
  return { ok: false, outcomes, rolledBack: failed > 0 };
}

/**
 * The helper reported its checks, then ended without reporting its writes (killed by a signal):
 * any prefix of the writes may have happened. One more run puts every written file back as the
 * checks saw it (set the old bytes, or `clear`: remove if present), then this throws.
 */
function restoreAfterLostHelper(ops: readonly BatchOp[], outcomes: BatchOutcome[], run: HelperRun, options?: XattrBatchOptions): never {
  const lost = `${describeEnd(run)} after checking every file and before reporting its writes`;
  const previousByPath = new Map<string, Uint8Array | null>();
  ops.forEach((op, i) => {
    if (op.kind !== 'get' && !previousByPath.has(op.path)) previousByPath.set(op.path, outcomes[i]!.previous ?? null);
  });
  const restore = [...previousByPath].map(([path, before]): BatchOp => (before === null ? { kind: 'clear', path } : { kind: 'set', path, value: before }));
  let changed: number;
  try {
    const restored = runBatch(restore, options, true);
    const bad = restored.outcomes.find((o) => o.error);
    if (bad) throw new NativeError(`${bad.op.path}: ${bad.error!.stage} ${bad.error!.code}`);
    changed = restored.outcomes.filter((o) => !sameValue(o.previous ?? null, previousByPath.get(o.op.path)!)).length;
  } catch (error) {
    throw new NativeError(`${lost}; restoring the previous values failed (${(error as Error).message}): check ${[...previousByPath.keys()].join(', ')}`);
  }
  throw new NativeError(`${lost}; ${changed} file(s) had changed and were restored to their previous values`);
}

function sameValue(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}
