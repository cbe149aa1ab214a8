// Synchronous byte streams for pack (and emit's output file): a reader over a file descriptor (a file or a pipe on stdin)
// and outputs that make a result visible only when it is complete: a temporary file in the
// target's directory renamed over it, or, for stdout, bytes held back until the end (a pipe
// cannot take back what it was sent, and an error must leave nothing behind).
import * as fs from 'node:fs';
import * as path from 'node:path';

const CHUNK = 1 << 16;

/** Sleeps without spinning: the reader waits this long when a non-blocking pipe has nothing yet. */
function pause(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

/** Reads up to `length` bytes at the current position, retrying EAGAIN (stdin left non-blocking) and EINTR. */
function readSome(fd: number, buffer: Buffer, offset: number, length: number): number {
  for (;;) {
    try {
      return fs.readSync(fd, buffer, offset, length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') pause(2);
      else if (code === 'EINTR') continue;
      else if (code === 'EOF') return 0;
      else throw error;
    }
  }
}

/** Writes all of `data`, retrying short writes and EAGAIN. */
export function writeAll(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += fs.writeSync(fd, data, offset, data.length - offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') pause(2);
      else if (code !== 'EINTR') throw error;
    }
  }
}

export interface ByteReader {
  /** Exactly `length` bytes, or fewer only at the end of the input. */
  read(length: number): Buffer;
  /** Bytes consumed so far (for messages). */
  position(): number;
}

export function fdReader(fd: number): ByteReader {
  let consumed = 0;
  return {
    read(length) {
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const n = readSome(fd, buffer, filled, Math.min(length - filled, CHUNK * 16));
        if (n === 0) break;
        filled += n;
      }
      consumed += filled;
      return filled === length ? buffer : buffer.subarray(0, filled);
    },
    position: () => consumed,
  };
}

export interface ByteSink {
  write(data: Uint8Array): void;
  /** Makes the whole output visible. */
  commit(): void;
  /** Drops everything written; nothing is left behind. */
  abort(): void;
}

/** Whether `target` names an existing directory (after symlinks): an output cannot be renamed over it. */
export function isDirectory(target: string): boolean {
  try {
    return fs.statSync(target).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Output to a path: written to a temporary file beside it, fsync'd, then renamed over it. With
 * `mode`, the file gets exactly those permission bits (fchmod: not left to the umask).
 */
export function atomicFileSink(target: string, mode?: number): ByteSink {
  const directory = path.dirname(target);
  const temporary = path.join(directory, `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const fd = fs.openSync(temporary, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode ?? 0o644);
  let open = true;
  const close = () => {
    if (open) {
      open = false;
      fs.closeSync(fd);
    }
  };
  return {
    write: (data) => writeAll(fd, data),
    commit() {
      if (mode !== undefined) fs.fchmodSync(fd, mode);
      fs.fsyncSync(fd);
      close();
      fs.renameSync(temporary, target);
    },
    abort() {
      close();
      fs.rmSync(temporary, { force: true });
    },
  };
}

/** Output to a descriptor (stdout), held in memory until commit. */
export function heldFdSink(fd: number): ByteSink {
  let chunks: Uint8Array[] = [];
  return {
    write: (data) => void chunks.push(Buffer.from(data)),
    commit() {
      for (const chunk of chunks) writeAll(fd, chunk);
      chunks = [];
    },
    abort() {
      chunks = [];
    },
  };
}
