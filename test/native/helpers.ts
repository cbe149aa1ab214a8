// Shared set-up for the native layer tests: the oracle readers (python3 os.getxattr for raw
// bytes, libcap getcap for text), checks that name what the machine lacks, and the scratch
// directories every suite shares (test/scratch.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import * as assert from 'uvu/assert';
import type { XattrBatchOptions } from '../../src/native/xattr';
import { PYTHON, writeCapability } from '../raw-xattr';

export { atExit, scratchDir } from '../scratch';

/** Fails the test, naming what is missing, unless `command` runs. */
export function requireTool(command: string, args: string[] = ['--version'], install = command): void {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  if (result.error) assert.unreachable(`${command} is missing (apt-get install -y ${install})`);
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) assert.unreachable('these tests need root (security.capability, mounts)');
}

/** The raw security.capability bytes of each file as python3 reads them, null where a file has none. */
export function pythonGetCaps(paths: readonly string[]): (Buffer | null)[] {
  const script =
    'import os,sys\nfor p in sys.argv[1:]:\n  try: print(os.getxattr(p, "security.capability", follow_symlinks=False).hex())\n  except OSError as e:\n    if e.errno != 61: raise\n    print("none")';
  const out = execFileSync(PYTHON, ['-c', script, ...paths], { maxBuffer: 1 << 30 }).toString().trim().split('\n');
  return out.map((line) => (line === 'none' ? null : Buffer.from(line, 'hex')));
}

export function pythonGetCap(path: string): Buffer | null {
  return pythonGetCaps([path])[0]!;
}

/** Writes raw bytes with python3 os.setxattr (bypassing our code). */
export function pythonSetCap(path: string, value: Uint8Array): void {
  writeCapability(path, Buffer.from(value).toString('hex'));
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
