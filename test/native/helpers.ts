// Shared set-up for the native layer tests: scratch directories, the oracle readers (python3
// os.getxattr for raw bytes, libcap getcap for text), and checks that name what the machine lacks.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { XattrBatchOptions } from '../../src/native/xattr';

const cleanups: (() => void)[] = [];
process.on('exit', () => {
  for (const cleanup of cleanups.reverse()) {
    try {
      cleanup();
    } catch {
      // best effort at exit
    }
  }
});

export function atExit(cleanup: () => void): void {
  cleanups.push(cleanup);
}

/** A fresh directory on the root filesystem (ext4: xattrs, exec), removed at exit. */
export function scratchDir(what: string): string {
  const dir = mkdtempSync(join('/var/tmp', `setcap-static-native-${what}-`));
  atExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Fails the test, naming what is missing, unless `command` runs. */
export function requireTool(command: string, args: string[] = ['--version'], install = command): void {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  if (result.error) assert.unreachable(`${command} is missing (apt-get install -y ${install})`);
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) assert.unreachable('these tests need root (security.capability, mounts)');
}

/** Debian's python3 (the pyenv shim in PATH costs a bash start-up per call). */
export const PYTHON3 = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** The raw security.capability bytes of each file as python3 reads them, null where a file has none. */
export function pythonGetCaps(paths: readonly string[]): (Buffer | null)[] {
  const script =
    'import os,sys\nfor p in sys.argv[1:]:\n  try: print(os.getxattr(p, "security.capability", follow_symlinks=False).hex())\n  except OSError as e:\n    if e.errno != 61: raise\n    print("none")';
  const out = execFileSync(PYTHON3, ['-c', script, ...paths], { maxBuffer: 1 << 30 }).toString().trim().split('\n');
  return out.map((line) => (line === 'none' ? null : Buffer.from(line, 'hex')));
}

export function pythonGetCap(path: string): Buffer | null {
  return pythonGetCaps([path])[0]!;
}

/** Writes raw bytes with python3 os.setxattr (bypassing our code). */
export function pythonSetCap(path: string, value: Uint8Array): void {
  execFileSync(PYTHON3, ['-c', 'import os,sys\nos.setxattr(sys.argv[1], "security.capability", bytes.fromhex(sys.argv[2]))', path, Buffer.from(value).toString('hex')]);
}

/** libcap getcap's line for a file ('' when it has no capability). */
export function getcap(path: string): string {
  return execFileSync('getcap', [path]).toString().trim();
}

/** The two code generators and how to run each here: natively, or under qemu-user. */
export const ARCHES: { name: 'x86_64' | 'aarch64'; options: XattrBatchOptions; require(): void }[] = [
  { name: 'x86_64', options: { arch: 'x86_64' }, require: () => undefined },
  {
    name: 'aarch64',
    options: { arch: 'aarch64', emulator: ['qemu-aarch64-static'] },
    require: () => requireTool('qemu-aarch64-static', ['--version'], 'qemu-user-static'),
  },
];
