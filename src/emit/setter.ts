// A standalone setter: the setter program for the targets, generated for one platform and
// assembled into a static ELF by the one ELF emitter (src/native/assemble.ts, src/native/elf.ts).
import { assemble } from '../native/assemble';
import type { Backend, Program } from '../native/program';
import { PLATFORMS, type PlatformName } from './platforms';
import { buildSetterProgram, type SetterTarget } from './program';

export interface Setter {
  elf: Uint8Array;
  codeSize: number;
  dataSize: number;
}

export function buildSetter(platform: PlatformName, targets: readonly SetterTarget[]): Setter {
  const backend = PLATFORMS[platform];
  // assemble() takes src/native/program.ts's types; an EmitBackend generates a superset of that IR
  // (src/emit/instructions.ts), so the setter program and backend pass through it unchanged.
  const { elf, codeSize, dataSize } = assemble(buildSetterProgram(targets) as unknown as Program, backend as unknown as Backend);
  return { elf, codeSize, dataSize };
}
