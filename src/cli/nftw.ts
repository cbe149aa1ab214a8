// A walk in the order of glibc's nftw(path, fn, 20, FTW_PHYS), which getcap -r uses: each
// directory before its entries (no FTW_DEPTH), entries in the order readdir(3) returns them
// (fs.opendirSync, not fs.readdirSync, which sorts), symbolic links reported and not followed.
// Names are read as bytes: one that is not UTF-8 stays bytes in the paths under it (file-names.ts).
import * as fs from 'node:fs';
import { fileNameFromBytes, joinFileName, type FileName } from './file-names';
import { S_IFDIR, S_IFLNK, S_IFMT } from './messages';

/** nftw's typeflag: FTW_F (any file that is neither a directory nor a symlink), FTW_D, FTW_DNR, FTW_SL, FTW_NS. */
export type FtwFlag = 'FTW_F' | 'FTW_D' | 'FTW_DNR' | 'FTW_SL' | 'FTW_NS';

export interface FtwEntry {
  /** The path as nftw builds it: the start without trailing slashes, then "/name" per level. */
  path: FileName;
  flag: FtwFlag;
  /** st_mode from lstat; absent for FTW_NS. */
  mode?: number;
}

function flagOf(mode: number): FtwFlag {
  if ((mode & S_IFMT) === S_IFDIR) return 'FTW_D';
  if ((mode & S_IFMT) === S_IFLNK) return 'FTW_SL';
  return 'FTW_F';
}

/** glibc strips trailing slashes from the start path, keeping a lone "/". */
function stripTrailingSlashes(start: FileName): FileName {
  let end = start.length;
  const slash = typeof start === 'string' ? (at: number) => start[at] === '/' : (at: number) => start[at] === 0x2f;
  while (end > 1 && slash(end - 1)) end--;
  return start.slice(0, end);
}

/** Every entry under `start` (itself first), as nftw with FTW_PHYS visits them. */
export function nftwPhys(start: FileName): FtwEntry[] {
  const entries: FtwEntry[] = [];
  visit(stripTrailingSlashes(start), entries);
  return entries;
}

function visit(path: FileName, entries: FtwEntry[]): void {
  let mode: number;
  try {
    mode = fs.lstatSync(path).mode;
  } catch {
    entries.push({ path, flag: 'FTW_NS' });
    return;
  }
  const flag = flagOf(mode);
  if (flag !== 'FTW_D') {
    entries.push({ path, flag, mode });
    return;
  }
  let names: FileName[];
  try {
    names = readdirInOrder(path);
  } catch {
    entries.push({ path, flag: 'FTW_DNR', mode });
    return;
  }
  entries.push({ path, flag, mode });
  const endsWithSlash = typeof path === 'string' ? path.endsWith('/') : path[path.length - 1] === 0x2f;
  const prefix = endsWithSlash ? path : joinFileName(path, '/');
  for (const name of names) visit(joinFileName(prefix, name), entries);
}

/** The names in a directory in readdir(3) order, without "." and "..". */
function readdirInOrder(path: FileName): FileName[] {
  // Node's typings only list string encodings here, but a Dir opened with 'buffer' gives each
  // entry's name as the bytes readdir(3) returned.
  const dir = fs.opendirSync(path, { encoding: 'buffer' as BufferEncoding });
  const names: FileName[] = [];
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) names.push(fileNameFromBytes(entry.name as unknown as Buffer));
  } finally {
    dir.closeSync();
  }
  return names;
}
