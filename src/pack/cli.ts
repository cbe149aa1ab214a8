// The `pack` command line. Everything is checked before the first byte is written (every
// capability text, every source, every destination), and the output appears whole or not at
// all, so a failure leaves nothing behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isatty } from 'node:tty';
import { CapTextError, parseCapText } from '../caps/text';
import { encodeVfsCap, fileCapsFromSets, FileCapsError } from '../caps/vfs';
import { planLayer, writeLayerTar, type LayerFile } from './create';
import { PackError } from './errors';
import { atomicFileSink, fdReader, heldFdSink, isDirectory, type ByteSink } from './io';
import { normalizeTarName, rewriteLayerTar } from './rewrite';
import { readOptions } from '../cli/options';

export const PACK_USAGE = `usage: setcap-static pack --output FILE [options] CAPS SOURCE:DEST [CAPS SOURCE:DEST ...]
       setcap-static pack --input FILE --output FILE CAPS DEST [CAPS DEST ...]

Writes a tar whose entries carry file capabilities as the pax record
SCHILY.xattr.security.capability (libcap's revision-2 bytes). In a Dockerfile,
"ADD FILE.tar /" extracts it with the capability (legacy builder and BuildKit).

  -o, --output FILE   the tar to write, '-' for stdout; written whole or not at all
  -i, --input FILE    rewrite this tar ('-' for stdin) instead of creating one: each
                      DEST names an entry (a regular file) whose capability is set or
                      replaced; every other byte is copied unchanged
      --mode OCTAL    mode of the packed files (default: each SOURCE's mode)
      --owner UID:GID numeric owner of the packed files (default 0:0)
      --mtime SECONDS mtime of every entry (default: $SOURCE_DATE_EPOCH when set,
                      else each SOURCE's mtime; parent directories: the newest)
      --no-parents    no entries for the directories above each DEST (by default
                      they are added as root:root 0755)
  -h, --help          this text

CAPS is libcap text ("cap_net_bind_service=ep"). SOURCE:DEST splits at the last ':';
a DEST ending in '/' takes SOURCE's file name. -n ROOTID is refused: a rootid
(revision 3) is meaningless in an image.
`;

export interface PackIo {
  stdin: number;
  stdout: number;
  stderr: (text: string) => void;
}

const processIo: PackIo = { stdin: 0, stdout: 1, stderr: (text) => void process.stderr.write(text) };

interface PackOptions {
  output?: string;
  input?: string;
  mode?: number;
  owner?: { uid: number; gid: number };
  mtime?: number;
  parents: boolean;
  positionals: string[];
}

/** The highest capability the running kernel knows: what `all` means, as for libcap's setcap. */
function runningLastCap(): number {
  try {
    const value = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'latin1').trim());
    if (Number.isInteger(value) && value >= 0 && value < 64) return value;
  } catch {
    // No /proc (a bare chroot): fall through to the newest capability this code knows.
  }
  return 40;
}

