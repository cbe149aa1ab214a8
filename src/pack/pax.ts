// pax extended header records (POSIX pax(1), "pax Extended Header"): the data of a typeflag 'x'
// entry is a sequence of "LENGTH KEY=VALUE\n", LENGTH counting the whole record in bytes,
// itself included. Values are bytes, not text: SCHILY.xattr.<name> (the convention of
// star, GNU tar, Go's archive/tar and so Docker) carries an extended attribute's raw value,
// and security.capability holds arbitrary bytes (0x00, 0xff, ...). tar-stream encodes and
// decodes these values as UTF-8 strings, which turns 0xff into c3 bf; hence this module.

import { XATTR_NAME_CAPS } from '../caps/vfs';

/** The key prefix that carries an extended attribute in a pax header. */
export const PAX_SCHILY_XATTR = 'SCHILY.xattr.';
/** The record that gives a file its capabilities when the tar is extracted with xattrs. */
export const PAX_CAPABILITY_KEY = PAX_SCHILY_XATTR + XATTR_NAME_CAPS;

export interface PaxRecord {
  key: string;
  value: Uint8Array;
  /** The record exactly as it was read (kept so that untouched records are written back byte for byte). */
  raw?: Uint8Array;
}

/** Thrown for a pax header whose records do not parse. */
export class PaxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaxFormatError';
  }
}

/** One record: the length prefix counts its own digits, so grow it until it agrees. */
export function encodePaxRecord(key: string, value: Uint8Array): Buffer {
  if (key === '' || key.includes('=')) throw new RangeError(`invalid pax key: ${JSON.stringify(key)}`);
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length), 'latin1'), body]);
}

/** The data of a pax header: records written back raw when they were read, encoded otherwise. */
export function encodePaxRecords(records: readonly PaxRecord[]): Buffer {
  return Buffer.concat(records.map((record) => record.raw ?? encodePaxRecord(record.key, record.value)));
}

/** Splits the data of a pax header into records, byte-exact (values are not decoded as text). */
export function decodePaxRecords(data: Uint8Array): PaxRecord[] {
  const records: PaxRecord[] = [];
  let offset = 0;
  while (offset < data.length) {
    // Some writers pad the data with NULs; nothing after the first NUL at a record start is a record.
    if (data[offset] === 0) break;
    const space = data.indexOf(0x20, offset);
    const digits = space === -1 ? '' : Buffer.from(data.subarray(offset, space)).toString('latin1');
    if (!/^[0-9]+$/.test(digits)) throw new PaxFormatError(`pax record at byte ${offset} has no length`);
    const length = parseInt(digits, 10);
    const end = offset + length;
    if (length <= digits.length + 1 || end > data.length || data[end - 1] !== 0x0a) {
      throw new PaxFormatError(`pax record at byte ${offset} has a bad length ${length}`);
    }
    const equals = data.indexOf(0x3d, space + 1);
    if (equals === -1 || equals >= end - 1) throw new PaxFormatError(`pax record at byte ${offset} has no '='`);
    records.push({
      key: Buffer.from(data.subarray(space + 1, equals)).toString('utf8'),
      value: data.slice(equals + 1, end - 1),
      raw: data.slice(offset, end),
    });
    offset = end;
  }
  return records;
}

/** The records with `key` set to `value`: replaced where it was, otherwise appended. Other records are untouched. */
export function withPaxRecord(records: readonly PaxRecord[], key: string, value: Uint8Array): PaxRecord[] {
  let replaced = false;
  const result: PaxRecord[] = [];
  for (const record of records) {
    if (record.key !== key) result.push(record);
    else if (!replaced) {
      result.push({ key, value });
      replaced = true;
    }
  }
  if (!replaced) result.push({ key, value });
  return result;
}

/** The value of the last record with this key (later records override earlier ones), if any. */
export function paxValue(records: readonly PaxRecord[], key: string): Uint8Array | undefined {
  let value: Uint8Array | undefined;
  for (const record of records) if (record.key === key) value = record.value;
  return value;
}
