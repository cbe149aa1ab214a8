// The getcap command line of libcap 2.66, output byte for byte: `FILE TEXT` per file with a
// capability, `-v` adds files without one and "(Not a regular file)" lines, `-n` appends
// " [rootid=N]" for a namespaced (revision 3) attribute, `-r` walks directories as nftw with
// FTW_PHYS does. Exit status 0 even when a file cannot be read, as getcap's.
//
// The files are found with lstat and the walk here; their attributes are then read by one
// helper run (another only after a file that could not be read).
import * as fs from 'node:fs';
import { formatCapText, formatRootidSuffix } from '../caps/text';
import { decodeVfsCap, FileCapsError, setsFromFileCaps } from '../caps/vfs';
import { NativeError } from '../native/xattr';
import type { CliEnv } from './env';
import { fileArgument, joinText, type FileName } from './file-names';
import { EINVAL, ENODATA, EOPNOTSUPP, S_IFLNK, S_IFMT, S_IFREG } from './messages';
import { nftwPhys, type FtwFlag } from './nftw';
import { COMPLETED, stopped, type CommandOutcome } from './outcome';
import { readCapabilities } from './reads';
import { strerror } from './strerror';
import { getcapUsage, licenseText } from './usage';

export interface GetcapNames {
  /** Printed in the usage text: "getcap", or "setcap-static get". */
  usage: string;
  /** Printed by getopt's complaints, argv[0] as glibc prints it. */
  argv0: string;
}

interface GetcapOptions {
  recursive: boolean;
  verbose: boolean;
  namespace: boolean;
  files: FileName[];
}

/** glibc getopt(argc, argv, "rvhnl"): options may follow operands (GNU permutes), "--" ends them. */
function parseGetcapOptions(argv: readonly string[], env: CliEnv, names: GetcapNames): GetcapOptions | CommandOutcome {
  const options: GetcapOptions = { recursive: false, verbose: false, namespace: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      for (let k = i + 1; k < argv.length; k++) options.files.push(fileArgument(argv, env.argvBytes, k));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      options.files.push(fileArgument(argv, env.argvBytes, i));
      continue;
    }
    for (const letter of arg.slice(1)) {
      switch (letter) {
        case 'r':
          options.recursive = true;
          break;
        case 'v':
          options.verbose = true;
          break;
        case 'n':
          options.namespace = true;
          break;
        case 'h':
          env.stderr(getcapUsage(names.usage));
          return stopped(0);
        case 'l':
          env.stdout(licenseText(names.usage));
          return stopped(0);
        default:
          env.stderr(`${names.argv0}: invalid option -- '${letter}'\n${getcapUsage(names.usage)}`);
          return stopped(1);
      }
    }
  }
  if (options.files.length === 0) {
    env.stderr(getcapUsage(names.usage));
    return stopped(1);
  }
  return options;
}

/** One line of output, in the order getcap would print it. */
type Event =
  | { stream: 'stdout' | 'stderr'; text: string | Buffer }
  /** A file nftw calls FTW_F: its line depends on the attribute read. */
  | { read: FileName; regular: boolean };

function lstatFlag(mode: number): FtwFlag {
  // getcap without -r: regular files are FTW_F, symlinks FTW_SL, anything else FTW_NS.
  if ((mode & S_IFMT) === S_IFREG) return 'FTW_F';
  return (mode & S_IFMT) === S_IFLNK ? 'FTW_SL' : 'FTW_NS';
}

export function getcapMain(argv: readonly string[], env: CliEnv, names: GetcapNames): CommandOutcome {
  const parsed = parseGetcapOptions(argv, env, names);
  if (!('files' in parsed)) return parsed;
  const { recursive, verbose, namespace, files } = parsed;

  const events: Event[] = [];
  const visit = (path: FileName, flag: FtwFlag, mode?: number): void => {
    if (flag !== 'FTW_F') {
      if (verbose) events.push({ stream: 'stdout', text: joinText(path, ' (Not a regular file)\n') });
      return;
    }
    events.push({ read: path, regular: mode !== undefined && (mode & S_IFMT) === S_IFREG });
  };
  for (const file of files) {
    let mode: number;
    try {
      mode = fs.lstatSync(file).mode;
    } catch (error) {
      const errno = -((error as NodeJS.ErrnoException).errno ?? -EINVAL);
      events.push({ stream: 'stderr', text: joinText(file, ` (${strerror(errno)})\n`) });
      continue;
    }
    if (recursive) for (const entry of nftwPhys(file)) visit(entry.path, entry.flag, entry.mode);
    else visit(file, lstatFlag(mode), mode);
  }

  // FIFOs, devices and sockets met by -r are FTW_F for nftw, and libcap reads their attribute by
  // path; the helper opens what it reads, so they are taken as having none (they never do in practice).
  const toRead = events.flatMap((event) => ('read' in event && event.regular ? [event.read] : []));
  let reads;
  try {
    reads = readCapabilities(toRead, env.xattr);
  } catch (error) {
    if (!(error instanceof NativeError)) throw error;
    env.stderr(`${names.usage}: ${error.message}\n`);
    return stopped(1);
  }

  let failures = 0;
  let next = 0;
  for (const event of events) {
    if (!('read' in event)) {
      if (event.stream === 'stderr') failures++;
      env[event.stream](event.text);
      continue;
    }
    const read = event.regular ? reads[next++]! : { path: event.read, ok: true as const, value: null };
    const path = event.read;
    if (!read.ok) {
      const { errno, stage } = read.error;
      // cap_get_file: no attribute (ENODATA), or a file system without them (EOPNOTSUPP).
      // 'type': the file was replaced by a non-regular one since lstat; it has no capability.
      if (errno === ENODATA || errno === EOPNOTSUPP || stage === 'type') {
        if (verbose) env.stdout(joinText(path, '\n'));
      } else {
        failures++;
        env.stderr(joinText("Failed to get capabilities of file '", path, `' (${strerror(errno)})\n`));
      }
      continue;
    }
    if (read.value === null) {
      if (verbose) env.stdout(joinText(path, '\n'));
      continue;
    }
    let line: string | Buffer;
    try {
      const caps = decodeVfsCap(read.value);
      const text = formatCapText(setsFromFileCaps(caps), { lastCap: env.lastCap });
      line = joinText(path, ` ${text}${namespace ? formatRootidSuffix(caps.rootid) : ''}\n`);
    } catch (error) {
      if (!(error instanceof FileCapsError)) throw error;
      failures++;
      env.stderr(joinText("Failed to get capabilities of file '", path, `' (${strerror(EINVAL)})\n`));
      continue;
    }
    env.stdout(line);
  }
  return failures === 0 ? COMPLETED : stopped(0);
}
