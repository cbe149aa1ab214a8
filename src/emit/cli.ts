// The `emit` command line: writes a standalone setter ELF for another image's architecture.
// Everything is checked (platform, every capability text, every path) before the output is
// written, and the output appears whole, mode 0755, or not at all.
import { CapTextError, parseCapText } from '../caps/text';
import { encodeVfsCap, fileCapsFromSets, FileCapsError } from '../caps/vfs';
import { PLATFORM_NAMES, platformFromName, type PlatformName } from './platforms';
import { SETTER_EXIT_NOT_REGULAR_FILE, SETTER_EXIT_ROLLBACK_FAILED } from '../native/batch';
import { buildSetter, type SetterTarget } from './setter';
import { readOptions } from '../cli/options';
import { atomicFileSink, isDirectory, type ByteSink } from '../pack/io';

export const EMIT_USAGE = `usage: setcap-static emit --arch ARCH --output FILE [--last-cap N] CAPS PATH [CAPS PATH ...]

Writes a tiny static ELF program (no libc, no shell, a few hundred bytes) that, run
inside an image, sets each PATH's file capabilities to CAPS (libcap's bytes) and
deletes itself afterwards when its name starts with '!' (run it as /!set):

  FROM scratch
  COPY app /app
  COPY setter /!set
  RUN ["/!set"]

  -a, --arch ARCH     the image's platform: ${PLATFORM_NAMES.join(' ')}
                      (a linux/ prefix is accepted; arm/v6 and arm/v7 share one program)
  -o, --output FILE   the program to write (mode 0755), written whole or not at all
      --last-cap N    what 'all' means: capabilities 0..N (default 40, Linux 5.9+)
  -h, --help          this text

CAPS is libcap text ("cap_net_bind_service=ep"). PATH is as the program will see it
in the image (absolute, or relative to the working directory of RUN).

The program opens every PATH (O_NOFOLLOW) and checks it is a regular file before the
first write, reading the attribute of each PATH a later write may have to restore; if a
write fails, earlier ones are undone.
Its exit status says what happened:
  0    every capability set (and the program deleted, when named !...)
  ${SETTER_EXIT_NOT_REGULAR_FILE}  a PATH is not a regular file; nothing written
  ${SETTER_EXIT_ROLLBACK_FAILED}  a write failed and undoing an earlier one failed too
  N    any other status is the errno of the failing call: 2 ENOENT (no such PATH),
       40 ELOOP (PATH is a symbolic link), 1 EPERM (needs CAP_SETFCAP), 13 EACCES,
       30 EROFS, 95 EOPNOTSUPP (filesystem without xattrs); nothing written. The
       one exception: when deleting itself fails, every capability was already set.
The program never deletes itself after a failure.
`;

/** Linux's PATH_MAX counts the terminating NUL: a longer path fails with ENAMETOOLONG anyway. */
const PATH_MAX = 4096;

/** An emit failure to report: bad arguments or an output that cannot be written. */
export class EmitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmitError';
  }
}

export interface EmitIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: EmitIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

interface EmitOptions {
  platform?: PlatformName;
  output?: string;
  lastCap: number;
  positionals: string[];
}

function parsePlatform(text: string): PlatformName {
  const platform = platformFromName(text);
  if (!platform) throw new EmitError(`--arch ${JSON.stringify(text)} is not a platform emit knows; use one of: ${PLATFORM_NAMES.join(', ')}`);
  return platform;
}

function parseLastCap(text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) > 63) throw new EmitError(`--last-cap must be a capability number 0..63, got ${JSON.stringify(text)}`);
  return Number(text);
}

function parseArgs(argv: readonly string[]): EmitOptions | 'help' {
  const options: EmitOptions = { lastCap: 40, positionals: [] };
  const positionals = readOptions(argv, ({ name, arg, value }) => {
    switch (name) {
      case '-a':
      case '--arch':
        options.platform = parsePlatform(value());
        break;
      case '-o':
      case '--output':
        options.output = value();
        break;
      case '--last-cap':
        options.lastCap = parseLastCap(value());
        break;
      case '-n':
        throw new EmitError('-n ROOTID is refused: a rootid (revision 3) is meaningless in an image');
      default:
        throw new EmitError(`unknown option ${JSON.stringify(arg)} (see setcap-static emit --help)`);
    }
  }, (name) => new EmitError(`${name} needs a value`));
  if (positionals === 'help') return 'help';
  options.positionals = positionals;
  return options;
}

/** CAPS PATH pairs -> targets; every text and path is checked before anything is built. */
function parseTargets(positionals: readonly string[], lastCap: number): SetterTarget[] {
  if (positionals.length === 0) throw new EmitError('missing CAPS PATH (see setcap-static emit --help)');
  if (positionals.length % 2 !== 0) {
    throw new EmitError(`CAPS ${JSON.stringify(positionals[positionals.length - 1])} has no PATH after it: arguments come in CAPS PATH pairs`);
  }
  const targets: SetterTarget[] = [];
  for (let i = 0; i < positionals.length; i += 2) {
    const text = positionals[i]!;
    const file = positionals[i + 1]!;
    const where = `pair ${i / 2 + 1}`;
    let value: Uint8Array;
    try {
      value = encodeVfsCap(fileCapsFromSets(parseCapText(text, { lastCap })));
    } catch (error) {
      if (error instanceof CapTextError || error instanceof FileCapsError) {
        throw new EmitError(`${where}: ${JSON.stringify(text)}: ${error.message}`);
      }
      throw error;
    }
    if (file === '') throw new EmitError(`${where}: the PATH is empty`);
    if (Buffer.byteLength(file) >= PATH_MAX) throw new EmitError(`${where}: the PATH is ${Buffer.byteLength(file)} bytes, Linux takes at most ${PATH_MAX - 1}`);
    targets.push({ path: file, value });
  }
  return targets;
}

/**
 * Writes `bytes` to a temporary file beside `target`, mode 0755 (not left to the umask: the
 * program must be executable by whoever runs it), then renames it over `target`.
 */
function writeExecutable(target: string, bytes: Uint8Array): void {
  if (isDirectory(target)) throw new EmitError(`--output ${JSON.stringify(target)} is a directory; give a file name`);
  let sink: ByteSink | undefined;
  try {
    sink = atomicFileSink(target, 0o755);
    sink.write(bytes);
    sink.commit();
  } catch (error) {
    sink?.abort();
    throw new EmitError(`cannot write --output ${JSON.stringify(target)}: ${(error as Error).message}`);
  }
}

function run(options: EmitOptions): void {
  if (options.platform === undefined) throw new EmitError(`--arch ARCH is required: one of ${PLATFORM_NAMES.join(', ')}`);
  if (options.output === undefined) throw new EmitError('--output FILE is required');
  if (options.output === '') throw new EmitError('--output is empty');
  const targets = parseTargets(options.positionals, options.lastCap);
  const setter = buildSetter(options.platform, targets);
  writeExecutable(options.output, setter.elf);
}

/** `setcap-static emit ARGS`: returns the exit status (0, or 1 with a message on stderr). */
export function emitMain(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: EmitIo = processIo): number {
  void env; // emit reads no environment: the target image's kernel, not this one, runs the program
  try {
    const options = parseArgs(argv);
    if (options === 'help') {
      io.stdout(EMIT_USAGE);
      return 0;
    }
    run(options);
    return 0;
  } catch (error) {
    if (error instanceof EmitError) {
      io.stderr(`setcap-static emit: ${error.message}\n`);
      return 1;
    }
    io.stderr(`setcap-static emit: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
