// STUB (interface only): owned by the caps helper, replaced by the real implementation.
/** Names in kernel order: CAP_NAMES[n] is capability n ('cap_chown' = 0 ... 'cap_checkpoint_restore' = 40). */
export const CAP_NAMES: readonly string[] = [];
/** The highest capability this code knows by name (CAP_CHECKPOINT_RESTORE). */
export const CAP_LAST_CAP = 40;
/** Capability numbers libcap accepts in text: 0..63. */
export const CAP_MAX_BITS = 64;
/** Name (any case) -> number, or undefined. */
export function capFromName(name: string): number | undefined {
  throw new Error('stub');
}
/** Known names closest to a misspelt one, best first. */
export function nearestCapNames(name: string, count = 3): string[] {
  throw new Error('stub');
}
