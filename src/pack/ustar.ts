// The POSIX ustar header block (pax(1), <tar.h>): every tar entry starts with one 512-byte
// block. Names are constants as in <tar.h>. Only what pack needs: encode one header for the
// entries it creates, decode enough of any header (ustar, GNU, v7) to walk an existing tar.

export const BLOCKSIZE = 512;

/** Typeflags (<tar.h>). AREGTYPE is the pre-POSIX '\0' for a regular file. */
export const REGTYPE = 0x30; // '0'
export const AREGTYPE = 0x00; // '\0'
export const LNKTYPE = 0x31; // '1' hard link
export const SYMTYPE = 0x32; // '2'
export const CHRTYPE = 0x33; // '3'
export const BLKTYPE = 0x34; // '4'
export const DIRTYPE = 0x35; // '5'
export const FIFOTYPE = 0x36; // '6'
export const CONTTYPE = 0x37; // '7' contiguous file: a regular file everywhere that matters
/** pax extended header: records for the next entry only. */
export const XHDTYPE = 0x78; // 'x'
/** pax global extended header: records for every following entry. */
export const XGLTYPE = 0x67; // 'g'
/** GNU long name / long link name: the next entry's name or link target as data. */
export const GNU_LONGNAME = 0x4c; // 'L'
export const GNU_LONGLINK = 0x4b; // 'K'

export const TMAGIC = 'ustar'; // followed by NUL
export const TVERSION = '00';

// Field offsets and lengths of the ustar header.
const NAME = [0, 100] as const;
const MODE = [100, 8] as const;
const UID = [108, 8] as const;
const GID = [116, 8] as const;
const SIZE = [124, 12] as const;
const MTIME = [136, 12] as const;
const CHKSUM = [148, 8] as const;
const TYPEFLAG = 156;
const LINKNAME = [157, 100] as const;
const MAGIC = [257, 6] as const;
const VERSION = [263, 2] as const;
const UNAME = [265, 32] as const;
const GNAME = [297, 32] as const;
const DEVMAJOR = [329, 8] as const;
const DEVMINOR = [337, 8] as const;
const PREFIX = [345, 155] as const;

/** The largest value a 12-byte octal field holds (11 digits): sizes from 8 GiB on need a pax `size` record. */
export const USTAR_MAX_SIZE = 0o77777777777;
/** The largest value an 8-byte octal field holds (7 digits): uid/gid beyond need pax `uid`/`gid`. */
export const USTAR_MAX_ID = 0o7777777;

export interface UstarFields {
  /** The path inside the archive, without leading '/'; directories end in '/'. */
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  typeflag: number;
  linkname?: string;
  uname?: string;
  gname?: string;
}

/** A header block as pack reads it from an existing tar. */
export interface DecodedHeader extends UstarFields {
  linkname: string;
  /** `ustar\0` + `00` (POSIX), `ustar  \0` (GNU), or neither (v7). */
  format: 'ustar' | 'gnu' | 'v7';
}

/** Thrown when a block is not a tar header. */
export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarFormatError';
  }
}

/** Where a name goes in the ustar name/prefix fields, or null when it does not fit (then a pax `path` record carries it). */
export function splitUstarName(name: string): { prefix: string; name: string } | null {
  const bytes = Buffer.byteLength(name);
  if (bytes !== name.length) return null; // non-ASCII: only a pax path record is portable
  if (bytes <= NAME[1]) return { prefix: '', name };
  // The prefix is joined back with a '/', so split at a '/' with at most 155 bytes before it
  // and at most 100 after it.
  for (let i = name.lastIndexOf('/', PREFIX[1]); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const rest = name.slice(i + 1);
    if (rest.length > NAME[1]) return null;
    if (rest.length > 0) return { prefix: name.slice(0, i), name: rest };
  }
  return null;
}

function writeString(block: Buffer, [offset, length]: readonly [number, number], value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new RangeError(`tar header field too long: ${value}`);
  bytes.copy(block, offset);
}

/** Octal digits, zero padded, NUL terminated: the form GNU tar and Go write. */
function writeOctal(block: Buffer, [offset, length]: readonly [number, number], value: number): void {
  const digits = value.toString(8).padStart(length - 1, '0');
  if (digits.length > length - 1 || value < 0 || !Number.isInteger(value)) {
    throw new RangeError(`tar header number does not fit: ${value}`);
  }
  block.write(digits, offset, 'latin1');
  block[offset + length - 1] = 0;
}

/** The header checksum: the byte sum of the block with the checksum field read as spaces. */
export function headerChecksum(block: Uint8Array): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCKSIZE; i++) {
    if (i < CHKSUM[0] || i >= CHKSUM[0] + CHKSUM[1]) sum += block[i]!;
  }
  return sum;
}

/** Writes the checksum as GNU tar does: six octal digits, NUL, space. */
export function writeHeaderChecksum(block: Buffer): void {
  block.write(headerChecksum(block).toString(8).padStart(6, '0'), CHKSUM[0], 'latin1');
  block[CHKSUM[0] + 6] = 0;
  block[CHKSUM[0] + 7] = 0x20;
}

/**
 * One POSIX ustar header block. The caller has already moved what does not fit (long or
 * non-ASCII names, sizes from 8 GiB) into a pax record; the fields then hold a stand-in.
 */
