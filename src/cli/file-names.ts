// File names as bytes. Linux names are byte strings; Node decodes argv and readdir results as
// UTF-8, which turns a byte that is not UTF-8 (0xff) into U+FFFD, whose encoding (ef bf bd) names
// another file. A name is kept as a string when its UTF-8 spelling gives back its bytes, and as
// its bytes (a Buffer) otherwise; messages carry such a name's bytes, as libcap prints it with %s.
import * as fs from 'node:fs';
import { pathBytes, type XattrPath } from '../native/xattr';

export type FileName = XattrPath;

/** The name with these bytes: a string when UTF-8 spells exactly them, else the bytes. */
export function fileNameFromBytes(bytes: Buffer): FileName {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : bytes;
}

/** Argument i as a file name: its raw bytes when they are known and the decoded string lost some. */
export function fileArgument(argv: readonly string[], argvBytes: readonly Buffer[] | undefined, i: number): FileName {
  const text = argv[i]!;
  const raw = argvBytes?.[i];
  if (raw === undefined || Buffer.from(text, 'utf8').equals(raw)) return text;
  return raw;
}

/** A key that is equal for two spellings of the same bytes. */
export function fileNameKey(name: FileName): string {
  return pathBytes(name).toString('latin1');
}

/** A message made of text and file names: a string when every part is one, else the bytes of all. */
export function joinText(...parts: readonly FileName[]): string | Buffer {
  if (parts.every((part): part is string => typeof part === 'string')) return parts.join('');
  return Buffer.concat(parts.map(pathBytes));
}

/** `prefix/name` as nftw builds it, in bytes when either part is bytes. */
export function joinFileName(prefix: FileName, name: FileName): FileName {
  const joined = joinText(prefix, name);
  return typeof joined === 'string' ? joined : fileNameFromBytes(joined);
}

/**
 * The program's arguments as the kernel passed them: the last `count` NUL-terminated strings of
 * /proc/self/cmdline (under `node script` and in the pkg standalone alike, process.argv.slice(2)
 * are the last ones). Undefined when /proc is missing or the bytes do not decode to `argv`.
 */
export function readArgumentBytes(argv: readonly string[], cmdline = '/proc/self/cmdline'): Buffer[] | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(cmdline);
  } catch {
    return undefined;
  }
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 0) return undefined;
  const all: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const end = bytes.indexOf(0, start);
    all.push(bytes.subarray(start, end));
    start = end + 1;
  }
  if (all.length < argv.length) return undefined;
  const args = all.slice(all.length - argv.length);
  return args.every((raw, i) => raw.toString('utf8') === argv[i]) ? args : undefined;
}
