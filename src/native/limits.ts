// RLIMIT_NOFILE as the helper will meet it. A helper keeps every file of its batch open from its
// check phase to its last write (that is what makes the batch all-or-nothing), so a batch larger
// than the open-file limit fails with EMFILE part-way through its checks. Node raises its soft
// limit to the hard one at start-up, and a child inherits both, so what this process reads from
// /proc/self/limits is what the helper gets.
import * as fs from 'node:fs';

/** Descriptors a helper has besides its files: stdin, stdout, stderr, its own program file (fd 3), and room to spare. */
export const RESERVED_DESCRIPTORS = 16;

/** RLIMIT_NOFILE's soft limit, from /proc/self/limits ("Max open files"); 1024 when unknown. */
export function openFileLimit(limits = '/proc/self/limits'): number {
  try {
    const line = fs.readFileSync(limits, 'latin1').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return 1 << 20;
    if (soft && /^\d+$/.test(soft)) return Number(soft);
  } catch {
    // no /proc
  }
  return 1024;
}

/** How many files one helper run may hold open: the limit less the reserved descriptors, at least 1. */
export function filesPerHelperRun(limit = openFileLimit()): number {
  return Math.max(1, limit - RESERVED_DESCRIPTORS);
}
