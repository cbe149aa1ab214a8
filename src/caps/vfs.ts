// The security.capability extended attribute (struct vfs_cap_data and
// struct vfs_ns_cap_data in linux/capability.h).
//
// All words are little-endian u32. The first, magic_etc, holds the
// revision in its top byte and flags below it; the only flag is
// VFS_CAP_FLAGS_EFFECTIVE. Then come permitted/inheritable pairs, one
// pair per 32 capabilities, and for revision 3 the rootid: the uid that
// is root in the user namespace the capabilities are meant for.
//
// A file has no effective set. At execve the kernel raises the new
// process's effective set to its whole new permitted set if the
// effective bit is on, and leaves it empty otherwise.
import { capToName } from './names';
import type { CapSets } from './text';

export const XATTR_NAME_CAPS = 'security.capability';

export const VFS_CAP_REVISION_MASK = 0xff000000;
export const VFS_CAP_REVISION_SHIFT = 24;
export const VFS_CAP_FLAGS_MASK = ~VFS_CAP_REVISION_MASK >>> 0;
export const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;

/** Revision 1 (kernel 2.6.24): 32 capabilities. */
export const VFS_CAP_REVISION_1 = 0x01000000;
export const VFS_CAP_U32_1 = 1;
export const XATTR_CAPS_SZ_1 = 4 * (1 + 2 * VFS_CAP_U32_1);

/** Revision 2 (kernel 2.6.25): 64 capabilities. */
export const VFS_CAP_REVISION_2 = 0x02000000;
export const VFS_CAP_U32_2 = 2;
export const XATTR_CAPS_SZ_2 = 4 * (1 + 2 * VFS_CAP_U32_2);

/** Revision 3 (kernel 4.14): revision 2 plus the rootid of a user namespace. */
export const VFS_CAP_REVISION_3 = 0x03000000;
export const VFS_CAP_U32_3 = 2;
export const XATTR_CAPS_SZ_3 = 4 * (2 + 2 * VFS_CAP_U32_3);

export const VFS_CAP_U32 = VFS_CAP_U32_3;

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

const U64_LIMIT = 1n << 64n;
/** (uid_t)-1: no such user; the kernel refuses it as a rootid. */
const INVALID_UID = 0xffffffff;

function checkSet(what: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value >= U64_LIMIT) {
    throw new FileCapsError(`${what} must be a 64-bit set (a bigint 0..2^64-1), got ${String(value)}`);
  }
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/**
 * cap_t -> file form, with libcap's rule (cap_set_file): the effective set
 * must be empty or hold every permitted and inheritable capability; then
 * the file gets the effective bit if the effective set is not empty.
 * libcap tolerates extra effective bits (`cap_net_raw=e` stores the bit
 * and no capability), and so does this.
 */
export function fileCapsFromSets(sets: CapSets): FileCaps {
  checkSet('effective', sets.effective);
  checkSet('permitted', sets.permitted);
  checkSet('inheritable', sets.inheritable);
  const raised = sets.permitted | sets.inheritable;
  const effective = sets.effective !== 0n;
  if (effective && (raised & ~sets.effective) !== 0n) {
    throw new FileCapsError(
      'effective file capabilities must either be empty, or exactly match the union of ' +
        `selected permitted and inheritable bits (not effective: ${describeBits(raised & ~sets.effective)})`,
    );
  }
  return { permitted: sets.permitted, inheritable: sets.inheritable, effective };
}

/**
 * Whether libcap 2.66's setcap prints its "NOTE: Under Linux, effective file
 * capabilities must either be empty, or exactly match ..." when
 * cap_set_file refuses `sets`. setcap looks for the first capability
 * (0..63) whose effective bit differs from its permitted|inheritable bits
 * and explains only if some effective bit came at or before it; so
 * '=p 55=ip+ie' fails without the NOTE, 'cap_chown=ep cap_kill=p' with it.
 */
export function setcapExplainsEffectiveRule(sets: CapSets): boolean {
  let seenEffective = false;
  for (let cap = 0n; cap < 64n; cap++) {
    const effective = ((sets.effective >> cap) & 1n) === 1n;
    const raised = (((sets.permitted | sets.inheritable) >> cap) & 1n) === 1n;
    seenEffective ||= effective;
    if (effective !== raised) return seenEffective;
  }
  return false;
}

function describeBits(bits: bigint): string {
  const caps: string[] = [];
  for (let cap = 0; bits >> BigInt(cap) !== 0n; cap++) if ((bits >> BigInt(cap)) & 1n) caps.push(capToName(cap));
  return caps.join(',');
}

/** file form -> cap_t as libcap's cap_get_file builds it (effective = permitted|inheritable when the bit is set). */
export function setsFromFileCaps(caps: FileCaps): CapSets {
  return {
    effective: caps.effective ? caps.permitted | caps.inheritable : 0n,
    permitted: caps.permitted,
    inheritable: caps.inheritable,
  };
}

