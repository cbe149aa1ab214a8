// One tar entry's header blocks as pack writes them: a pax extended header ('x') when the entry
// carries records (the capability, or a name/size/id too large for ustar), then the ustar header.
import { encodePaxRecords, type PaxRecord } from './pax';
import {
  encodeUstarHeader, paddingFor, splitUstarName, USTAR_MAX_ID, USTAR_MAX_SIZE, XHDTYPE, type UstarFields,
} from './ustar';

/** A name that fits the ustar fields, for readers that ignore the pax `path` record. */
function standInName(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  if (splitUstarName(ascii)) return ascii;
  const trailingSlash = ascii.endsWith('/') ? '/' : '';
  return ascii.replace(/\/$/, '').slice(-(100 - trailingSlash.length)).replace(/^\/+/, '') + trailingSlash;
}

/** The pax header's own name: GNU tar's "PaxHeaders.N/NAME" convention without the process number. */
function paxHeaderName(name: string): string {
  const base = name.replace(/\/$/, '').split('/').pop() ?? 'entry';
  return standInName(`PaxHeaders/${base}`);
}

/**
 * Header blocks for an entry: `records` (e.g. the capability) go into a pax header, joined by
 * path/size/uid/gid records when the value does not fit its ustar field.
 */
export function entryHeaderBlocks(fields: UstarFields, records: readonly PaxRecord[] = []): Buffer[] {
  const all: PaxRecord[] = [];
  const ustar: UstarFields = { ...fields };
  if (!splitUstarName(fields.name)) {
    all.push({ key: 'path', value: Buffer.from(fields.name, 'utf8') });
    ustar.name = standInName(fields.name);
  }
  if (fields.size > USTAR_MAX_SIZE) {
    all.push({ key: 'size', value: Buffer.from(String(fields.size)) });
    ustar.size = 0;
  }
  if (fields.uid > USTAR_MAX_ID) {
    all.push({ key: 'uid', value: Buffer.from(String(fields.uid)) });
    ustar.uid = 0;
  }
  if (fields.gid > USTAR_MAX_ID) {
    all.push({ key: 'gid', value: Buffer.from(String(fields.gid)) });
    ustar.gid = 0;
  }
  all.push(...records);
  const blocks: Buffer[] = [];
  if (all.length > 0) blocks.push(...paxHeaderBlocks(fields.name, fields.mtime, encodePaxRecords(all)));
  blocks.push(encodeUstarHeader(ustar));
  return blocks;
}

/** A pax extended header entry ('x') holding `data`, padded to whole blocks. */
export function paxHeaderBlocks(entryName: string, mtime: number, data: Buffer): Buffer[] {
  const header = encodeUstarHeader({
    name: paxHeaderName(entryName), mode: 0o644, uid: 0, gid: 0, size: data.length, mtime, typeflag: XHDTYPE,
  });
  return [header, data, paddingFor(data.length)];
}
