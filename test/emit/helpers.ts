// Test helpers for emit: the libcap oracle, and running a setter for any
// platform (natively for amd64, under qemu-user for the others).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformName } from '../../src/emit/platforms';
import { pythonGetCaps } from '../native/helpers';

/** How each platform's program is run on this x86_64 machine (qemu-user passes xattr syscalls to the host kernel). */
export const RUNNERS: Record<PlatformName, string[]> = {
  amd64: [],
  arm64: ['qemu-aarch64-static'],
  'arm/v7': ['qemu-arm-static', '-cpu', 'cortex-a7'],
  // An ARMv6 core (Raspberry Pi 1/Zero): proves the program uses no ARMv7 instruction.
  'arm/v6': ['qemu-arm-static', '-cpu', 'arm1176'],
  // natively: the x86_64 kernel's IA32 emulation takes `int $0x80` with the real i386 syscall table
  '386': [],
  ppc64le: ['qemu-ppc64le-static'],
  s390x: ['qemu-s390x-static'],
  riscv64: ['qemu-riscv64-static'],
};

export function requireTools(): void {
  if (process.getuid?.() !== 0) throw new Error('emit tests need root (file capabilities need CAP_SETFCAP)');
  for (const tool of ['/usr/sbin/setcap', '/usr/bin/qemu-arm-static', '/usr/bin/qemu-aarch64-static', '/usr/bin/qemu-i386-static',
    '/usr/bin/qemu-ppc64le-static', '/usr/bin/qemu-s390x-static', '/usr/bin/qemu-riscv64-static']) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: apt-get install -y libcap2-bin qemu-user-static`);
  }
}

/** The raw security.capability bytes as hex, or null when the file has none (python's os.getxattr: no libcap). */
export function xattrHex(path: string): string | null {
  return xattrHexMany([path])[0]!;
}

/** xattrHex for many paths in one python run. */
export function xattrHexMany(paths: readonly string[]): (string | null)[] {
  return pythonGetCaps(paths).map((value) => value?.toString('hex') ?? null);
}

/** libcap 2.66 setcap on a scratch file: the oracle's bytes for `text`. */
export function libcapBytes(dir: string, text: string): string {
  const file = join(dir, `oracle-${Math.random().toString(36).slice(2)}`);
  execFileSync('sh', ['-c', ': > "$1"', 'sh', file]);
  execFileSync('/usr/sbin/setcap', [text, file]);
  const hex = xattrHex(file);
  rmSync(file);
  if (hex === null) throw new Error(`setcap ${text} wrote no attribute`);
  return hex;
}

/** Runs `program` for `platform` with argv[0] = `argv0` (default: the program path) in `cwd`. */
export function runSetter(platform: PlatformName, program: string, options: { cwd?: string; argv0?: string } = {}): number {
  const runner = RUNNERS[platform];
  const argv0 = options.argv0 ?? program;
  const result = runner.length === 0
    ? spawnSync(program, [], { cwd: options.cwd, argv0, timeout: 20_000 })
    : spawnSync(runner[0]!, [...runner.slice(1), '-0', argv0, program], { cwd: options.cwd, timeout: 20_000 });
  if (result.error) throw result.error;
  if (result.status === null) throw new Error(`${platform} setter died by ${result.signal}: ${result.stderr?.toString()}`);
  return result.status;
}
