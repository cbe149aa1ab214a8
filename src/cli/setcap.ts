// The setcap command line of libcap 2.66: `(-r|-|<caps>) <filename>` pairs, with -q, -v and
// -n <rootid> applying to the pairs after them. Unlike libcap, which sets each file as it reads
// its pair, every pair is read, parsed and encoded first, then all files are written by one
// batch that changes all of them or none. The batch applies the pairs in order, as libcap does: a
// file named in two pairs sees the first pair's write (`setcap = f -r f` sets, then removes).
// File names are taken as bytes (file-names.ts): a name that is not UTF-8 names its own file.
import { CapTextError, parseCapText, type CapSets } from '../caps/text';
import { decodeVfsCap, encodeVfsCap, fileCapsFromSets, FileCapsError, setsFromFileCaps } from '../caps/vfs';
import { fileIdentity, NativeError, runXattrBatch, type XattrOp } from '../native/xattr';
import type { CliEnv } from './env';
import { describeOutcomeError } from './file-errors';
import { fileArgument, fileNameKey, joinText, type FileName } from './file-names';
import { EOPNOTSUPP } from './messages';
import { COMPLETED, stopped, type CommandOutcome } from './outcome';
import { readCapabilities } from './reads';
import { licenseText, PROGRAM, SETCAP_SYNOPSIS, SETCAP_USAGE } from './usage';

/** setcap's read_caps buffer: capability text read from stdin is at most this long. */
export const MAXCAP = 2048;

/** (uid_t)-1 means "no user" to the kernel; a rootid is 1 ..  0xfffffffe. */
const MAX_ROOTID = 0xfffffffe;

interface Pair {
  /** The capability text as given (argv, or what stdin held); undefined for -r. */
  text?: string;
  fromStdin: boolean;
  path: FileName;
  /** -n in force for this pair; 0 when none. */
  rootid: number;
  verify: boolean;
  quiet: boolean;
  /** The parsed text; the empty state for -r. */
  sets: CapSets;
  /** What will be written (not for -v, not for -r). */
  bytes?: Uint8Array;
}

class UsageError extends Error {}

const EMPTY_SETS: CapSets = Object.freeze({ effective: 0n, permitted: 0n, inheritable: 0n });

/**
 * setcap's -n argument, read as its strtoul(text, &end, 0) does (leading white space, '+',
 * 0x hex, 0 octal) and refused unless all of it is a number from 1 to 4294967294. libcap
 * 2.66 truncates larger numbers to 32 bits (4294967296 becomes 0 and silently writes
 * revision 2); here they are refused.
 */
