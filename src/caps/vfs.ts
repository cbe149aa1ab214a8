// STUB (interface only): owned by the caps helper, replaced by the real implementation.
import type { CapSets } from './text';

export const XATTR_NAME_CAPS = 'security.capability';

/** What a file's security.capability attribute says. Files hold one effective bit, not an effective set. */
export interface FileCaps {
  permitted: bigint;
  inheritable: bigint;
  effective: boolean;
  /** Present only for revision 3 (namespaced file capabilities). */
  rootid?: number;
}

/** Thrown when sets cannot be stored on a file (libcap's effective rule), or when bytes are not a valid attribute. */
export class FileCapsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileCapsError';
  }
}

/** cap_t -> file form; throws FileCapsError unless effective is empty or equals permitted|inheritable. */
export function fileCapsFromSets(sets: CapSets): FileCaps {
  throw new Error('stub');
}

/** file form -> cap_t as libcap's cap_get_file builds it (effective = permitted|inheritable when the bit is set). */
export function setsFromFileCaps(caps: FileCaps): CapSets {
  throw new Error('stub');
}

/** Bytes libcap's cap_set_file writes: revision 2, or revision 3 when rootid is set and non-zero. */
export function encodeVfsCap(caps: FileCaps): Uint8Array {
  throw new Error('stub');
}

/** Decodes revisions 1, 2 and 3; throws FileCapsError for anything else. */
export function decodeVfsCap(bytes: Uint8Array): FileCaps & { revision: 1 | 2 | 3 } {
  throw new Error('stub');
}
