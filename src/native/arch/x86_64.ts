// x86_64 code generator. System calls: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9,
// `syscall`, result in rax as -errno (-4095..-1) on failure: already the normalised form. The
// kernel clobbers rcx and r11. Every data reference is rip-relative (disp32), so the program
// runs wherever it is loaded and the size of each instruction is fixed.

import { EM_X86_64 } from '../elf';
import { S_IFMT, S_IFREG, type Backend, type Instruction, type Operand, type Slot } from '../program';
import { ASM_GENERIC_OPEN_FLAGS } from './asm-generic';
import { checkSigned, defineLabel, emitBytes, emitU32, generateWith, openFlagsValue, referLabel, referSymbol, type CodeBuffer, type Patch } from './code';

/** arch/x86/entry/syscalls/syscall_64.tbl */
const syscalls = {
  write: 1,
  fstat: 5,
  fsetxattr: 190,
  fgetxattr: 193,
  fremovexattr: 199,
  exit_group: 231,
  openat: 257,
  unlinkat: 263,
} as const;

/** x86 uses include/uapi/asm-generic/fcntl.h unchanged. */
const openFlags = ASM_GENERIC_OPEN_FLAGS;

/** struct stat (arch/x86/include/uapi/asm/stat.h): st_dev, st_ino, st_nlink are 8 bytes each, then st_mode. */
const ST_MODE_OFFSET = 24;

const RAX = 0;
const RCX = 1;
const RDX = 2;
/** rdi, rsi, rdx, r10, r8, r9 */
const ARGUMENT_REGISTERS = [7, 6, 2, 10, 8, 9] as const;

/** A 32-bit displacement or relative offset at byte `field` of an instruction `length` bytes long, relative to its end. */
function rel32(field: number, length: number): Patch {
  const key = field * 64 + length;
  let patch = rel32Patches.get(key);
  if (!patch) {
    patch = (view, at, target, here) => view.setInt32(at + field, checkSigned(target - (here + length), 32, 'displacement'), true);
    rel32Patches.set(key, patch);
  }
  return patch;
}
const rel32Patches = new Map<number, Patch>();

/** REX prefix: W = 64-bit operand, R extends ModRM.reg, B extends ModRM.rm. */
function rex(w: boolean, reg: number, rm: number): number {
  return 0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (rm >= 8 ? 1 : 0);
}

function emitLoadImmediate(code: CodeBuffer, reg: number, value: number): void {
  checkSigned(value, 33, 'immediate');
  const low = reg & 7;
  if (value === 0) {
    // xor r32, r32 (writing a 32-bit register zeroes the upper half)
    if (reg >= 8) emitBytes(code, [rex(false, reg, reg)]);
    emitBytes(code, [0x31, 0xc0 | (low << 3) | low]);
  } else if (value > 0 && value <= 0xffffffff) {
    // mov r32, imm32 (zero-extended)
    if (reg >= 8) emitBytes(code, [rex(false, 0, reg)]);
    emitBytes(code, [0xb8 + low]);
    emitU32(code, value, true);
  } else {
    // mov r64, imm32 (sign-extended)
    checkSigned(value, 32, 'immediate');
    emitBytes(code, [rex(true, 0, reg), 0xc7, 0xc0 | low]);
    emitU32(code, value, true);
  }
}

/** lea/mov reg, [rip + symbol]: opcode 0x8d loads the address, 0x8b the word there, 0x89 stores reg there. */
function emitRipRelative(code: CodeBuffer, opcode: 0x8d | 0x8b | 0x89, reg: number, symbol: string, offset: number, w = true): void {
  const prefixed = w || reg >= 8;
  referSymbol(code, symbol, offset, prefixed ? REL32_AT_3_OF_7 : REL32_AT_2_OF_6);
  if (prefixed) emitBytes(code, [rex(w, reg, 0), opcode, 0x05 | ((reg & 7) << 3), 0, 0, 0, 0]);
  else emitBytes(code, [opcode, 0x05 | ((reg & 7) << 3), 0, 0, 0, 0]);
}
const REL32_AT_3_OF_7 = rel32(3, 7);
const REL32_AT_2_OF_6 = rel32(2, 6);

function emitOperand(code: CodeBuffer, reg: number, operand: Operand): void {
  switch (operand.kind) {
    case 'imm':
      return emitLoadImmediate(code, reg, operand.value);
    case 'openFlags':
      return emitLoadImmediate(code, reg, openFlagsValue(openFlags, operand.flags));
    case 'addr':
      return emitRipRelative(code, 0x8d, reg, operand.symbol, operand.offset ?? 0);
    case 'slot':
      return emitRipRelative(code, 0x8b, reg, operand.slot.symbol, operand.slot.offset);
  }
}

function emitSave(code: CodeBuffer, slot: Slot): void {
  emitRipRelative(code, 0x89, RAX, slot.symbol, slot.offset); // mov [rip+slot], rax
}

/** jcc rel32 (0f 8x) or jmp rel32 (e9). */
function emitJump(code: CodeBuffer, opcode: readonly number[], target: string): void {
  referLabel(code, target, rel32(opcode.length, opcode.length + 4));
  emitBytes(code, opcode);
  emitU32(code, 0, true);
}
const JS = [0x0f, 0x88];
const JE = [0x0f, 0x84];
const JNE = [0x0f, 0x85];
const JMP = [0xe9];