export function parseRootid(text: string): number | undefined {
  const match = /^[ \t\n\v\f\r]*\+?(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(text);
  if (!match) return undefined;
  const value = match[1] !== undefined ? BigInt(`0x${match[1]}`) : match[2] !== undefined ? BigInt(`0o${match[2]}`) : BigInt(match[3]!);
  if (value < 1n || value > BigInt(MAX_ROOTID)) return undefined;
  return Number(value);
}

/** How capability text is shown in a message: as typed, or quoted when it spans lines or came from stdin. */
function showText(pair: { text?: string; fromStdin: boolean }): string {
  const text = pair.text ?? '';
  if (pair.fromStdin) return `caps read from stdin ${JSON.stringify(text.replace(/\n+$/, ''))}`;
  return /[\x00-\x1f]/.test(text) ? JSON.stringify(text) : text;
}

/**
 * libcap's read_caps: read(2) into a 2048-byte buffer until end of input or a read that starts
 * with a newline (an empty line typed at a terminal); what was read is the text.
 */
function readCapsFromStdin(env: CliEnv, quiet: boolean): string {
  if (!quiet) env.stderr('Please enter caps for file [empty line to end]:\n');
  const chunks: Uint8Array[] = [];
  let room = MAXCAP;
  while (room > 0) {
    const chunk = env.readStdin(room);
    if (chunk.length === 0 || chunk[0] === 0x0a) break;
    chunks.push(chunk);
    room -= chunk.length;
  }
  if (room === MAXCAP) throw new UsageError("no capability text on stdin (for '-'); use -r to remove capabilities");
  const text = Buffer.concat(chunks).toString('utf8');
  if (room === 0) throw new UsageError(`capability text on stdin is longer than ${MAXCAP} bytes`);
  return text;
}

function parseArguments(argv: readonly string[], env: CliEnv): Pair[] | CommandOutcome {
  const pairs: Pair[] = [];
  let quiet = false;
  let verify = false;
  let rootid = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-q') {
      quiet = true;
      continue;
    }
    if (arg === '--license') {
      env.stdout(licenseText(PROGRAM));
      return stopped(0);
    }
    if (arg === '-h' || arg === '--help') {
      env.stdout(SETCAP_USAGE);
      return stopped(0);
    }
    if (arg === '-v') {
      verify = true;
      continue;
    }
    if (arg === '-n') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError('-n needs a <rootid>: the user id (not 0) that owns the capability');
      const parsed = parseRootid(value);
      if (parsed === undefined) {
        throw new UsageError(`-n: bad rootid '${value}': want a positive integer, a user id from 1 to ${MAX_ROOTID}`);
      }
      rootid = parsed;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-' && arg !== '-r') {
      throw new UsageError(`unknown option '${arg}'`);
    }
    if (argv[i + 1] === undefined) {
      throw new UsageError(arg === '-r' ? "missing <filename> after '-r'" : `missing <filename> after the capabilities '${arg}'`);
    }
    const path = fileArgument(argv, env.argvBytes, ++i);
    const pair: Pair = { fromStdin: arg === '-', path, rootid, verify, quiet, sets: EMPTY_SETS };
    if (arg !== '-r') {
      pair.text = arg === '-' ? readCapsFromStdin(env, quiet) : arg;
      try {
        pair.sets = parseCapText(pair.text, { lastCap: env.lastCap });
        if (!verify) pair.bytes = encodeVfsCap({ ...fileCapsFromSets(pair.sets), rootid });
      } catch (error) {
        if (error instanceof CapTextError || error instanceof FileCapsError) {
          env.stderr(`${PROGRAM}: ${showText(pair)}: ${error.message}\n`);
          return stopped(1);
        }
        throw error;
      }
    }
    pairs.push(pair);
  }
  if (pairs.length === 0) throw new UsageError('no (-r|-|<caps>) <filename> pair given');
  return pairs;
}

/** Bytes of the attribute as cap_get_file sees them: the sets and the namespace owner (0 for revisions 1, 2). */
function stateOf(value: Uint8Array | null): { sets: CapSets; rootid: number } {
  if (value === null) return { sets: EMPTY_SETS, rootid: 0 };
  const caps = decodeVfsCap(value);
  return { sets: setsFromFileCaps(caps), rootid: caps.rootid ?? 0 };
}

/**
 * -v for every verifying pair, in order, against the files as they will be after the writes
 * listed before it on the command line. Prints setcap's "FILE: OK" / "FILE differs in [pie]"
 * lines; returns false at the first difference or unreadable file.
 */