export function encodeUstarHeader(fields: UstarFields): Buffer {
  const block = Buffer.alloc(BLOCKSIZE);
  const split = splitUstarName(fields.name);
  if (!split) throw new RangeError(`tar name does not fit a ustar header: ${fields.name}`);
  writeString(block, NAME, split.name);
  writeOctal(block, MODE, fields.mode & 0o7777);
  writeOctal(block, UID, fields.uid);
  writeOctal(block, GID, fields.gid);
  writeOctal(block, SIZE, fields.size);
  writeOctal(block, MTIME, fields.mtime);
  block[TYPEFLAG] = fields.typeflag;
  writeString(block, LINKNAME, fields.linkname ?? '');
  block.write(TMAGIC, MAGIC[0], 'latin1'); // the sixth byte stays NUL
  block.write(TVERSION, VERSION[0], 'latin1');
  writeString(block, UNAME, fields.uname ?? '');
  writeString(block, GNAME, fields.gname ?? '');
  writeOctal(block, DEVMAJOR, 0);
  writeOctal(block, DEVMINOR, 0);
  writeString(block, PREFIX, split.prefix);
  writeHeaderChecksum(block);
  return block;
}

function readString(block: Uint8Array, [offset, length]: readonly [number, number]): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return Buffer.from(field.subarray(0, end === -1 ? length : end)).toString('utf8');
}

/** Octal with optional leading spaces and NUL/space terminators, or GNU base-256 (high bit set). */
function readNumber(block: Uint8Array, [offset, length]: readonly [number, number], field: string): number {
  const bytes = block.subarray(offset, offset + length);
  if (bytes[0]! & 0x80) {
    if (bytes[0] === 0xff) throw new TarFormatError(`negative base-256 ${field} in tar header`);
    let value = bytes[0]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + bytes[i]!;
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} in tar header is too large`);
    return value;
  }
  const text = Buffer.from(bytes).toString('latin1').replace(/[\0 ]+$/, '').replace(/^[ ]+/, '');
  const digits = text.split('\0')[0]!;
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw new TarFormatError(`${field} in tar header is not an octal number: ${JSON.stringify(text)}`);
  return parseInt(digits, 8);
}

/** Is this block the end-of-archive marker (all zero)? */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCKSIZE; i++) if (block[i] !== 0) return false;
  return true;
}

/** Decodes a header block; throws TarFormatError when its checksum is wrong. */
export function decodeUstarHeader(block: Uint8Array): DecodedHeader {
  const stored = readNumber(block, CHKSUM, 'checksum');
  const sum = headerChecksum(block);
  // Some old tars summed signed bytes; accept that variant as GNU tar does.
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCKSIZE; i++) {
    if (i < CHKSUM[0] || i >= CHKSUM[0] + CHKSUM[1]) signed += (block[i]! << 24) >> 24;
  }
  if (stored !== sum && stored !== signed) {
    throw new TarFormatError(`bad tar header checksum (stored ${stored.toString(8)}, computed ${sum.toString(8)})`);
  }
  const magic = Buffer.from(block.subarray(MAGIC[0], MAGIC[0] + 8)).toString('latin1');
  const format = magic === 'ustar\u000000' ? 'ustar' : magic === 'ustar  \u0000' ? 'gnu' : 'v7';
  let name = readString(block, NAME);
  if (format === 'ustar') {
    const prefix = readString(block, PREFIX);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: readNumber(block, MODE, 'mode'),
    uid: readNumber(block, UID, 'uid'),
    gid: readNumber(block, GID, 'gid'),
    size: readNumber(block, SIZE, 'size'),
    mtime: readNumber(block, MTIME, 'mtime'),
    typeflag: block[TYPEFLAG]!,
    linkname: readString(block, LINKNAME),
    uname: format === 'v7' ? '' : readString(block, UNAME),
    gname: format === 'v7' ? '' : readString(block, GNAME),
    format,
  };
}

/** Rewrites the size field of an existing header block (a pax header whose records changed), keeping every other byte. */
export function withHeaderSize(block: Uint8Array, size: number): Buffer {
  const copy = Buffer.from(block);
  copy.fill(0, SIZE[0], SIZE[0] + SIZE[1]);
  writeOctal(copy, SIZE, size);
  writeHeaderChecksum(copy);
  return copy;
}

/** Zero bytes that pad `size` bytes of data to a whole block. */
export function paddingFor(size: number): Buffer {
  const rest = size % BLOCKSIZE;
  return Buffer.alloc(rest === 0 ? 0 : BLOCKSIZE - rest);
}

/** Entry types whose header is followed by no data, whatever the size field says (as Go's archive/tar reads them). */
export function isHeaderOnlyType(typeflag: number): boolean {
  return typeflag === LNKTYPE || typeflag === SYMTYPE || typeflag === CHRTYPE || typeflag === BLKTYPE ||
    typeflag === DIRTYPE || typeflag === FIFOTYPE;
}

export function typeflagName(typeflag: number): string {
  switch (typeflag) {
    case REGTYPE: case AREGTYPE: case CONTTYPE: return 'regular file';
    case LNKTYPE: return 'hard link';
    case SYMTYPE: return 'symbolic link';
    case CHRTYPE: return 'character device';
    case BLKTYPE: return 'block device';
    case DIRTYPE: return 'directory';
    case FIFOTYPE: return 'fifo';
    default: return `entry of type ${JSON.stringify(String.fromCharCode(typeflag))}`;
  }
}
