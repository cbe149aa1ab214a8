// The capability text format of libcap 2.66 (cap_from_text / cap_to_text),
// documented in cap_from_text(3) and cap_text_formats(7).
//
// Text is a sequence of clauses separated by white space. A clause is
// an optional comma-separated capability list, then one or more actions,
// each an operator ('=', '+' or '-') and flags (e, i, p):
//
//	cap_net_raw,cap_chown=ep cap_kill+i-e =p all-i
//
// Clauses apply left to right to a state that starts empty. '=' first
// clears the listed capabilities in all three sets and then raises them
// in the flagged ones; '+' raises, '-' lowers. A clause without a list
// means every capability the running kernel knows (so does 'all'); only
// '=' may start such a clause. '=+' and '=-' (listed clauses only) clear
// first, then raise or lower.
import { CAP_MAX_BITS, capFromName, capToName, nearestCapNames } from './names';

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

const DEFAULT_LAST_CAP = 40;

/**
 * libcap's cap_max_bits(): how many capabilities the running kernel
 * knows, cap_last_cap + 1. Bits at or above it are "unnamed": `all`
 * leaves them out and cap_to_text lists them apart.
 */
function kernelCapBits(options?: CapTextOptions): number {
  const lastCap = options?.lastCap ?? DEFAULT_LAST_CAP;
  if (!Number.isInteger(lastCap) || lastCap < 0 || lastCap >= CAP_MAX_BITS) {
    throw new RangeError(`lastCap must be an integer 0..${CAP_MAX_BITS - 1}, got ${String(lastCap)}`);
  }
  return lastCap + 1;
}

function lowBits(count: number): bigint {
  return (1n << BigInt(count)) - 1n;
}

// Character classes of the C locale, as libcap's <ctype.h> calls see them.
const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const isWordChar = (c: string | undefined): boolean => isAlpha(c) || isDigit(c) || c === '_';

// Flags of one action: which sets an operator touches. libcap numbers them
// 1 << CAP_EFFECTIVE (0), 1 << CAP_PERMITTED (1), 1 << CAP_INHERITABLE (2);
// cap_to_text's choice of base and clause order follow these numbers.
const LIBCAP_EFF = 1;
const LIBCAP_PER = 2;
const LIBCAP_INH = 4;

const FLAG_BY_CHAR: Readonly<Record<string, number>> = { e: LIBCAP_EFF, i: LIBCAP_INH, p: LIBCAP_PER };

function describe(c: string | undefined): string {
  if (c === undefined) return 'the end of the text';
  if (isSpace(c)) return 'white space';
  return `'${c}'`;
}

/** The maximal run of name characters starting at `start` (what a user would call the token). */
function wordAt(text: string, start: number): string {
  let end = start;
  while (isWordChar(text[end])) end++;
  return text.slice(start, end);
}

/**
 * A capability number as C's strtoul(s, &end, 0) reads it: 0x/0X hex,
 * a leading 0 octal, otherwise decimal. Returns the value and where the
 * digits end; libcap refuses values of 64 and above.
 */
function readNumber(text: string, start: number): { value: bigint; end: number } {
  let base = 10n;
  let pos = start;
  let digits = '0123456789';
  if (text[pos] === '0') {
    const hexDigit = text[pos + 2]?.toLowerCase();
    if ((text[pos + 1] === 'x' || text[pos + 1] === 'X') && hexDigit !== undefined && '0123456789abcdef'.includes(hexDigit)) {
      base = 16n;
      digits = '0123456789abcdef';
      pos += 2;
    } else {
      base = 8n;
      digits = '01234567';
    }
  }
  let value = 0n;
  for (;;) {
    const c = text[pos]?.toLowerCase();
    if (c === undefined || !digits.includes(c)) break;
    value = value * base + BigInt(digits.indexOf(c));
    pos++;
  }
  return { value, end: pos };
}

/** One item of a capability list: `all`, a name, or a number. Returns its bits and where it ends. */
function readListItem(text: string, start: number, allBits: bigint): { bits: bigint; end: number; all: boolean } {
  const word = wordAt(text, start);
  if (word.toLowerCase() === 'all') {
    return { bits: allBits, end: start + 3, all: true };
  }
  if (isDigit(text[start])) {
    const { value, end } = readNumber(text, start);
    if (value >= BigInt(CAP_MAX_BITS)) {
      throw new CapTextError(
        `capability number ${text.slice(start, end)} at offset ${start} is out of range (0..${CAP_MAX_BITS - 1})`,
        start,
        text.slice(start, end),
      );
    }
    if (isWordChar(text[end])) {
      // strtoul stopped inside the word (e.g. '09', '12ab'); libcap then
      // takes the next character as the operator and fails.
      throw new CapTextError(`malformed capability number '${word}' at offset ${start}`, start, word);
    }
    return { bits: 1n << value, end, all: false };
  }
  const cap = capFromName(word);
  if (cap === undefined) {
    const guesses = nearestCapNames(word);
    let hint = guesses.length > 0 ? ` (did you mean ${guesses.join(', ')}?)` : '';
    if (/^[eip]+$/i.test(word) && isSpace(text[start - 1])) {
      hint = ' (white space ends a clause: flags go right after the operator, as in cap_net_raw=ep)';
    }
    throw new CapTextError(`unknown capability '${word}' at offset ${start}${hint}`, start, word);
  }
  return { bits: 1n << BigInt(cap), end: start + word.length, all: false };
}