/**
 * Bytes libcap's cap_set_file writes: revision 2, or revision 3 when rootid
 * is set and non-zero (libcap never writes revision 1; the kernel refuses
 * it). A root in the initial namespace writing revision 3 with rootid 0
 * would get revision 2 stored anyway.
 */
export function encodeVfsCap(caps: FileCaps): Uint8Array {
  checkSet('permitted', caps.permitted);
  checkSet('inheritable', caps.inheritable);
  const rootid = caps.rootid ?? 0;
  if (!Number.isInteger(rootid) || rootid < 0 || rootid >= INVALID_UID) {
    throw new FileCapsError(`rootid must be a uid 0..${INVALID_UID - 1}, got ${String(caps.rootid)}`);
  }
  const namespaced = rootid !== 0;
  const size = namespaced ? XATTR_CAPS_SZ_3 : XATTR_CAPS_SZ_2;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const magic = (namespaced ? VFS_CAP_REVISION_3 : VFS_CAP_REVISION_2) | (caps.effective ? VFS_CAP_FLAGS_EFFECTIVE : 0);
  view.setUint32(0, magic >>> 0, true);
  for (let word = 0; word < VFS_CAP_U32_2; word++) {
    const shift = BigInt(32 * word);
    view.setUint32(4 + 8 * word, Number((caps.permitted >> shift) & 0xffffffffn), true);
    view.setUint32(8 + 8 * word, Number((caps.inheritable >> shift) & 0xffffffffn), true);
  }
  if (namespaced) view.setUint32(20, rootid, true);
  return bytes;
}

const SIZE_BY_REVISION: ReadonlyMap<number, number> = new Map([
  [VFS_CAP_REVISION_1, XATTR_CAPS_SZ_1],
  [VFS_CAP_REVISION_2, XATTR_CAPS_SZ_2],
  [VFS_CAP_REVISION_3, XATTR_CAPS_SZ_3],
]);

/**
 * Decodes revisions 1, 2 and 3; throws FileCapsError for anything else.
 * As strict as the kernel is when the attribute is written: the size must
 * be the revision's, and no flag but VFS_CAP_FLAGS_EFFECTIVE may be set.
 */
export function decodeVfsCap(bytes: Uint8Array): FileCaps & { revision: 1 | 2 | 3 } {
  if (bytes.length < 4) {
    throw new FileCapsError(
      `${XATTR_NAME_CAPS} is ${bytes.length} bytes, too short for magic_etc (sizes are ` +
        `${XATTR_CAPS_SZ_1}, ${XATTR_CAPS_SZ_2} or ${XATTR_CAPS_SZ_3})`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  const revisionMagic = (magic & ~VFS_CAP_FLAGS_EFFECTIVE) >>> 0;
  const size = SIZE_BY_REVISION.get(revisionMagic);
  if (size === undefined) {
    const revision = (magic & VFS_CAP_REVISION_MASK) >>> VFS_CAP_REVISION_SHIFT;
    const reason = SIZE_BY_REVISION.has((magic & VFS_CAP_REVISION_MASK) >>> 0)
      ? `revision ${revision} with unknown flags ${hex32((magic & VFS_CAP_FLAGS_MASK & ~VFS_CAP_FLAGS_EFFECTIVE) >>> 0)}`
      : `unknown revision ${revision} (known: 1, 2, 3)`;
    throw new FileCapsError(`${XATTR_NAME_CAPS} magic_etc ${hex32(magic)} (${bytes.length} bytes): ${reason}`);
  }
  const revision = (revisionMagic >>> VFS_CAP_REVISION_SHIFT) as 1 | 2 | 3;
  if (bytes.length !== size) {
    throw new FileCapsError(
      `${XATTR_NAME_CAPS} is ${bytes.length} bytes with magic_etc ${hex32(magic)}: ` +
        `revision ${revision} is ${size} bytes`,
    );
  }
  const words = revision === 1 ? VFS_CAP_U32_1 : VFS_CAP_U32_2;
  let permitted = 0n;
  let inheritable = 0n;
  for (let word = 0; word < words; word++) {
    const shift = BigInt(32 * word);
    permitted |= BigInt(view.getUint32(4 + 8 * word, true)) << shift;
    inheritable |= BigInt(view.getUint32(8 + 8 * word, true)) << shift;
  }
  const caps: FileCaps & { revision: 1 | 2 | 3 } = {
    revision,
    permitted,
    inheritable,
    effective: (magic & VFS_CAP_FLAGS_EFFECTIVE) !== 0,
  };
  if (revision === 3) caps.rootid = view.getUint32(20, true);
  return caps;
}