function parseSeconds(text: string, what: string): number {
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new PackError(`${what} must be whole seconds since the epoch, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function parseArgs(argv: readonly string[]): PackOptions | 'help' {
  const options: PackOptions = { parents: true, positionals: [] };
  const positionals = readOptions(argv, ({ name, value }) => {
    switch (name) {
      case '-o': case '--output':
        options.output = value();
        break;
      case '-i': case '--input':
        options.input = value();
        break;
      case '--mode': {
        const text = value();
        if (!/^[0-7]{1,4}$/.test(text)) throw new PackError(`--mode must be octal permission bits like 0755, got ${JSON.stringify(text)}`);
        options.mode = parseInt(text, 8);
        break;
      }
      case '--owner': {
        const text = value();
        const match = /^([0-9]+):([0-9]+)$/.exec(text);
        const uid = Number(match?.[1]);
        const gid = Number(match?.[2]);
        if (!match || !Number.isSafeInteger(uid) || !Number.isSafeInteger(gid) || uid > 0xffffffff || gid > 0xffffffff) {
          throw new PackError(`--owner must be numeric UID:GID like 0:0, got ${JSON.stringify(text)}`);
        }
        options.owner = { uid, gid };
        break;
      }
      case '--mtime':
        options.mtime = parseSeconds(value(), '--mtime');
        break;
      case '--no-parents':
        options.parents = false;
        break;
      case '-n':
        throw new PackError(
          '-n ROOTID is not supported by pack: a tar carries revision-2 capabilities only; a rootid (revision 3) ' +
            "names a user namespace's root on one host, which means nothing inside an image",
        );
      default:
        throw new PackError(`unknown option ${JSON.stringify(name)} (see --help)`);
    }
  }, (name) => new PackError(`${name} needs a value`));
  if (positionals === 'help') return 'help';
  options.positionals = positionals;
  return options;
}

/** CAPS text -> the security.capability bytes libcap's setcap writes (revision 2). */
function capabilityBytes(text: string, where: string, lastCap: number): Uint8Array {
  try {
    const bytes = encodeVfsCap(fileCapsFromSets(parseCapText(text, { lastCap })));
    if (bytes.length !== 20 || bytes[3] !== 2) throw new PackError(`${where}: the encoder gave ${bytes.length} bytes, not revision 2`);
    return bytes;
  } catch (error) {
    if (error instanceof CapTextError) {
      throw new PackError(`${where}: invalid capability text ${JSON.stringify(text)} at ${JSON.stringify(error.token)} (offset ${error.position}): ${error.message}`);
    }
    if (error instanceof FileCapsError) throw new PackError(`${where}: capability text ${JSON.stringify(text)} cannot be stored on a file: ${error.message}`);
    throw error;
  }
}

/** DEST -> the path inside the tar; refuses what would land outside the image's root. */
function tarPath(dest: string, where: string): string {
  if (dest.includes('\0')) throw new PackError(`${where}: DEST contains a NUL byte`);
  if (dest.split('/').includes('..')) throw new PackError(`${where}: DEST ${JSON.stringify(dest)} contains '..'; it must stay inside the image`);
  const name = normalizeTarName(dest);
  if (name === '') throw new PackError(`${where}: DEST ${JSON.stringify(dest)} names the root, not a file`);
  return name;
}

function describe(pair: readonly string[], index: number): string {
  return `pair ${index + 1} (${pair.map((part) => JSON.stringify(part)).join(' ')})`;
}

function pairsOf(positionals: readonly string[], second: string): string[][] {
  if (positionals.length === 0) throw new PackError(`nothing to pack: give CAPS ${second} pairs (see --help)`);
  if (positionals.length % 2 !== 0) {
    throw new PackError(`arguments come in pairs CAPS ${second}; ${JSON.stringify(positionals[positionals.length - 1])} has no ${second}`);
  }
  const pairs: string[][] = [];
  for (let i = 0; i < positionals.length; i += 2) pairs.push([positionals[i]!, positionals[i + 1]!]);
  return pairs;
}

/** Opens and checks every source, resolves every destination: all of it before anything is written. */
function layerFiles(options: PackOptions, env: NodeJS.ProcessEnv, opened: number[]): LayerFile[] {
  const lastCap = runningLastCap();
  const epoch = env.SOURCE_DATE_EPOCH !== undefined && env.SOURCE_DATE_EPOCH !== ''
    ? parseSeconds(env.SOURCE_DATE_EPOCH, 'SOURCE_DATE_EPOCH')
    : undefined;
  const fixedMtime = options.mtime ?? epoch;
  const files: LayerFile[] = [];
  const seen = new Map<string, string>();
  pairsOf(options.positionals, 'SOURCE:DEST').forEach((pair, index) => {
    const where = describe(pair, index);
    const [text, sourceDest] = pair as [string, string];
    const capability = capabilityBytes(text, where, lastCap);
    const colon = sourceDest.lastIndexOf(':');
    if (colon <= 0 || colon === sourceDest.length - 1) throw new PackError(`${where}: expected SOURCE:DEST, got ${JSON.stringify(sourceDest)}`);
    const source = sourceDest.slice(0, colon);
    let dest = sourceDest.slice(colon + 1);
    if (dest.endsWith('/')) dest += path.basename(source);
    const name = tarPath(dest, where);
    const earlier = seen.get(name);
    if (earlier) throw new PackError(`${where}: DEST /${name} is already given by ${earlier}`);
    for (const [other, otherWhere] of seen) {
      if (other.startsWith(`${name}/`) || name.startsWith(`${other}/`)) {
        throw new PackError(`${where}: DEST /${name} and /${other} (${otherWhere}) cannot both exist: one would be a directory`);
      }
    }
    seen.set(name, where);
    let fd: number;
    try {
      fd = fs.openSync(source, fs.constants.O_RDONLY);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
      throw new PackError(`${where}: cannot open SOURCE ${JSON.stringify(source)}: ${reason}`);
    }
    opened.push(fd);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new PackError(`${where}: SOURCE ${JSON.stringify(source)} is not a regular file`);
    files.push({
      dest: name,
      source,
      fd,
      size: stat.size,
      mode: options.mode ?? stat.mode & 0o7777,
      uid: options.owner?.uid ?? 0,
      gid: options.owner?.gid ?? 0,
      mtime: fixedMtime ?? Math.floor(stat.mtimeMs / 1000),
      capability,
    });
  });
  return files;
}

function rewriteTargets(options: PackOptions): Map<string, { capability: Uint8Array; where: string }> {
  for (const [set, flag] of [[options.mode !== undefined, '--mode'], [options.owner !== undefined, '--owner'],
    [options.mtime !== undefined, '--mtime'], [!options.parents, '--no-parents']] as const) {
    if (set) throw new PackError(`${flag} is for new entries; with --input, entries keep their own headers`);
  }
  const lastCap = runningLastCap();
  const targets = new Map<string, { capability: Uint8Array; where: string }>();
  pairsOf(options.positionals, 'DEST').forEach((pair, index) => {
    const where = describe(pair, index);
    const [text, dest] = pair as [string, string];
    const capability = capabilityBytes(text, where, lastCap);
    const name = tarPath(dest, where);
    const earlier = targets.get(name);
    if (earlier) throw new PackError(`${where}: DEST /${name} is already given by ${earlier.where}`);
    targets.set(name, { capability, where });
  });
  return targets;
}

function openOutput(output: string, io: PackIo): ByteSink {
  if (output === '-') {
    if (isTerminal(io.stdout)) throw new PackError('refusing to write a tar to a terminal; redirect stdout or give --output FILE');
    return heldFdSink(io.stdout);
  }
  if (isDirectory(output)) throw new PackError(`--output ${JSON.stringify(output)} is a directory; give a file name`);
  try {
    return atomicFileSink(output);
  } catch (error) {
    throw new PackError(`cannot write --output ${JSON.stringify(output)}: ${(error as Error).message}`);
  }
}

function isTerminal(fd: number): boolean {
  return isatty(fd);
}

function run(options: PackOptions, env: NodeJS.ProcessEnv, io: PackIo): void {
  if (options.output === undefined) throw new PackError('--output FILE is required (\'-\' for stdout)');
  const opened: number[] = [];
  let sink: ByteSink | undefined;
  try {
    if (options.input === undefined) {
      const files = layerFiles(options, env, opened);
      const directoryMtime = options.mtime ?? (files.length ? Math.max(...files.map((file) => file.mtime)) : 0);
      const entries = planLayer(files, options.parents, directoryMtime);
      sink = openOutput(options.output, io);
      writeLayerTar(entries, sink);
    } else {
      const targets = rewriteTargets(options);
      let inputFd = io.stdin;
      if (options.input === '-') {
        if (isTerminal(io.stdin)) throw new PackError('refusing to read a tar from a terminal; redirect stdin or give --input FILE');
      } else {
        try {
          inputFd = fs.openSync(options.input, fs.constants.O_RDONLY);
        } catch (error) {
          throw new PackError(`cannot open --input ${JSON.stringify(options.input)}: ${(error as Error).message}`);
        }
        opened.push(inputFd);
        if (!fs.fstatSync(inputFd).isFile()) throw new PackError(`--input ${JSON.stringify(options.input)} is not a regular file`);
      }
      sink = openOutput(options.output, io);
      const matched = rewriteLayerTar(fdReader(inputFd), sink, new Map([...targets].map(([name, target]) => [name, target.capability])));
      const missing = [...targets].filter(([name]) => !matched.has(name));
      if (missing.length > 0) {
        throw new PackError(missing.map(([name, target]) => `${target.where}: no entry /${name} in the input tar`).join('\n'));
      }
    }
    sink.commit();
    sink = undefined;
  } finally {
    sink?.abort();
    for (const fd of opened) fs.closeSync(fd);
  }
}

/** `setcap-static pack ARGS`: returns the exit status (0, or 1 with a message on stderr). */
export function packMain(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: PackIo = processIo): number {
  try {
    const options = parseArgs(argv);
    if (options === 'help') {
      fs.writeSync(io.stdout, PACK_USAGE);
      return 0;
    }
    run(options, env, io);
    return 0;
  } catch (error) {
    if (error instanceof PackError) {
      io.stderr(error.message.split('\n').map((line) => `setcap-static pack: ${line}\n`).join(''));
      return 1;
    }
    io.stderr(`setcap-static pack: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