/**
 * libcap 2.66 cap_from_text. Accepts exactly what libcap accepts and
 * builds the same three sets; refusals throw CapTextError naming the
 * offending token and its offset.
 *
 * Names are looked up in libcap's whole table, whatever lastCap says
 * (libcap's gperf lookup does not consult the kernel); `all` and a
 * clause without a list mean capabilities 0..lastCap only.
 */
export function parseCapText(text: string, options?: CapTextOptions): CapSets {
  const allBits = lowBits(kernelCapBits(options));
  const sets: CapSets = { effective: 0n, permitted: 0n, inheritable: 0n };
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    throw new CapTextError(`NUL character at offset ${nul} (capability text is a C string)`, nul, '\0');
  }

  let pos = 0;
  for (;;) {
    while (isSpace(text[pos])) pos++;
    if (pos >= text.length) return sets;

    // Which capabilities this clause is about.
    let list = 0n;
    let listed = false;
    if (isWordChar(text[pos])) {
      for (;;) {
        const item = readListItem(text, pos, allBits);
        // libcap's forceall() assigns: `all` replaces what the list held so
        // far, so '63,all' is 0..lastCap without 63; 'all,63' keeps 63.
        list = item.all ? item.bits : list | item.bits;
        pos = item.end;
        if (text[pos] !== ',') break;
        pos++;
        if (!isWordChar(text[pos])) {
          throw new CapTextError(
            `expected a capability name after ',' at offset ${pos}, found ${describe(text[pos])}`,
            pos,
            text[pos] ?? '',
          );
        }
      }
      listed = true;
    } else if (text[pos] === '+' || text[pos] === '-') {
      throw new CapTextError(
        `'${text[pos]}' at offset ${pos} needs a capability list before it (only '=' may stand alone)`,
        pos,
        text[pos]!,
      );
    } else {
      list = allBits;
    }

    // The first operator: '=', '+', '-', or the pairs '=+' and '=-'.
    const opPos = pos;
    let op = text[pos++];
    if (op === '=' && (text[pos] === '+' || text[pos] === '-')) {
      if (!listed) {
        throw new CapTextError(
          `'=${text[pos]}' at offset ${opPos} needs a capability list before it`,
          opPos,
          `=${text[pos]}`,
        );
      }
      op = text[pos++] === '+' ? '=+' : '=-';
    } else if (op !== '=' && op !== '+' && op !== '-') {
      const after = listed ? ' after the capability list' : '';
      const hint = listed && isSpace(op) ? ' (no white space inside a clause, as in cap_net_raw=ep)' : '';
      throw new CapTextError(
        `expected '=', '+' or '-'${after} at offset ${opPos}, found ${describe(op)}${hint}`,
        opPos,
        op ?? '',
      );
    }

    // The actions: flags after each operator, more '+'/'-' operators allowed.
    let flags = 0;
    do {
      const c = text[pos];
      if (c !== undefined && !isSpace(c)) {
        const flag = FLAG_BY_CHAR[c];
        if (flag === undefined) {
          const hint = FLAG_BY_CHAR[c.toLowerCase()] === undefined ? '' : ' (flags are lower case)';
          throw new CapTextError(`flag '${c}' is not one of e, i, p at offset ${pos}${hint}`, pos, c);
        }
        flags |= flag;
        pos++;
      } else if (op !== '=') {
        throw new CapTextError(
          `'${op}' at offset ${opPos} must be followed by flags (e, i, p), found ${describe(c)}`,
          pos,
          c ?? '',
        );
      }

      if (op === '=' || op === '=+' || op === '=-') {
        sets.effective &= ~list;
        sets.permitted &= ~list;
        sets.inheritable &= ~list;
      }
      if (op === '-' || op === '=-') {
        if (flags & LIBCAP_EFF) sets.effective &= ~list;
        if (flags & LIBCAP_PER) sets.permitted &= ~list;
        if (flags & LIBCAP_INH) sets.inheritable &= ~list;
      } else {
        if (flags & LIBCAP_EFF) sets.effective |= list;
        if (flags & LIBCAP_PER) sets.permitted |= list;
        if (flags & LIBCAP_INH) sets.inheritable |= list;
      }

      const next = text[pos];
      if (next === '+' || next === '-') {
        if (!listed) {
          throw new CapTextError(
            `'${next}' at offset ${pos} needs a capability list (a clause without one may only use '=')`,
            pos,
            next,
          );
        }
        flags = 0;
        op = next;
        pos++;
        if (!isAlpha(text[pos])) {
          throw new CapTextError(
            `'${next}' at offset ${pos - 1} must be followed by flags (e, i, p), found ${describe(text[pos])}`,
            pos,
            text[pos] ?? '',
          );
        }
      }
    } while (pos < text.length && !isSpace(text[pos]));
  }
}

