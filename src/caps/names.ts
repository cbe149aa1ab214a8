// Capability names and numbers, as linux/capability.h defines them.
//
// A capability is a bit number. The kernel only gives meaning to bits
// 0..cap_last_cap (/proc/sys/kernel/cap_last_cap); libcap names the bits its
// headers knew when it was built (CAP_CHOWN .. CAP_CHECKPOINT_RESTORE for
// libcap 2.66) and writes any other bit as its decimal number.

export const CAP_CHOWN = 0;
export const CAP_DAC_OVERRIDE = 1;
export const CAP_DAC_READ_SEARCH = 2;
export const CAP_FOWNER = 3;
export const CAP_FSETID = 4;
export const CAP_KILL = 5;
export const CAP_SETGID = 6;
export const CAP_SETUID = 7;
export const CAP_SETPCAP = 8;
export const CAP_LINUX_IMMUTABLE = 9;
export const CAP_NET_BIND_SERVICE = 10;
export const CAP_NET_BROADCAST = 11;
export const CAP_NET_ADMIN = 12;
export const CAP_NET_RAW = 13;
export const CAP_IPC_LOCK = 14;
export const CAP_IPC_OWNER = 15;
export const CAP_SYS_MODULE = 16;
export const CAP_SYS_RAWIO = 17;
export const CAP_SYS_CHROOT = 18;
export const CAP_SYS_PTRACE = 19;
export const CAP_SYS_PACCT = 20;
export const CAP_SYS_ADMIN = 21;
export const CAP_SYS_BOOT = 22;
export const CAP_SYS_NICE = 23;
export const CAP_SYS_RESOURCE = 24;
export const CAP_SYS_TIME = 25;
export const CAP_SYS_TTY_CONFIG = 26;
export const CAP_MKNOD = 27;
export const CAP_LEASE = 28;
export const CAP_AUDIT_WRITE = 29;
export const CAP_AUDIT_CONTROL = 30;
export const CAP_SETFCAP = 31;
export const CAP_MAC_OVERRIDE = 32;
export const CAP_MAC_ADMIN = 33;
export const CAP_SYSLOG = 34;
export const CAP_WAKE_ALARM = 35;
export const CAP_BLOCK_SUSPEND = 36;
export const CAP_AUDIT_READ = 37;
export const CAP_PERFMON = 38;
export const CAP_BPF = 39;
export const CAP_CHECKPOINT_RESTORE = 40;

/** The highest capability this code knows by name (CAP_CHECKPOINT_RESTORE). */
export const CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE;

/**
 * Capability numbers libcap accepts in text: 0..63. The kernel's
 * capget/capset and VFS_CAP_REVISION_2/3 attributes hold two 32-bit words
 * per set, so 64 bits is the whole space.
 */
export const CAP_MAX_BITS = 64;

/** Names in kernel order: CAP_NAMES[n] is capability n ('cap_chown' = 0 ... 'cap_checkpoint_restore' = 40). */
export const CAP_NAMES: readonly string[] = Object.freeze([
  'cap_chown',
  'cap_dac_override',
  'cap_dac_read_search',
  'cap_fowner',
  'cap_fsetid',
  'cap_kill',
  'cap_setgid',
  'cap_setuid',
  'cap_setpcap',
  'cap_linux_immutable',
  'cap_net_bind_service',
  'cap_net_broadcast',
  'cap_net_admin',
  'cap_net_raw',
  'cap_ipc_lock',
  'cap_ipc_owner',
  'cap_sys_module',
  'cap_sys_rawio',
  'cap_sys_chroot',
  'cap_sys_ptrace',
  'cap_sys_pacct',
  'cap_sys_admin',
  'cap_sys_boot',
  'cap_sys_nice',
  'cap_sys_resource',
  'cap_sys_time',
  'cap_sys_tty_config',
  'cap_mknod',
  'cap_lease',
  'cap_audit_write',
  'cap_audit_control',
  'cap_setfcap',
  'cap_mac_override',
  'cap_mac_admin',
  'cap_syslog',
  'cap_wake_alarm',
  'cap_block_suspend',
  'cap_audit_read',
  'cap_perfmon',
  'cap_bpf',
  'cap_checkpoint_restore',
]);

const NUMBER_BY_NAME: ReadonlyMap<string, number> = new Map(CAP_NAMES.map((name, n) => [name, n]));

/**
 * Name (any case) -> number, or undefined. Only whole names: libcap's
 * lookup (a gperf table with case folding) knows 'cap_net_raw', not
 * 'net_raw' and not numbers.
 */
export function capFromName(name: string): number | undefined {
  return NUMBER_BY_NAME.get(name.toLowerCase());
}

/** libcap's cap_to_name: the name for bits it knows, the decimal number for any other bit. */
export function capToName(cap: number): string {
  return CAP_NAMES[cap] ?? String(cap);
}

const CAP_PREFIX = 'cap_';

/**
 * Optimal string alignment distance: insertions, deletions, substitutions
 * and swaps of neighbouring characters each cost 1 (typing mistakes).
 */
function typingDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const previous = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * Known names closest to a misspelt one, best first (ties in kernel order).
 * The 'cap_' prefix is optional in the input ('net_bind_service' finds
 * 'cap_net_bind_service'). A name matches by its whole spelling or, for a
 * truncated input such as 'cap_foo', by its beginning ('cap_fowner'); names
 * further away than about a third of the input are not offered.
 */
export function nearestCapNames(name: string, count = 3): string[] {
  const lower = name.toLowerCase();
  const typed = lower.startsWith(CAP_PREFIX) ? lower.slice(CAP_PREFIX.length) : lower;
  // One or two letters resemble every name equally: offer nothing.
  if (typed.length < 3 || count <= 0) return [];
  const limit = Math.max(2, Math.floor(typed.length / 3));
  const scored: Array<{ name: string; score: number; cap: number }> = [];
  CAP_NAMES.forEach((known, cap) => {
    const bare = known.slice(CAP_PREFIX.length);
    const whole = typingDistance(typed, bare);
    const beginning = bare.length > typed.length ? typingDistance(typed, bare.slice(0, typed.length)) + 1 : whole;
    const score = Math.min(whole, beginning);
    if (score <= limit) scored.push({ name: known, score, cap });
  });
  scored.sort((x, y) => x.score - y.score || x.cap - y.cap);
  return scored.slice(0, count).map((entry) => entry.name);
}
