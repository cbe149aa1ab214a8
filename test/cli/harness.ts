// Shared by the CLI tests: the oracle (libcap 2.66 setcap/getcap, and security.capability read
// raw with python3), runs of the real program (the esbuild bundle of src/cli/bin.ts), and a CliEnv
// that captures what `main` prints when it runs in-process. Scratch space, raw attributes and the
// bundle are the ones every suite shares (test/scratch.ts, test/raw-xattr.ts, test/tool-bundle.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import type { CliEnv } from '../../src/cli/env';
import { main } from '../../src/cli/main';
import { PYTHON } from '../raw-xattr';
import { toolBundle } from '../tool-bundle';

export { REPO, toolBundle } from '../tool-bundle';
export { atExit, scratchDir } from '../scratch';
export { readCapability, writeCapability } from '../raw-xattr';

function need(command: string, why: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
  if (!found) assert.unreachable(`${command} is missing: ${why}`);
}

/** Fails the test unless the oracle and root are there. */
export function requireOracle(): void {
  need('setcap', 'libcap2-bin (setcap/getcap 2.66) is the oracle');
  need('getcap', 'libcap2-bin (setcap/getcap 2.66) is the oracle');
  need('python3', 'python3 reads security.capability raw');
  if (process.getuid?.() !== 0) assert.unreachable('these tests need root (security.capability needs CAP_SETFCAP)');
}

/** security.capability (hex, or null) of every entry of a directory, by name, read by one python3 run. */
export function readCapabilities(dir: string): Record<string, string | null> {
  const out = execFileSync(
    PYTHON,
    [
      '-c',
      "import os,sys,json\nr={}\nfor n in sorted(os.listdir(sys.argv[1])):\n  try: r[n]=os.getxattr(os.path.join(sys.argv[1],n),'security.capability',follow_symlinks=False).hex()\n  except OSError as e: r[n]=None if e.errno in (61,95) else 'errno %d' % e.errno\nprint(json.dumps(r))",
      dir,
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (libcap's setcap/getcap, or node with the bundle) in `cwd`. */
export function run(command: string, args: readonly string[], options: { cwd?: string; input?: string; argv0?: string } = {}): Run {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    input: options.input ?? '',
    encoding: 'utf8',
    argv0: options.argv0,
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `node BUNDLE args` (or another copy of the bundle, e.g. one named !x). */
export function runTool(args: readonly string[], options: { cwd?: string; input?: string; program?: string } = {}): Run {
  return run(process.execPath, [options.program ?? toolBundle(), ...args], options);
}

export interface Captured extends Run {
  status: number;
}

/**
 * `main` in this process, with the invoked name and program path chosen by the test, stdin
 * from `input`, and what it prints captured.
 */
export function runMain(
  argv: readonly string[],
  options: { input?: string; invokedName?: string; programPath?: string; lastCap?: number } = {},
): Captured {
  let stdout = '';
  let stderr = '';
  let stdin = Buffer.from(options.input ?? '');
  const env: CliEnv = {
    readStdin(maxBytes) {
      // One line per read, as a terminal delivers it.
      const newline = stdin.indexOf(0x0a);
      const size = Math.min(maxBytes, newline < 0 ? stdin.length : newline + 1);
      const chunk = stdin.subarray(0, size);
      stdin = stdin.subarray(size);
      return chunk;
    },
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    invokedName: options.invokedName ?? 'setcap-static',
    programPath: options.programPath ?? '/nonexistent/setcap-static',
    lastCap: options.lastCap ?? 40,
  };
  const status = main(argv, env);
  return { status, stdout, stderr };
}

/** The running kernel's cap_last_cap (what libcap's `all` means here). */
export function kernelLastCap(): number {
  return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'latin1').trim());
}
