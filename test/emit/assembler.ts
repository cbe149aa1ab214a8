// Test helper: the real GNU cross assembler as the oracle for our instruction encoders.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** binutils target triple per backend, as Debian packages them. */
export const TRIPLES = {
  arm: 'arm-linux-gnueabihf',
  i386: 'i686-linux-gnu',
  ppc64le: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
  x86_64: 'x86_64-linux-gnu',
  aarch64: 'aarch64-linux-gnu',
} as const;

const AS_FLAGS: Record<keyof typeof TRIPLES, string[]> = {
  arm: ['-march=armv6', '-mfloat-abi=soft'],
  i386: ['--32'],
  ppc64le: ['-a64', '-mpower8'],
  s390x: ['-m64'],
  riscv64: ['-march=rv64g'],
  x86_64: ['--64'],
  aarch64: [],
};

/** Assembles `source` (at address 0 of .text) and returns the raw bytes of .text. */
export function assemble(arch: keyof typeof TRIPLES, source: string): Uint8Array {
  const triple = TRIPLES[arch];
  const dir = mkdtempSync(join(tmpdir(), 'emit-as-'));
  try {
    const src = join(dir, 'a.s');
    const obj = join(dir, 'a.o');
    const bin = join(dir, 'a.bin');
    const prefix = arch === 'riscv64' ? '.option norvc\n' : '';
    writeFileSync(src, `.text\n${prefix}${source}\n`);
    try {
      execFileSync(`${triple}-as`, [...AS_FLAGS[arch], '-o', obj, src], { stdio: ['ignore', 'pipe', 'pipe'] });
      execFileSync(`${triple}-objcopy`, ['-O', 'binary', '-j', '.text', obj, bin], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as { code?: string; stderr?: Buffer };
      if (e.code === 'ENOENT') {
        throw new Error(`${triple}-as is missing: apt-get install -y binutils-${triple}`);
      }
      throw new Error(`${triple}-as failed on:\n${source}\n${e.stderr?.toString() ?? ''}`);
    }
    return new Uint8Array(readFileSync(bin));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function hex(bytes: ArrayLike<number>): string {
  return Buffer.from(Array.from(bytes)).toString('hex');
}
