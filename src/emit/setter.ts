// A standalone setter: the batch program in setter mode (src/native/batch.ts) for the targets,
// generated for one platform and assembled into a static ELF by the one ELF emitter
// (src/native/assemble.ts, src/native/elf.ts).
import { assemble } from '../native/assemble';
import { buildBatchProgram } from '../native/batch';
import { PLATFORMS, type PlatformName } from './platforms';

export interface SetterTarget {
  path: string;
  /** The security.capability bytes (encodeVfsCap). */
  value: Uint8Array;
}

export interface Setter {
  elf: Uint8Array;
  codeSize: number;
  dataSize: number;
}

export function buildSetter(platform: PlatformName, targets: readonly SetterTarget[]): Setter {
  const program = buildBatchProgram(targets.map(({ path, value }) => ({ kind: 'set', path, value })), 'setter');
  const { elf, codeSize, dataSize } = assemble(program, PLATFORMS[platform]);
  return { elf, codeSize, dataSize };
}
