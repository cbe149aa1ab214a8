// The two instructions an emitted setter needs beyond src/native/program.ts's IR, and the backend
// shape of the architectures only `emit` uses (arm, i386, ppc64le, s390x, riscv64).
//
// inspectArgv0 — must be the FIRST instruction executed: at process entry the stack pointer still
//   points at argc, with argv[0] (a pointer, possibly NULL when execve got an empty argv) right
//   after it. Stores argv[0] in `pointer` and, in `selfDelete`, 1 when the byte after the last '/'
//   of argv[0] (its first byte when there is no '/') is '!', else 0. That covers both ways a
//   one-shot setter is named: run as `/!set` and run as `./!set` or `!set` through PATH lookup.
//   Both slots hold zero-extended 8-byte words (an address is unsigned): 32-bit backends store the
//   low word only and leave the high word as the bss zero, since inspectArgv0 runs before anything
//   else could have written there.
// exitWithErrno — exit_group(-result): reached by a jump after a failed system call, whose result
//   register holds -errno, so the exit status is the errno itself (1..4095, low 8 bits kept by the
//   kernel; every errno Linux defines is below 256).
import type { Backend, GeneratedCode, Instruction, Slot } from '../native/program';

export type EmitInstruction =
  | Instruction
  | { op: 'inspectArgv0'; pointer: Slot; selfDelete: Slot }
  | { op: 'exitWithErrno' };

/** Architectures as the code generators name them. */
export type EmitArchName = 'x86_64' | 'aarch64' | 'arm' | 'i386' | 'ppc64le' | 's390x' | 'riscv64';

/** A src/native/program.ts Backend that also generates the two emit instructions. */
export interface EmitBackend extends Omit<Backend, 'name' | 'generate'> {
  name: EmitArchName;
  generate(code: readonly EmitInstruction[]): GeneratedCode;
}
