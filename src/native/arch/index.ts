// The code generators, by the name the kernel's `uname -m` gives their architecture.

import type { ArchName, Backend } from '../program';
import { aarch64 } from './aarch64';
import { arm } from './arm';
import { i386 } from './i386';
import { ppc64le } from './ppc64le';
import { riscv64 } from './riscv64';
import { s390x } from './s390x';
import { x86_64 } from './x86_64';

export const backends: Readonly<Record<ArchName, Backend>> = { x86_64, aarch64, arm, i386, ppc64le, s390x, riscv64 };

/** The architecture Node runs on when runXattrBatch supports it (its tests run x86_64 and aarch64), else undefined. */
export function hostArch(): ArchName | undefined {
  switch (process.arch) {
    case 'x64':
      return 'x86_64';
    case 'arm64':
      return 'aarch64';
    default:
      return undefined;
  }
}
