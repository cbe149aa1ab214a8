// Runs a generated helper program without leaving a file anywhere.
//
// The ELF image is written to an anonymous file (open(dir, O_TMPFILE)): it has no name, so nothing
// is left behind whatever happens to this process. It is reopened read-only through
// /proc/self/fd/N and the writable descriptor is closed (execve refuses a file open for writing:
// ETXTBSY); the read-only descriptor becomes the child's fd 3 and the child executes
// /proc/self/fd/3, which in the child is that descriptor. Where a filesystem refuses O_TMPFILE,
// a named O_EXCL file is created, reopened read-only and unlinked before anything runs. A directory
// on a noexec mount (execve: EACCES) or not writable is skipped for the next candidate: $TMPDIR,
// /tmp, /dev/shm, /run, the directory of the Node executable, /, the working directory. In a
// FROM scratch container only / may be writable; /proc must be mounted (Docker does).

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NativeError } from './errors';

/** include/uapi/asm-generic/fcntl.h: O_TMPFILE is __O_TMPFILE | O_DIRECTORY. */
const __O_TMPFILE = 0o20000000;
export const O_TMPFILE = __O_TMPFILE | fs.constants.O_DIRECTORY;

export interface HelperRun {
  /** Exit status, or null when a signal ended the helper. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  /** The directory the program was written in. */
  directory: string;
}

export function candidateDirectories(): string[] {
  const candidates = [process.env.TMPDIR, '/tmp', '/dev/shm', '/run', path.dirname(process.execPath), '/', process.cwd()];
  return [...new Set(candidates.filter((dir): dir is string => !!dir && path.isAbsolute(dir)))];
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

/** Writes the image into dir; returns a read-only descriptor of a file with no name, or throws. */
function writeNamelessExecutable(dir: string, image: Uint8Array): number {
  let writable: number;
  try {
    writable = fs.openSync(dir, O_TMPFILE | fs.constants.O_RDWR, 0o700);
  } catch (error) {
    // EISDIR: kernel without O_TMPFILE; EOPNOTSUPP: filesystem without it. Anything else: skip dir.
    const code = errorCode(error);
    if (code !== 'EOPNOTSUPP' && code !== 'ENOTSUP' && code !== 'EISDIR') throw error;
    return writeNamedThenUnlink(dir, image);
  }
  try {
    writeAll(writable, image);
    return fs.openSync(`/proc/self/fd/${writable}`, fs.constants.O_RDONLY);
  } finally {
    fs.closeSync(writable);
  }
}

/** The fallback where O_TMPFILE is refused: a named O_EXCL file, reopened read-only and unlinked before anything runs it. */
export function writeNamedThenUnlink(dir: string, image: Uint8Array): number {
  const file = path.join(dir, `.setcap-static-${process.pid}-${randomBytes(6).toString('hex')}`);
  const { O_CREAT, O_EXCL, O_WRONLY, O_NOFOLLOW } = fs.constants;
  const writable = fs.openSync(file, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o700);
  try {
    writeAll(writable, image);
    return fs.openSync(file, fs.constants.O_RDONLY | O_NOFOLLOW);
  } finally {
    fs.closeSync(writable);
    fs.unlinkSync(file);
  }
}

/** Runs the image once (through `emulator` if given) from the first directory that allows it, and returns what it did. */
export function runHelper(image: Uint8Array, emulator: readonly string[] = [], directories = candidateDirectories()): HelperRun {
  if (!fs.existsSync('/proc/self/fd')) throw new NativeError('/proc is not mounted: the helper program is run from /proc/self/fd (mount proc, as Docker does)');
  const refused: string[] = [];
  for (const dir of directories) {
    let executable: number;
    try {
      executable = writeNamelessExecutable(dir, image);
    } catch (error) {
      refused.push(`${dir}: ${errorCode(error)}`);
      continue;
    }
    let result: SpawnSyncReturns<Buffer>;
    try {
      const program = '/proc/self/fd/3';
      const [command, ...args] = emulator.length > 0 ? [...emulator, program] : [program];
      result = spawnSync(command!, args, {
        // A pipe, not 'ignore': 'ignore' makes libuv open /dev/null, which a bare chroot lacks.
        stdio: ['pipe', 'pipe', 'pipe', executable],
        maxBuffer: Number.MAX_SAFE_INTEGER,
        windowsHide: true,
      });
    } finally {
      fs.closeSync(executable);
    }
    if (result.error) {
      const code = errorCode(result.error);
      // EACCES: the directory is on a noexec mount (or /proc/self/fd refuses exec): try the next one.
      if (code === 'EACCES' || code === 'EPERM') {
        refused.push(`${dir}: exec ${code}`);
        continue;
      }
      throw new NativeError(`cannot run the helper program written in ${dir}: ${result.error.message}`);
    }
    return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr, directory: dir };
  }
  throw new NativeError(`no directory to run the helper program from (${refused.join('; ')})`);
}