function verifyPairs(pairs: readonly Pair[], env: CliEnv): boolean {
  const verifying = pairs.filter((pair) => pair.verify);
  if (verifying.length === 0) return true;
  const paths = [...new Map(verifying.map((pair) => [fileNameKey(pair.path), pair.path])).values()];
  const reads = new Map(readCapabilities(paths, env.xattr).map((read) => [fileNameKey(read.path), read]));
  const planned = new Map<string, Uint8Array | null>();
  for (const pair of pairs) {
    // The same file under another spelling (`g`, `./g`) sees the planned write too.
    const file = fileIdentity(pair.path);
    if (!pair.verify) {
      planned.set(file, pair.bytes ?? null);
      continue;
    }
    let value: Uint8Array | null;
    if (planned.has(file)) value = planned.get(file)!;
    else {
      const read = reads.get(fileNameKey(pair.path))!;
      if (!read.ok && read.error.errno !== EOPNOTSUPP) {
        env.stderr(joinText(`${PROGRAM}: `, describeOutcomeError(pair.path, 'get', read.error, read.mode), '\n'));
        return false;
      }
      value = read.ok ? read.value : null;
    }
    let found: { sets: CapSets; rootid: number };
    try {
      found = stateOf(value);
    } catch (error) {
      if (!(error instanceof FileCapsError)) throw error;
      env.stderr(joinText(`${PROGRAM}: `, pair.path, `: its security.capability attribute is not valid: ${error.message}\n`));
      return false;
    }
    const differs = {
      p: found.sets.permitted !== pair.sets.permitted,
      i: found.sets.inheritable !== pair.sets.inheritable,
      e: found.sets.effective !== pair.sets.effective,
    };
    if (differs.p || differs.i || differs.e || found.rootid !== pair.rootid) {
      if (!pair.quiet) {
        // libcap prints both ids with %d.
        const owner = found.rootid !== pair.rootid ? `nsowner[got=${found.rootid | 0}, want=${pair.rootid | 0}],` : '';
        const flags = `${differs.p ? 'p' : ''}${differs.i ? 'i' : ''}${differs.e ? 'e' : ''}`;
        env.stdout(joinText(owner, pair.path, ` differs in [${flags}]\n`));
      }
      return false;
    }
    if (!pair.quiet) env.stdout(joinText(pair.path, ': OK\n'));
  }
  return true;
}

/** One batch writes every non-verifying pair, in order; on failure, the message for the pair that failed. */
function writePairs(pairs: readonly Pair[], env: CliEnv): boolean {
  const ops: XattrOp[] = pairs
    .filter((pair) => !pair.verify)
    .map((pair) => (pair.bytes ? { kind: 'set', path: pair.path, value: pair.bytes } : { kind: 'remove', path: pair.path }));
  if (ops.length === 0) return true;
  const result = runXattrBatch(ops, env.xattr);
  if (result.ok) return true;
  const failed = result.outcomes.findIndex((outcome) => outcome.error !== undefined);
  const outcome = result.outcomes[failed]!;
  const action = outcome.op.kind === 'remove' ? 'remove' : 'set';
  env.stderr(joinText(`${PROGRAM}: `, describeOutcomeError(outcome.op.path, action, outcome.error!, outcome.mode), '\n'));
  if (result.rolledBack) {
    const undone = failed === 1 ? 'the write before it was' : `the ${failed} writes before it were`;
    env.stderr(`${PROGRAM}: no file was changed: ${undone} undone\n`);
  } else if (ops.length > 1) {
    env.stderr(`${PROGRAM}: no file was changed\n`);
  }
  return false;
}

/** setcap: returns the exit status libcap's setcap would (0, or 1 for every failure). */
export function setcapMain(argv: readonly string[], env: CliEnv): CommandOutcome {
  if (argv.length === 0) {
    env.stderr(SETCAP_USAGE);
    return stopped(1);
  }
  let pairs: Pair[];
  try {
    const parsed = parseArguments(argv, env);
    if (!Array.isArray(parsed)) return parsed;
    pairs = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    env.stderr(`${PROGRAM}: ${error.message}\n${SETCAP_SYNOPSIS}`);
    return stopped(1);
  }
  try {
    if (!verifyPairs(pairs, env)) return stopped(1);
    if (!writePairs(pairs, env)) return stopped(1);
  } catch (error) {
    if (!(error instanceof NativeError)) throw error;
    env.stderr(`${PROGRAM}: ${error.message}\n`);
    return stopped(1);
  }
  return COMPLETED;
}
