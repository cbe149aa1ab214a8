// A walk in the order of glibc's nftw(path, fn, 20, FTW_PHYS), which getcap -r uses: each
// directory before its entries (no FTW_DEPTH), entries in the order readdir(3) returns them
// (fs.opendirSync, not fs.readdirSync, which sorts), symbolic links reported and not followed.
import * as fs from 'node:fs';
import { S_IFDIR, S_IFLNK, S_IFMT } from './messages';

/** nftw's typeflag: FTW_F (any file that is neither a directory nor a symlink), FTW_D, FTW_DNR, FTW_SL, FTW_NS. */
export type FtwFlag = 'FTW_F' | 'FTW_D' | 'FTW_DNR' | 'FTW_SL' | 'FTW_NS';

export interface FtwEntry {
  /** The path as nftw builds it: the start without trailing slashes, then "/name" per level. */
  path: string;
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
function stripTrailingSlashes(start: string): string {
  let end = start.length;
  while (end > 1 && start[end - 1] === '/') end--;
  return start.slice(0, end);
}

/** Every entry under `start` (itself first), as nftw with FTW_PHYS visits them. */
export function nftwPhys(start: string): FtwEntry[] {
  const entries: FtwEntry[] = [];
  visit(stripTrailingSlashes(start), entries);
  return entries;
}

function visit(path: string, entries: FtwEntry[]): void {
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
  let names: string[];
  try {
    names = readdirInOrder(path);
  } catch {
    entries.push({ path, flag: 'FTW_DNR', mode });
    return;
  }
  entries.push({ path, flag, mode });
  const prefix = path.endsWith('/') ? path : `${path}/`;
  for (const name of names) visit(prefix + name, entries);
}

/** The names in a directory in readdir(3) order, without "." and "..". */
function readdirInOrder(path: string): string[] {
  const dir = fs.opendirSync(path);
  const names: string[] = [];
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) names.push(entry.name);
  } finally {
    dir.closeSync();
  }
  return names;
}
