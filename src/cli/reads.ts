// Reading security.capability of many files with the native helper. runXattrBatch stops at the
// first file it cannot read (it is built for all-or-nothing writes), so after a failure the files
// after it are read by another run; with no failure, everything is read by one helper run.
import { runXattrBatch, type XattrBatchOptions, type XattrOutcome } from '../native/xattr';

export type CapabilityRead =
  | { path: string; ok: true; value: Uint8Array | null; mode?: number }
  | { path: string; ok: false; error: NonNullable<XattrOutcome['error']>; mode?: number };

/** The attribute of each path, in order: its bytes, null when it has none, or why it could not be read. */
export function readCapabilities(paths: readonly string[], options?: XattrBatchOptions): CapabilityRead[] {
  const reads: CapabilityRead[] = [];
  while (reads.length < paths.length) {
    const before = reads.length;
    const rest = paths.slice(reads.length);
    const result = runXattrBatch(
      rest.map((path) => ({ kind: 'get', path })),
      options,
    );
    for (const outcome of result.outcomes) {
      const { path } = outcome.op;
      if (outcome.error) {
        reads.push({ path, ok: false, error: outcome.error, mode: outcome.mode });
        break;
      }
      if (outcome.previous === undefined) {
        // Not reached: the helper stopped at an earlier failure (handled above); defensive.
        break;
      }
      reads.push({ path, ok: true, value: outcome.previous, mode: outcome.mode });
    }
    if (reads.length === before) {
      throw new Error(`runXattrBatch reported neither a value nor an error for ${paths[before]}`);
    }
  }
  return reads;
}
