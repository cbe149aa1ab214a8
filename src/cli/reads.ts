// Reading security.capability of many files with the native helper. The helper opens every file
// of its batch before reading any and keeps them open (it is built for all-or-nothing writes), so
// a batch is kept below the open-file limit: `get -r /` is read in runs of at most that many
// files, and everything else in one run. runXattrBatch also stops at the first file it cannot
// read, so after a failure the files after it are read by another run.
import { filesPerHelperRun } from '../native/limits';
import { runXattrBatch, type XattrBatchOptions, type XattrOutcome, type XattrPath } from '../native/xattr';

export { openFileLimit } from '../native/limits';

export type CapabilityRead =
  | { path: XattrPath; ok: true; value: Uint8Array | null; mode?: number }
  | { path: XattrPath; ok: false; error: NonNullable<XattrOutcome['error']>; mode?: number };

/** The attribute of each path, in order: its bytes, null when it has none, or why it could not be read. */
export function readCapabilities(paths: readonly XattrPath[], options?: XattrBatchOptions): CapabilityRead[] {
  const batchSize = filesPerHelperRun();
  const reads: CapabilityRead[] = [];
  while (reads.length < paths.length) {
    const before = reads.length;
    const batch = paths.slice(before, before + batchSize);
    const result = runXattrBatch(
      batch.map((path) => ({ kind: 'get', path })),
      options,
    );
    for (const outcome of result.outcomes) {
      const { path } = outcome.op;
      if (outcome.error) {
        reads.push({ path, ok: false, error: outcome.error, mode: outcome.mode });
        break;
      }
      // Not reported: the helper stopped at a failure, which was the previous outcome.
      if (outcome.previous === undefined) break;
      reads.push({ path, ok: true, value: outcome.previous, mode: outcome.mode });
    }
    if (reads.length === before) {
      throw new Error(`runXattrBatch reported neither a value nor an error for ${paths[before]}`);
    }
  }
  return reads;
}
