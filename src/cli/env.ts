// What the command line needs from its process, as plain values and functions, so that `main`
// can be run in-process by tests (and by other commands) with the invoked name they choose.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { XattrBatchOptions } from '../native/xattr';
import { readArgumentBytes } from './file-names';

export interface CliEnv {
  /** One read(2) of standard input: at most `maxBytes` bytes; an empty array at end of input. */
  readStdin(maxBytes: number): Uint8Array;
  /** Output: text, or bytes when it holds a file name that is not UTF-8 (written as they are). */
  stdout(text: string | Buffer): void;
  stderr(text: string | Buffer): void;
  /** The program file: what self-delete removes. */
  programPath: string;
  /** argv[0] as typed: `/!setcap-static`, `getcap`, `./dist/setcap-static.cjs` ... */
  invokedName: string;
  /** The running kernel's CAP_LAST_CAP: what `all` and a bare `=` mean (cap_max_bits() - 1). */
  lastCap: number;
  /**
   * The raw bytes of each argument, aligned with the argv given to the command, when known
   * (/proc/self/cmdline): a file name that is not UTF-8 is taken from here.
   */
  argvBytes?: readonly Buffer[];
  /** Passed to runXattrBatch (another architecture's helper under an emulator, for tests). */
  xattr?: XattrBatchOptions;
}

/** CAP_CHECKPOINT_RESTORE: what libcap assumes when the kernel does not say. */
export const FALLBACK_LAST_CAP = 40;

/** /proc/sys/kernel/cap_last_cap (the kernel's highest capability number), or 40 when unreadable. */
export function readLastCap(file = '/proc/sys/kernel/cap_last_cap'): number {
  try {
    const text = fs.readFileSync(file, 'latin1').trim();
    const value = Number(text);
    if (/^\d+$/.test(text) && value < 64) return value;
  } catch {
    // no /proc (an empty chroot): fall back like libcap's cap_max_bits()
  }
  return FALLBACK_LAST_CAP;
}

/** Blocks until standard input has data: fs.readSync on a non-blocking descriptor says EAGAIN. */
function readStdinSync(maxBytes: number): Uint8Array {
  const buffer = Buffer.alloc(maxBytes);
  for (;;) {
    try {
      const count = fs.readSync(0, buffer, 0, maxBytes, null);
      return buffer.subarray(0, count);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (code === 'EOF') return buffer.subarray(0, 0);
      throw error;
    }
  }
}

/**
 * The running process as a CliEnv. A pkg standalone is its own program file (process.execPath,
 * invoked as process.argv0); under `node bundle.cjs` the program file is the script, argv[1].
 */
export function processCliEnv(): CliEnv {
  const standalone = (process as { pkg?: unknown }).pkg !== undefined;
  const script = process.argv[1];
  const invokedName = standalone || script === undefined ? process.argv0 : script;
  const programPath = standalone || script === undefined ? process.execPath : path.resolve(script);
  return {
    readStdin: readStdinSync,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    programPath,
    invokedName,
    lastCap: readLastCap(),
    argvBytes: readArgumentBytes(process.argv.slice(2)),
  };
}
