// Capability-text generator for the libcap differential fuzzer.
//
// cap_from_text (libcap 2.66, cap_text.c) reads whitespace-separated clauses:
//   clause  = [names] op flags { op flags }
//   names   = name { "," name }      name = "all" | cap name (any case) | number (strtoul base 0: 010, 0x10)
//   op      = "=" | "+" | "-" | "=+" | "=-"      flags = { "e" | "i" | "p" }
// An empty name list means "all" and is only allowed before "=". The generator produces
// texts from that grammar (mostly valid, with values around every boundary: 40/41 for the
// running kernel, 63/64 for the 64-bit sets, leading zeros, hex, case) and then mutates a
// share of them so that the rejecting paths are exercised too. It knows nothing about what
// the texts mean: the oracle is the real setcap/getcap.

/** Names as the kernel's uapi capability.h numbers them (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
export const KERNEL_CAP_NAMES: readonly string[] = [
  'cap_chown', 'cap_dac_override', 'cap_dac_read_search', 'cap_fowner', 'cap_fsetid', 'cap_kill',
  'cap_setgid', 'cap_setuid', 'cap_setpcap', 'cap_linux_immutable', 'cap_net_bind_service',
  'cap_net_broadcast', 'cap_net_admin', 'cap_net_raw', 'cap_ipc_lock', 'cap_ipc_owner', 'cap_sys_module',
  'cap_sys_rawio', 'cap_sys_chroot', 'cap_sys_ptrace', 'cap_sys_pacct', 'cap_sys_admin', 'cap_sys_boot',
  'cap_sys_nice', 'cap_sys_resource', 'cap_sys_time', 'cap_sys_tty_config', 'cap_mknod', 'cap_lease',
  'cap_audit_write', 'cap_audit_control', 'cap_setfcap', 'cap_mac_override', 'cap_mac_admin', 'cap_syslog',
  'cap_wake_alarm', 'cap_block_suspend', 'cap_audit_read', 'cap_perfmon', 'cap_bpf', 'cap_checkpoint_restore',
];

/** A small seeded PRNG (mulberry32): the same seed gives the same cases, so a mismatch can be replayed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function chance(random: Random, p: number): boolean {
  return random() < p;
}

/** Random letter case: libcap lower-cases names with tolower() in the C locale. */
function randomCase(random: Random, text: string): string {
  const mode = random();
  if (mode < 0.6) return text;
  if (mode < 0.75) return text.toUpperCase();
  return [...text].map((c) => (chance(random, 0.5) ? c.toUpperCase() : c)).join('');
}

/** Numbers near every edge that matters: last named cap, first unnamed, top of the 64-bit set, past it. */
const INTERESTING_NUMBERS = [0, 1, 7, 8, 31, 32, 33, 39, 40, 41, 42, 62, 63, 64, 65, 99, 255, 256, 4294967296];

function numberToken(random: Random): string {
  const n = chance(random, 0.7) ? pick(random, INTERESTING_NUMBERS) : Math.floor(random() * 70);
  const form = random();
  if (form < 0.7) return String(n);
  if (form < 0.8) return '0' + n.toString(8); // strtoul base 0: a leading zero is octal
  if (form < 0.9) return (chance(random, 0.5) ? '0x' : '0X') + n.toString(16);
  return '00' + String(n);
}

function nameToken(random: Random): string {
  const r = random();
  if (r < 0.7) return randomCase(random, pick(random, KERNEL_CAP_NAMES));
  if (r < 0.85) return numberToken(random);
  if (r < 0.95) return randomCase(random, 'all');
  // Near misses: without prefix, truncated, extended, unknown.
  return pick(random, ['chown', 'net_raw', 'cap_', 'cap_foo', 'cap_net_raww', 'cap_chow', 'cap_all', 'alll', 'al', 'cap_sys_admin_', '_', 'x']);
}

function flagsToken(random: Random, allowEmpty: boolean): string {
  const letters = ['e', 'i', 'p'];
  const count = Math.floor(random() * 4);
  let out = '';
  for (let i = 0; i < count; i++) out += pick(random, letters);
  if (!out && !allowEmpty) out = pick(random, letters);
  if (chance(random, 0.03)) out = out.toUpperCase();
  return out;
}

function clause(random: Random): string {
  let names = '';
  if (!chance(random, 0.15)) {
    const count = 1 + Math.floor(random() * (chance(random, 0.8) ? 2 : 5));
    names = Array.from({ length: count }, () => nameToken(random)).join(',');
  }
  let out = names;
  const actions = 1 + Math.floor(random() * (chance(random, 0.7) ? 1 : 3));
  for (let i = 0; i < actions; i++) {
    const op = i === 0 ? pick(random, ['=', '=', '+', '+', '-', '=+', '=-']) : pick(random, ['+', '-', '+', '-', '=']);
    out += op + flagsToken(random, op === '=' && i === actions - 1);
  }
  return out;
}

