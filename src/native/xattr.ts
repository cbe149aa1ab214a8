// runXattrBatch: the only code that runs a helper program. It generates the batch program
// (batch.ts) for the target architecture, runs it (exec.ts), once unless the open-file limit says
// otherwise, and turns its reports into outcomes.

import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import { backends, hostArch } from './arch';
import { assemble } from './assemble';
import {
  CHECK_RECORD_SIZE,
  requiresAttribute,
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
import { filesPerHelperRun } from './limits';
import { S_IFMT, S_IFREG, type ArchName } from './program';

export { NativeError } from './errors';

/**
 * A file name as the kernel takes it. Linux names are bytes: a string stands for its UTF-8
 * encoding, a Buffer for itself (a name that is not UTF-8, as /proc/self/cmdline or a readdir in
 * 'buffer' encoding gives it).
 */
export type XattrPath = string | Buffer;

/** One operation on one file's security.capability attribute. */
export type XattrOp =
  | { kind: 'set'; path: XattrPath; value: Uint8Array }
  | { kind: 'remove'; path: XattrPath }
  | { kind: 'get'; path: XattrPath };

/** The bytes a path names: what decides whether two operations are on the same file name. */
export function pathBytes(path: XattrPath): Buffer {
  return typeof path === 'string' ? Buffer.from(path, 'utf8') : path;
}

/** A path for a message of this module: as typed, or with the bytes that are not UTF-8 escaped. */
function showPath(path: XattrPath): string {
  return typeof path === 'string' ? path : JSON.stringify(path.toString('latin1')).slice(1, -1);
}

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
 * Runs all operations, all or nothing: every target is opened (O_NOFOLLOW), checked to be a
 * regular file and its current attribute read before the first write; if any of that fails
 * nothing is written; if a write fails, earlier writes are undone. One helper run does it all,
 * unless there are more files than the open-file limit allows one run to hold (runInChunks).
 *
 * The operations act in order, as libcap's setcap applies its pairs one after the other: an
 * operation on a file named earlier in the batch (by any spelling: fileIdentity) acts on what the
 * earlier ones left (`set` then `remove` of one file succeeds and leaves it without an attribute;
 * `remove` twice fails at the second). A file is written once, with its last operation's result
 * (planSequence).
 */
export function runXattrBatch(ops: readonly XattrOp[], options?: XattrBatchOptions): XattrBatchResult {
  const plan = planSequence(ops);
  if (plan.refused !== undefined) return refuseAfterChecks(ops, plan, options);
  const result = runInChunks(plan.batch, options);
  return { ok: result.ok, outcomes: ops.map((op, i) => carriedOutcome(op, i, plan, result.outcomes)), rolledBack: result.rolledBack };
}

interface SequencePlan {
  /** One operation per `get`, and per file that is set or removed, at its first operation: its check, then its last operation's write. */
  batch: BatchOp[];
  /** For each operation: the index in `batch` of the operation that carries it. */
  carrier: number[];
  /** For each operation: whether it is the first on its file (it gives the check and takes the errors). */
  first: boolean[];
  /** For each later operation on a file: the attribute the operations before it leave (bytes, or null: none). */
  before: (Uint8Array | null | undefined)[];
  /** The first operation that fails whatever the file holds: a remove right after a remove of the same file. */
  refused?: number;
}

/**
 * Folds the operations on one file into one: checked as the first of them requires (a remove
 * needs an attribute to be there), written as the last of them leaves the file. What comes
 * between is known without looking at the file: after a set there is an attribute, after a
 * remove there is none.
 */
function planSequence(ops: readonly XattrOp[]): SequencePlan {
  const plan: SequencePlan = { batch: [], carrier: [], first: [], before: [] };
  const byFile = new Map<string, { at: number; first: XattrOp; now: Uint8Array | null }>();
  ops.forEach((op, i) => {
    if (op.kind === 'get') {
      plan.carrier.push(plan.batch.push(op) - 1);
      plan.first.push(true);
      plan.before.push(undefined);
      return;
    }
    const key = fileIdentity(op.path);
    const seen = byFile.get(key);
    const now = op.kind === 'set' ? op.value : null;
    if (!seen) {
      byFile.set(key, { at: plan.batch.length, first: op, now });
      plan.carrier.push(plan.batch.push(op) - 1);
      plan.first.push(true);
      plan.before.push(undefined);
      return;
    }
    plan.carrier.push(seen.at);
    plan.first.push(false);
    plan.before.push(seen.now);
    if (op.kind === 'remove' && seen.now === null && plan.refused === undefined) plan.refused = i;
    seen.now = now;
    const path = seen.first.path;
    const firstRemoves = seen.first.kind === 'remove';
    if (op.kind === 'set') plan.batch[seen.at] = firstRemoves ? { kind: 'set', path, value: op.value, mustExist: true } : { kind: 'set', path, value: op.value };
    else plan.batch[seen.at] = firstRemoves ? { kind: 'remove', path } : { kind: 'clear', path };
  });
  return plan;
}

/**
 * What makes two operations act on one file: its inode when lstat finds a regular file (so `g`,
 * `./g` and a hard link of it are one file, as they are to libcap's sequential setcap), else the
 * path's bytes (a missing file, a symlink or another type: its check fails anyway). The helper
 * opens the path again; a file replaced in between is checked and written as found then.
 */
export function fileIdentity(path: XattrPath): string {
  try {
    const stat = fs.lstatSync(path, { bigint: true });
    if ((Number(stat.mode) & S_IFMT) === S_IFREG) return `inode ${stat.dev}:${stat.ino}`;
  } catch {
    // not there (yet): its bytes
  }
  return `path ${pathBytes(path).toString('latin1')}`;
}

/** The outcome of operation i from the outcome of the operation that carried it. */
function carriedOutcome(op: XattrOp, i: number, plan: SequencePlan, carried: readonly BatchOutcome[]): XattrOutcome {
  const outcome = carried[plan.carrier[i]!]!;
  const result: XattrOutcome = { op };
  if (outcome.mode !== undefined) result.mode = outcome.mode;
  if (plan.first[i]) {
    if (outcome.previous !== undefined) result.previous = outcome.previous;
    if (outcome.error) {
      // A write of a folded path failed: as libcap's would have, at the path's first operation.
      const writing = outcome.error.stage === 'set' || outcome.error.stage === 'remove';
      const stage = writing ? (op.kind === 'set' ? 'set' : 'remove') : outcome.error.stage;
      result.error = { ...outcome.error, stage };
    }
  } else if (outcome.previous !== undefined) {
    result.previous = plan.before[i]!;
  }
  return result;
}

/**
 * A remove right after a remove of the same file fails whatever the file holds. libcap's setcap
 * would fail there, after applying the pairs before it; here nothing is written. The files of the
 * operations before it are checked (read only) so that an earlier failure is the one reported.
 */
function refuseAfterChecks(ops: readonly XattrOp[], plan: SequencePlan, options?: XattrBatchOptions): XattrBatchResult {
  const refused = plan.refused!;
  const carriers = [...new Set(plan.carrier.slice(0, refused))];
  const reads = runInChunks(
    carriers.map((at): BatchOp => ({ kind: 'get', path: plan.batch[at]!.path })),
    options,
  ).outcomes;
  const checked: BatchOutcome[] = plan.batch.map((op) => ({ op }));
  let failed = false;
  carriers.forEach((at, k) => {
    if (failed) return;
    const read = reads[k]!;
    const outcome = checked[at]!;
    if (read.mode !== undefined) outcome.mode = read.mode;
    if (read.previous !== undefined) outcome.previous = read.previous;
    if (read.error) outcome.error = read.error;
    else if (read.previous === null && requiresAttribute(plan.batch[at]!)) outcome.error = failure('remove', -ENODATA);
    else if (read.previous === undefined) throw new NativeError(`the helper program reported neither a value nor an error for ${showPath(read.op.path)}`);
    failed = outcome.error !== undefined;
  });
  const outcomes = ops.map((op, i) => (i < refused ? carriedOutcome(op, i, plan, checked) : { op }));
  if (!failed) outcomes[refused]!.error = failure('remove', -ENODATA);
  return { ok: false, outcomes, rolledBack: false };
}

/**
 * Chunks exist because of the open-file limit: a helper holds every file of its batch open from
 * its checks to its last write, so a batch of more files than RLIMIT_NOFILE allows fails with
 * EMFILE (600 files under `ulimit -n 256`), where libcap's setcap, one file at a time, sets them
 * all. Only then is the batch split, one helper run per chunk, still all or nothing: when chunk k
 * fails its checks or a write, or its helper is lost, every file the earlier chunks wrote is put
 * back to the value their checks reported (the restore used after a killed helper), then the
 * failure is reported. Within one chunk nothing changes: its own checks come before its writes.
 */
function runInChunks(batch: readonly BatchOp[], options?: XattrBatchOptions): BatchResult {
  const size = filesPerHelperRun();
  if (batch.length <= size) return runBatch(batch, options);
  const outcomes: BatchOutcome[] = [];
  const written: PreviousValue[] = [];
  for (let start = 0; start < batch.length; start += size) {
    const chunk = batch.slice(start, start + size);
    let result: BatchResult;
    try {
      result = runBatch(chunk, options);
    } catch (error) {
      if (!(error instanceof NativeError) || written.length === 0) throw error;
      throw new NativeError(`${error.message}; ${restoreEarlierChunks(written, options)}`);
    }
    outcomes.push(...result.outcomes);
    if (!result.ok) {
      if (written.length > 0) {
        try {
          restorePrevious(written, options);
        } catch (error) {
          const failed = result.outcomes.find((o) => o.error)!;
          throw new NativeError(`${showPath(failed.op.path)}: ${failed.error!.stage} failed (${failed.error!.code}); ${restoreFailure(written, error)}`);
        }
      }
      outcomes.push(...batch.slice(start + chunk.length).map((op) => ({ op })));
      return { ok: false, outcomes, rolledBack: result.rolledBack || written.length > 0 };
    }
    result.outcomes.forEach((o) => {
      if (o.op.kind !== 'get') written.push({ path: o.op.path, before: o.previous ?? null });
    });
  }
  return { ok: true, outcomes, rolledBack: false };
}

/** Restores what earlier chunks wrote after a later chunk's helper was lost; the words saying how that went. */
function restoreEarlierChunks(written: readonly PreviousValue[], options?: XattrBatchOptions): string {
  try {
    const changed = restorePrevious(written, options);
    return `the ${written.length} file(s) written by earlier helper runs were restored (${changed} had changed)`;
  } catch (error) {
    return restoreFailure(written, error);
  }
}

function restoreFailure(written: readonly PreviousValue[], error: unknown): string {
  return `restoring the files written by earlier helper runs failed (${(error as Error).message}): check ${written.map((w) => showPath(w.path)).join(', ')}`;
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
        if (requiresAttribute(outcome.op)) outcome.error = failure('remove', check.get);
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
    const which = notRestored.map((i) => `${showPath(ops[i]!.path)} (${errnoName(-writes[i]!.undo)})`).join(', ');
    throw new NativeError(`writing ${showPath(ops[failedOp]!.path)} failed (${outcomes[failedOp]!.error!.code}) and undoing the earlier writes failed too: ${which} left changed`);
  }
  if (!exited(EXIT_WRITE_FAILED)) throw new NativeError(`${describeEnd(run)} after reporting a failed write and its undo`);
  return { ok: false, outcomes, rolledBack: failed > 0 };
}

