// The code generators, by the name the kernel's `uname -m` gives their architecture.

import type { ArchName, Backend } from '../program';
import { aarch64 } from './aarch64';
import { x86_64 } from './x86_64';

export const backends: Readonly<Record<ArchName, Backend>> = { x86_64, aarch64 };

/** The architecture Node runs on, or undefined when no backend exists for it. */
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
