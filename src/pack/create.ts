// `pack --output FILE CAPS SOURCE:DEST ...`: a new layer tar holding each SOURCE at DEST with
// its capability as the pax record SCHILY.xattr.security.capability. `ADD FILE /` in a
// Dockerfile (legacy builder and BuildKit) extracts it with the xattr: one layer, the file
// once, no tool in the image.
import * as fs from 'node:fs';
import { entryHeaderBlocks } from './entry';
import type { ByteSink } from './io';
import { PAX_CAPABILITY_KEY } from './pax';
import { BLOCKSIZE, DIRTYPE, paddingFor, REGTYPE } from './ustar';

/** A file to place in the tar. `fd` is the source, opened and checked when the arguments were validated. */
export interface LayerFile {
  /** Path in the tar: relative, normalized, no trailing '/'. */
  dest: string;
  /** The SOURCE argument, for messages. */
  source: string;
  fd: number;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** The security.capability value (revision 2). */
  capability: Uint8Array;
}

export interface LayerDirectory {
  /** Path in the tar: relative, normalized, no trailing '/'. */
  dest: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

export type LayerEntry = ({ kind: 'directory' } & LayerDirectory) | ({ kind: 'file' } & LayerFile);

/** The mode of the parent directories pack adds: what every base image has for /usr, /usr/local/bin ... */
export const PARENT_DIRECTORY_MODE = 0o755;

/**
 * Entries in tar order: each file preceded by the directories above it that no earlier entry
 * created (root:root, 0755, `directoryMtime`), when `parents` is set. Files keep argument order.
 */
export function planLayer(files: readonly LayerFile[], parents: boolean, directoryMtime: number): LayerEntry[] {
  const entries: LayerEntry[] = [];
  const made = new Set<string>();
  for (const file of files) {
    if (parents) {
      const parts = file.dest.split('/');
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join('/');
        if (made.has(dir)) continue;
        made.add(dir);
        entries.push({ kind: 'directory', dest: dir, mode: PARENT_DIRECTORY_MODE, uid: 0, gid: 0, mtime: directoryMtime });
      }
    }
    entries.push({ kind: 'file', ...file });
  }
  return entries;
}

/** Copies exactly `size` bytes from the source; a file that shrank or grew since validation is an error. */
function copySource(file: LayerFile, sink: ByteSink): void {
  const buffer = Buffer.allocUnsafe(1 << 20);
  let copied = 0;
  for (;;) {
    const n = fs.readSync(file.fd, buffer, 0, buffer.length, copied);
    if (n === 0) break;
    if (copied + n > file.size) throw new Error(`${file.source}: the file grew while it was being packed`);
    sink.write(buffer.subarray(0, n));
    copied += n;
  }
  if (copied !== file.size) throw new Error(`${file.source}: the file shrank while it was being packed`);
}

/** Writes the tar: entries, then the end-of-archive marker (two zero blocks). */
export function writeLayerTar(entries: readonly LayerEntry[], sink: ByteSink): void {
  for (const entry of entries) {
    if (entry.kind === 'directory') {
      const blocks = entryHeaderBlocks({
        name: `${entry.dest}/`, mode: entry.mode, uid: entry.uid, gid: entry.gid, size: 0, mtime: entry.mtime, typeflag: DIRTYPE,
      });
      for (const block of blocks) sink.write(block);
      continue;
    }
    const blocks = entryHeaderBlocks(
      { name: entry.dest, mode: entry.mode, uid: entry.uid, gid: entry.gid, size: entry.size, mtime: entry.mtime, typeflag: REGTYPE },
      [{ key: PAX_CAPABILITY_KEY, value: entry.capability }],
    );
    for (const block of blocks) sink.write(block);
    copySource(entry, sink);
    sink.write(paddingFor(entry.size));
  }
  sink.write(Buffer.alloc(2 * BLOCKSIZE));
}