/** A file and the attribute it had before a batch wrote it: bytes, or null for none. */
interface PreviousValue {
  path: XattrPath;
  before: Uint8Array | null;
}

/**
 * The helper reported its checks, then ended without reporting its writes (killed by a signal):
 * any prefix of the writes may have happened. One more run puts every written file back as the
 * checks saw it (set the old bytes, or `clear`: remove if present), then this throws.
 */
function restoreAfterLostHelper(ops: readonly BatchOp[], outcomes: BatchOutcome[], run: HelperRun, options?: XattrBatchOptions): never {
  const lost = `${describeEnd(run)} after checking every file and before reporting its writes`;
  const previous: PreviousValue[] = [];
  const seen = new Set<string>();
  ops.forEach((op, i) => {
    const key = pathBytes(op.path).toString('latin1');
    if (op.kind !== 'get' && !seen.has(key)) {
      seen.add(key);
      previous.push({ path: op.path, before: outcomes[i]!.previous ?? null });
    }
  });
  let changed: number;
  try {
    changed = restorePrevious(previous, options);
  } catch (error) {
    throw new NativeError(`${lost}; restoring the previous values failed (${(error as Error).message}): check ${previous.map((p) => showPath(p.path)).join(', ')}`);
  }
  throw new NativeError(`${lost}; ${changed} file(s) had changed and were restored to their previous values`);
}

/**
 * Puts every file back to its previous value (set the old bytes, or `clear`), last written first,
 * in helper runs of at most filesPerHelperRun files; returns how many had changed. A restore that
 * is lost too is not retried: this throws.
 */
function restorePrevious(files: readonly PreviousValue[], options?: XattrBatchOptions): number {
  const size = filesPerHelperRun();
  const reversed = [...files].reverse();
  let changed = 0;
  for (let start = 0; start < reversed.length; start += size) {
    const chunk = reversed.slice(start, start + size);
    const restore = chunk.map(({ path, before }): BatchOp => (before === null ? { kind: 'clear', path } : { kind: 'set', path, value: before }));
    const restored = runBatch(restore, options, true);
    const bad = restored.outcomes.find((o) => o.error);
    if (bad) throw new NativeError(`${showPath(bad.op.path)}: ${bad.error!.stage} ${bad.error!.code}`);
    changed += restored.outcomes.filter((o, i) => !sameValue(o.previous ?? null, chunk[i]!.before)).length;
  }
  return changed;
}

function sameValue(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}
