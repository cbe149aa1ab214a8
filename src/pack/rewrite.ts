// `pack --input TAR --output TAR CAPS DEST ...`: an existing tar (a layer, `docker export`
// output) written back with capabilities set on the named entries, for image tools that have
// no daemon. The tar is walked block by block and copied verbatim: only the pax extended
// header of a named entry changes (its SCHILY.xattr.security.capability record is replaced or
// added, other records keep their bytes), or one is inserted when the entry had none.
// Re-encoding entries through a tar library would rewrite headers and, for tar-stream, turn
// binary xattr values of other entries into UTF-8.
import { paxHeaderBlocks } from './entry';
import { PackError } from './errors';
import type { ByteReader, ByteSink } from './io';
import { decodePaxRecords, encodePaxRecords, PAX_CAPABILITY_KEY, PaxFormatError, paxValue, withPaxRecord, type PaxRecord } from './pax';
import {
  AREGTYPE, BLOCKSIZE, CONTTYPE, decodeUstarHeader, GNU_LONGLINK, GNU_LONGNAME, isHeaderOnlyType, isZeroBlock,
  LNKTYPE, paddingFor, REGTYPE, TarFormatError, typeflagName, withHeaderSize, XGLTYPE, XHDTYPE,
} from './ustar';

/** The form names are compared in: no leading '/' or './', no trailing '/', no '.' or empty components. */
export function normalizeTarName(name: string): string {
  return name.split('/').filter((part) => part !== '' && part !== '.').join('/');
}

/** Meta entries (pax, GNU long name) that belong to the entry header after them. */
type Meta =
  | { kind: 'raw'; bytes: Buffer[] }
  | { kind: 'pax'; header: Buffer; data: Buffer; records: PaxRecord[]; changed: boolean };

const COPY_CHUNK = 1 << 20;

function blocksFor(size: number): number {
  return Math.ceil(size / BLOCKSIZE) * BLOCKSIZE;
}

/**
 * Copies the input to `sink`, setting `targets` (normalized name -> security.capability value)
 * on the matching regular-file entries. Returns the names that matched; throws PackError when the
 * input is not a readable tar or a named entry is not a regular file.
 */