/** Flags of capability `cap` in `sets`, as a LIBCAP_EFF|LIBCAP_INH|LIBCAP_PER mask. */
function stateOf(sets: CapSets, cap: number): number {
  const bit = 1n << BigInt(cap);
  return (
    (sets.effective & bit ? LIBCAP_EFF : 0) |
    (sets.permitted & bit ? LIBCAP_PER : 0) |
    (sets.inheritable & bit ? LIBCAP_INH : 0)
  );
}

/** Flag letters in libcap's output order: e, i, p. */
function flagText(flags: number): string {
  return (flags & LIBCAP_EFF ? 'e' : '') + (flags & LIBCAP_INH ? 'i' : '') + (flags & LIBCAP_PER ? 'p' : '');
}

/**
 * libcap 2.66 cap_to_text (what getcap prints after the file name).
 *
 * libcap picks as the base ("=flags") the state most of the kernel's
 * capabilities (0..lastCap) share, preferring fewer flags on a tie, then
 * writes one clause per other state, listing its capabilities in number
 * order with '+' for the flags to add and '-' for those to drop. When the
 * base is empty the first clause is written "names=flags" instead of
 * "= names+flags". Bits above lastCap (numbers, or names the kernel does
 * not know) follow as "+" clauses of their own.
 */
export function formatCapText(sets: CapSets, options?: CapTextOptions): string {
  const kernelBits = kernelCapBits(options);
  for (const [set, value] of Object.entries(sets)) {
    if (typeof value !== 'bigint' || value < 0n || value >> BigInt(CAP_MAX_BITS) !== 0n) {
      throw new RangeError(`${set} set must be a 64-bit unsigned bigint, got ${String(value)}`);
    }
  }
  const states: number[] = [];
  for (let cap = 0; cap < CAP_MAX_BITS; cap++) states.push(stateOf(sets, cap));

  const histogram = new Array<number>(8).fill(0);
  for (let cap = 0; cap < kernelBits; cap++) histogram[states[cap]!]!++;
  let base = 7;
  for (let state = 6; state >= 0; state--) {
    if (histogram[state]! >= histogram[base]!) base = state;
  }

  const namesIn = (state: number, from: number, to: number): string => {
    const names: string[] = [];
    for (let cap = from; cap < to; cap++) if (states[cap] === state) names.push(capToName(cap));
    return names.join(',');
  };

  let out = `=${flagText(base)}`;
  for (let state = 7; state >= 0; state--) {
    if (state === base || histogram[state] === 0) continue;
    out += ` ${namesIn(state, 0, kernelBits)}`;
    const raise = state & ~base;
    if (raise) {
      // "= names+flags" as the first clause reads better as "names=flags".
      out = out.startsWith('= ') ? `${out.slice(2)}=${flagText(raise)}` : `${out}+${flagText(raise)}`;
    }
    const lower = ~state & base;
    if (lower) out += `-${flagText(lower)}`;
  }

  const unnamed = new Array<number>(8).fill(0);
  for (let cap = kernelBits; cap < CAP_MAX_BITS; cap++) unnamed[states[cap]!]!++;
  for (let state = 7; state >= 1; state--) {
    if (unnamed[state] === 0) continue;
    out += ` ${namesIn(state, kernelBits, CAP_MAX_BITS)}+${flagText(state)}`;
  }
  return out;
}

/**
 * What `getcap -n` appends for a namespaced (revision 3) attribute:
 * " [rootid=N]", N printed as a C int (libcap uses %d on a uid_t), and
 * nothing for rootid 0 or (uid_t)-1.
 */
export function formatRootidSuffix(rootid: number | undefined): string {
  if (rootid === undefined) return '';
  const asUnsigned = rootid >>> 0;
  if (asUnsigned === 0 || asUnsigned === 0xffffffff) return '';
  return ` [rootid=${asUnsigned | 0}]`;
}