/** inspectArgv0: rax = argv[0], stored; rdx = (its last component starts with '!'), stored. */
function emitInspectArgv0(code: CodeBuffer, pointer: Slot, selfDelete: Slot): void {
  emitBytes(code, [0x48, 0x8b, 0x44, 0x24, 0x08]); //  mov    0x8(%rsp),%rax    argv[0]: rsp points at argc at entry
  emitRipRelative(code, 0x89, RAX, pointer.symbol, pointer.offset); // mov %rax,pointer(%rip)
  emitBytes(code, [
    0x31, 0xd2, //                    xor    %edx,%edx         no self-delete by default
    0x48, 0x85, 0xc0, //              test   %rax,%rax         argv[0] may be NULL
    0x74, 0x1a, //                    je     done
    0x48, 0x89, 0xc1, //              mov    %rax,%rcx         start of the last component
    0x0f, 0xb6, 0x30, //        loop: movzbl (%rax),%esi
    0x48, 0xff, 0xc0, //              inc    %rax
    0x83, 0xfe, 0x2f, //              cmp    $0x2f,%esi        '/'
    0x48, 0x0f, 0x44, 0xc8, //        cmove  %rax,%rcx
    0x85, 0xf6, //                    test   %esi,%esi
    0x75, 0xef, //                    jne    loop
    0x80, 0x39, 0x21, //              cmpb   $0x21,(%rcx)      '!'
    0x0f, 0x94, 0xc2, //              sete   %dl
  ]);
  emitRipRelative(code, 0x89, RDX, selfDelete.symbol, selfDelete.offset); // done: mov %rdx,selfDelete(%rip)
}

function emitInstruction(code: CodeBuffer, instruction: Instruction): void {
  switch (instruction.op) {
    case 'label':
      return defineLabel(code, instruction.name);
    case 'syscall': {
      if (instruction.args.length > ARGUMENT_REGISTERS.length) throw new RangeError(`${instruction.name}: too many arguments`);
      instruction.args.forEach((arg, i) => emitOperand(code, ARGUMENT_REGISTERS[i]!, arg));
      emitLoadImmediate(code, RAX, syscalls[instruction.name]);
      emitBytes(code, [0x0f, 0x05]); // syscall
      if (instruction.save) emitSave(code, instruction.save);
      return;
    }
    case 'load':
      return emitRipRelative(code, 0x8b, RAX, instruction.slot.symbol, instruction.slot.offset);
    case 'store': {
      // mov qword [rip+slot], imm32: the displacement is relative to the end, after the immediate.
      referSymbol(code, instruction.slot.symbol, instruction.slot.offset, rel32(3, 11));
      emitBytes(code, [0x48, 0xc7, 0x05, 0, 0, 0, 0]);
      emitU32(code, checkSigned(instruction.value, 32, 'stored value'), true);
      return;
    }
    case 'loadMode':
      emitRipRelative(code, 0x8b, RAX, instruction.stat, ST_MODE_OFFSET, false); // mov eax, [rip+st_mode]
      if (instruction.save) emitSave(code, instruction.save);
      return;
    case 'jumpIfNegative':
      emitBytes(code, [0x48, 0x85, 0xc0]); // test rax, rax
      return emitJump(code, JS, instruction.target);
    case 'jumpIfEqual': {
      const value = checkSigned(instruction.value, 32, 'compared value');
      if (value >= -128 && value < 128) emitBytes(code, [0x48, 0x83, 0xf8, value & 0xff]); // cmp rax, imm8
      else {
        emitBytes(code, [0x48, 0x3d]); // cmp rax, imm32
        emitU32(code, value, true);
      }
      return emitJump(code, JE, instruction.target);
    }
    case 'jumpIfNotRegularFile':
      emitBytes(code, [0x89, 0xc0 | (RAX << 3) | RCX]); // mov ecx, eax
      emitBytes(code, [0x81, 0xe1]); // and ecx, S_IFMT
      emitU32(code, S_IFMT, true);
      emitBytes(code, [0x81, 0xf9]); // cmp ecx, S_IFREG
      emitU32(code, S_IFREG, true);
      return emitJump(code, JNE, instruction.target);
    case 'jump':
      return emitJump(code, JMP, instruction.target);
    case 'inspectArgv0':
      return emitInspectArgv0(code, instruction.pointer, instruction.selfDelete);
    case 'exitWithErrno':
      emitBytes(code, [0x48, 0xf7, 0xd8]); // neg rax: -errno -> errno
      emitBytes(code, [0x89, 0xc7]); // mov edi, eax
      emitLoadImmediate(code, RAX, syscalls.exit_group);
      return emitBytes(code, [0x0f, 0x05]); // syscall
  }
}

export const x86_64: Backend = {
  name: 'x86_64',
  elfClass: 64,
  endian: 'little',
  machine: EM_X86_64,
  elfFlags: 0,
  syscalls,
  openFlags,
  statModeOffset: ST_MODE_OFFSET,
  generate: generateWith(emitInstruction),
};
