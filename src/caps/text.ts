// STUB (interface only): owned by the caps helper, replaced by the real implementation.
/** A capability state as libcap's cap_t holds it: three 64-bit sets, bit n = capability n. */
export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

export interface CapTextOptions {
  /** Highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap); `all` means 0..lastCap. Default 40. */
  lastCap?: number;
}

/** Thrown for text libcap's cap_from_text refuses; `position` is the 0-based offset of `token` in the text. */
export class CapTextError extends Error {
  constructor(message: string, readonly position: number, readonly token: string) {
    super(message);
    this.name = 'CapTextError';
  }
}

/** libcap 2.66 cap_from_text. */
export function parseCapText(text: string, options?: CapTextOptions): CapSets {
  throw new Error('stub');
}

/** libcap 2.66 cap_to_text (what getcap prints after the file name). */
export function formatCapText(sets: CapSets, options?: CapTextOptions): string {
  throw new Error('stub');
}