export function rewriteLayerTar(reader: ByteReader, sink: ByteSink, targets: ReadonlyMap<string, Uint8Array>): Set<string> {
  const matched = new Set<string>();
  let pending: Meta[] = [];
  let first = true;
  /** Set by a GNU long name entry, for the entry after it. */
  let longName: string | undefined;

  const readExactly = (length: number, what: string): Buffer => {
    const data = reader.read(length);
    if (data.length !== length) throw new PackError(`input tar is truncated: it ends inside ${what} (at byte ${reader.position()})`);
    return data;
  };

  for (;;) {
    const offset = reader.position();
    const block = reader.read(BLOCKSIZE);
    if (first && block.length >= 2 && block[0] === 0x1f && block[1] === 0x8b) {
      throw new PackError('input is gzip-compressed, not a tar: decompress it first (gunzip -c FILE |)');
    }
    if (first && block.length >= 4 && block.readUInt32LE(0) === 0xfd2fb528) {
      throw new PackError('input is zstd-compressed, not a tar: decompress it first (zstd -dc FILE |)');
    }
    first = false;
    if (block.length === 0) {
      // No end-of-archive marker (some writers stop at the last entry): end it properly.
      if (pending.length > 0) throw new PackError(`input tar is truncated: it ends after an extended header (at byte ${offset})`);
      sink.write(Buffer.alloc(2 * BLOCKSIZE));
      return matched;
    }
    if (block.length !== BLOCKSIZE) throw new PackError(`input tar is truncated: ${block.length} bytes of a header block at byte ${offset}`);
    if (isZeroBlock(block)) {
      if (pending.length > 0) throw new PackError(`input tar ends after an extended header with no entry (at byte ${offset})`);
      // End of archive: the marker and whatever padding follows it go out unchanged.
      sink.write(block);
      for (let rest = reader.read(COPY_CHUNK); rest.length > 0; rest = reader.read(COPY_CHUNK)) sink.write(rest);
      return matched;
    }

    let header;
    try {
      header = decodeUstarHeader(block);
    } catch (error) {
      if (error instanceof TarFormatError) throw new PackError(`input is not a tar, or is damaged: ${error.message} at byte ${offset}`);
      throw error;
    }

    if (header.typeflag === XHDTYPE || header.typeflag === XGLTYPE || header.typeflag === GNU_LONGNAME || header.typeflag === GNU_LONGLINK) {
      const data = readExactly(blocksFor(header.size), `the extended header at byte ${offset}`);
      if (header.typeflag === XHDTYPE) {
        let records: PaxRecord[];
        try {
          records = decodePaxRecords(data.subarray(0, header.size));
        } catch (error) {
          if (error instanceof PaxFormatError) throw new PackError(`input tar has a bad pax header at byte ${offset}: ${error.message}`);
          throw error;
        }
        pending.push({ kind: 'pax', header: block, data, records, changed: false });
      } else if (header.typeflag === XGLTYPE) {
        // Global records apply to every later entry; they pass through where they are.
        sink.write(block);
        sink.write(data);
      } else {
        pending.push({ kind: 'raw', bytes: [block, data] });
        if (header.typeflag === GNU_LONGNAME) longName = cString(data.subarray(0, header.size));
      }
      continue;
    }

    const paxRecords = pending.flatMap((meta) => (meta.kind === 'pax' ? meta.records : []));
    const paxPath = paxValue(paxRecords, 'path');
    const paxSize = paxValue(paxRecords, 'size');
    const name = paxPath ? Buffer.from(paxPath).toString('utf8') : longName ?? header.name;
    longName = undefined;
    const size = paxSize ? Number(Buffer.from(paxSize).toString('latin1')) : header.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new PackError(`input tar entry ${JSON.stringify(name)} has a bad size`);
    const dataLength = isHeaderOnlyType(header.typeflag) ? 0 : size;

    const key = normalizeTarName(name);
    const capability = targets.get(key);
    if (capability) {
      const isRegular = header.typeflag === REGTYPE || header.typeflag === AREGTYPE || header.typeflag === CONTTYPE;
      if (!isRegular) {
        const detail = header.typeflag === LNKTYPE ? ` to ${JSON.stringify(header.linkname)}; name that entry instead` : '';
        throw new PackError(`${JSON.stringify(name)} in the input tar is a ${typeflagName(header.typeflag)}${detail}, not a regular file`);
      }
      pending = withCapability(pending, name, header.mtime, capability);
      matched.add(key);
    }

    for (const meta of pending) {
      if (meta.kind === 'raw') for (const bytes of meta.bytes) sink.write(bytes);
      else writePax(meta, sink);
    }
    pending = [];
    sink.write(block);
    let remaining = blocksFor(dataLength);
    while (remaining > 0) {
      const chunk = readExactly(Math.min(remaining, COPY_CHUNK), `the data of ${JSON.stringify(name)}`);
      sink.write(chunk);
      remaining -= chunk.length;
    }
  }
}

function cString(data: Uint8Array): string {
  const end = data.indexOf(0);
  return Buffer.from(end === -1 ? data : data.subarray(0, end)).toString('utf8');
}

/** Meta entries with the capability record set: in the last pax header when there is one, else in a new one. */
function withCapability(pending: readonly Meta[], name: string, mtime: number, capability: Uint8Array): Meta[] {
  const lastPax = pending.map((meta) => meta.kind).lastIndexOf('pax');
  if (lastPax === -1) {
    const blocks = paxHeaderBlocks(name, mtime, encodePaxRecords([{ key: PAX_CAPABILITY_KEY, value: capability }]));
    return [...pending, { kind: 'raw', bytes: blocks }];
  }
  // Earlier pax headers for the same entry (rare) must not keep an older capability record either.
  return pending.map((meta, index) => {
    if (meta.kind !== 'pax') return meta;
    if (index === lastPax) return { ...meta, records: withPaxRecord(meta.records, PAX_CAPABILITY_KEY, capability), changed: true };
    if (!meta.records.some((record) => record.key === PAX_CAPABILITY_KEY)) return meta;
    return { ...meta, records: meta.records.filter((record) => record.key !== PAX_CAPABILITY_KEY), changed: true };
  });
}

/** A pax header: verbatim when untouched; otherwise its records re-joined (each untouched record keeps its bytes). */
function writePax(meta: Extract<Meta, { kind: 'pax' }>, sink: ByteSink): void {
  if (!meta.changed) {
    sink.write(meta.header);
    sink.write(meta.data);
    return;
  }
  const data = encodePaxRecords(meta.records);
  const header = decodeUstarHeader(meta.header);
  sink.write(header.size === data.length ? meta.header : withHeaderSize(meta.header, data.length));
  sink.write(data);
  sink.write(paddingFor(data.length));
}
