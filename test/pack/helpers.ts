// Shared by the pack tests: the oracles (libcap's setcap/getcap, GNU tar, Python's tarfile) and
// a way to run packMain with captured output.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packMain } from '../../src/pack/cli';
import { scratchDir } from '../scratch';

export const SETCAP = '/usr/sbin/setcap';
export const GETCAP = '/usr/sbin/getcap';

/** Fails (never skips) when the machine lacks what the oracles need. */
export function requireOracles(): void {
  for (const tool of [SETCAP, GETCAP, '/usr/bin/tar', '/usr/bin/python3']) {
    if (!fs.existsSync(tool)) throw new Error(`${tool} is missing: install libcap2-bin, tar and python3 (npm test does)`);
  }
  if (process.getuid?.() !== 0) throw new Error('these tests need root: setcap and tar --xattrs -x write security.capability');
}

export { scratchDir } from '../scratch';

/** The bytes libcap 2.66's setcap writes for `text` (read back raw with Python's os.getxattr). */
export function libcapBytes(text: string, dir: string): string {
  const file = path.join(dir, `oracle-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, 'x');
  execFileSync(SETCAP, [text, file]);
  const hex = xattrHex(file);
  fs.rmSync(file);
  return hex;
}

/** security.capability of a file as hex, or '' when it has none. */
export function xattrHex(file: string): string {
  return execFileSync('python3', ['-c', `
import os, sys
try: print(os.getxattr(sys.argv[1], 'security.capability').hex())
except OSError: print('')
`, file], { encoding: 'utf8' }).trim();
}

export function getcapText(file: string): string {
  return execFileSync(GETCAP, [file], { encoding: 'utf8' }).trim().replace(`${file} `, '');
}

/** Extracts as root with xattrs, as Docker's daemon would, and returns the directory. */
export function gnuTarExtract(tarFile: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['--xattrs', "--xattrs-include=*", '-xpf', tarFile, '-C', dir]);
  return dir;
}

export interface TarMember {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  /** pax records, values as hex (Python's tarfile, surrogateescape: byte-exact). */
  pax: Record<string, string>;
  /** Byte range of the whole entry: its extended headers, header, data and padding. */
  start: number;
  end: number;
}

/** Python's tarfile as an independent reader. */
export function pythonTarMembers(tarFile: string): TarMember[] {
  const json = execFileSync('python3', ['-c', `
import json, sys, tarfile
out = []
with tarfile.open(sys.argv[1], 'r:') as t:
    for m in t:
        size = 0 if m.type in (tarfile.LNKTYPE, tarfile.SYMTYPE, tarfile.DIRTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE) else m.size
        out.append(dict(name=m.name, type=m.type.decode('latin1'), mode=m.mode, uid=m.uid, gid=m.gid, size=m.size,
            mtime=int(m.mtime), linkname=m.linkname,
            pax={k: v.encode('utf-8', 'surrogateescape').hex() for k, v in m.pax_headers.items()},
            start=m.offset, end=m.offset_data + (size + 511) // 512 * 512))
print(json.dumps(out))
`, tarFile], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(json) as TarMember[];
}

export interface PackRun {
  status: number;
  stderr: string;
  stdout: Buffer;
}

/** packMain in this process; stdin from `stdinFile` when given, stdout captured through a file. */
export function runPack(argv: string[], options: { env?: NodeJS.ProcessEnv; stdinFile?: string } = {}): PackRun {
  const dir = scratchDir('io');
  const stdoutPath = path.join(dir, 'stdout');
  const stdout = fs.openSync(stdoutPath, 'w+');
  const stdin = fs.openSync(options.stdinFile ?? '/dev/null', 'r');
  let stderr = '';
  try {
    const status = packMain(argv, options.env ?? {}, { stdin, stdout, stderr: (text) => void (stderr += text) });
    return { status, stderr, stdout: fs.readFileSync(stdoutPath) };
  } finally {
    fs.closeSync(stdout);
    fs.closeSync(stdin);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The pack CLI as a separate process (what a user runs), for pipes. */
export function runPackProcess(argv: string[], input?: Buffer): { status: number | null; stdout: Buffer; stderr: string } {
  const entry = path.join(__dirname, '../../src/pack/cli-entry.ts');
  const tsx = path.join(__dirname, '../../node_modules/.bin/tsx');
  const result = spawnSync(tsx, [entry, ...argv], { input, maxBuffer: 1 << 28 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

/**
 * Set-up for `test.before.each`: runs once; if it throws (no root, no docker ...), every test of the
 * file fails with that message while other test files still run (a throwing `before` hook or module
 * body would stop the whole uvu run).
 */
export function once(setUp: () => void): () => void {
  let outcome: { error: unknown } | undefined;
  return () => {
    if (!outcome) {
      try {
        setUp();
        outcome = { error: undefined };
      } catch (error) {
        outcome = { error };
      }
    }
    if (outcome.error !== undefined) throw outcome.error;
  };
}
