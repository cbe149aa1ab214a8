// STUB (interface only): owned by the native helper, replaced by the real implementation.

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

/** Thrown when the helper program cannot be written or run, or died (signal) before reporting. */
export class NativeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NativeError';
  }
}

/**
 * Runs all operations in one helper program run, all or nothing: every target is opened
 * (O_NOFOLLOW), checked to be a regular file and its current attribute read before the first
 * write; if any of that fails nothing is written; if a write fails, earlier writes are undone.
 */
export function runXattrBatch(ops: readonly XattrOp[], options?: XattrBatchOptions): XattrBatchResult {
  throw new Error('stub');
}