const SPACES = [' ', ' ', ' ', '  ', '\t', '\n', '\v', '\f', '\r'];

/** One text from the grammar. */
export function grammarText(random: Random): string {
  const clauses = 1 + Math.floor(random() * (chance(random, 0.75) ? 1 : 4));
  let out = chance(random, 0.1) ? pick(random, SPACES) : '';
  for (let i = 0; i < clauses; i++) {
    if (i > 0) out += pick(random, SPACES);
    out += clause(random);
  }
  if (chance(random, 0.1)) out += pick(random, SPACES);
  return out;
}

/**
 * Characters a mutation inserts: the grammar's own, whitespace of every kind, and bytes that
 * tempt a parser into being too kind (Unicode letters whose lower case is ASCII, a NBSP, digits).
 */
const MUTATION_ALPHABET = [
  '=', '+', '-', ',', 'e', 'i', 'p', 'E', 'P', 'I', 'x', 'a', 'l', '_', '0', '1', '4', '6', '9',
  ' ', '\t', '\n', '\v', '\f', '\r', '\u00a0', '\u212a', '\u0130', '\u017f', 'é', ';', ':', '.', '/', '*',
];

/** One text mutated: insert, delete, replace, duplicate a slice, or join two texts. */
export function mutateText(random: Random, text: string): string {
  let out = text;
  const rounds = 1 + Math.floor(random() * 3);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(random() * (out.length + 1));
    const kind = random();
    if (kind < 0.3) out = out.slice(0, at) + pick(random, MUTATION_ALPHABET) + out.slice(at);
    else if (kind < 0.5) out = out.slice(0, at) + out.slice(at + 1);
    else if (kind < 0.75) out = out.slice(0, at) + pick(random, MUTATION_ALPHABET) + out.slice(at + 1);
    else if (kind < 0.9) {
      const end = at + Math.floor(random() * 6);
      out = out.slice(0, end) + out.slice(at, end) + out.slice(end);
    } else out = out + pick(random, ['', ' ', ',']) + grammarText(random);
  }
  return out;
}

/** setcap reads these argv words as options, not capability text: they cannot go through the oracle as text. */
const SETCAP_OPTIONS = new Set(['-h', '-q', '-v', '-n', '-r', '-', '--license']);

/** `count` texts from `seed`: about 70% from the grammar, 30% mutated; no NUL (argv cannot carry it), no setcap option words. */
export function generateTexts(seed: number, count: number): string[] {
  const random = createRandom(seed);
  const texts: string[] = [];
  while (texts.length < count) {
    let text = grammarText(random);
    if (chance(random, 0.3)) text = mutateText(random, text);
    if (text.includes('\0') || SETCAP_OPTIONS.has(text)) continue;
    texts.push(text);
  }
  return texts;
}

/** A 64-bit set biased to the edges: empty, single bits, the named 0..40, the unnamed 41..63, random words. */
function randomSet(random: Random): bigint {
  const r = random();
  if (r < 0.15) return 0n;
  if (r < 0.35) {
    let set = 0n;
    const bits = 1 + Math.floor(random() * 4);
    for (let i = 0; i < bits; i++) set |= 1n << BigInt(Math.floor(random() * 64));
    return set;
  }
  if (r < 0.45) return pick(random, [(1n << 41n) - 1n, (1n << 64n) - 1n, ((1n << 64n) - 1n) ^ ((1n << 41n) - 1n), (1n << 32n) - 1n]);
  const word = () => BigInt(Math.floor(random() * 0x100000000));
  return (word() << 32n) | word();
}

/**
 * `count` raw security.capability values as hex, the kind the kernel accepts from root:
 * revision 2 (20 bytes) or revision 3 (24 bytes, rootid 1..2^32-2), effective bit on or off.
 */
export function generateAttributes(seed: number, count: number): string[] {
  const random = createRandom(seed ^ 0x5eed);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const revision3 = chance(random, 0.3);
    const bytes = Buffer.alloc(revision3 ? 24 : 20);
    bytes.writeUInt32LE(((revision3 ? 0x03000000 : 0x02000000) | (chance(random, 0.5) ? 1 : 0)) >>> 0, 0);
    const permitted = randomSet(random);
    const inheritable = randomSet(random);
    bytes.writeUInt32LE(Number(permitted & 0xffffffffn), 4);
    bytes.writeUInt32LE(Number(inheritable & 0xffffffffn), 8);
    bytes.writeUInt32LE(Number(permitted >> 32n), 12);
    bytes.writeUInt32LE(Number(inheritable >> 32n), 16);
    if (revision3) bytes.writeUInt32LE(chance(random, 0.3) ? pick(random, [1, 1000, 65534, 65536, 0x7fffffff, 0x80000000, 0xfffffffe]) : 1 + Math.floor(random() * 0xfffffffd), 20);
    out.push(bytes.toString('hex'));
  }
  return out;
}
