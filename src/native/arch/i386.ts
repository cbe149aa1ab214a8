// i386 code generation. Linux i386 system call: `int $0x80`, number in eax, arguments in ebx, ecx,
// edx, esi, edi, ebp, result in eax (-errno on error). 32-bit kernels and x86_64 kernels with
// IA32 emulation both take it. Every address is absolute (the image is not relocated), so each
// reference is a 32-bit field that link() patches.

import { EM_386 } from '../elf';
import { S_IFMT, S_IFREG, type Backend, type Instruction, type Operand, type Slot } from '../program';
import { ASM_GENERIC_OPEN_FLAGS } from './asm-generic';
import { checkSigned, defineLabel, emitBytes, generateWith, openFlagsValue, referLabel, referSymbol, type CodeBuffer, type Patch } from './code';

// ---- IA-32 instruction encoders (each returns bytes) ----

export const EAX = 0;
export const ECX = 1;
export const EDX = 2;
export const EBX = 3;
export const ESP = 4;
export const EBP = 5;
export const ESI = 6;
export const EDI = 7;

/** Jcc condition nibbles (Intel SDM: 0x70+cc short, 0x0F 0x80+cc near). */
export const CC_E = 0x4;
export const CC_NE = 0x5;
export const CC_S = 0x8;
export const CC_NS = 0x9;

const le32 = (value: number) => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];

/** ModRM (+ SIB + displacement) for a [base + disp] memory operand. */
function memoryOperand(reg: number, base: number, disp: number): number[] {
  const sib = base === ESP ? [0x24] : [];
  if (disp === 0 && base !== EBP) return [(reg << 3) | base, ...sib];
  if (disp >= -128 && disp <= 127) return [0x40 | (reg << 3) | base, ...sib, disp & 0xff];
  return [0x80 | (reg << 3) | base, ...sib, ...le32(disp)];
}

/** `mov r32, imm32` (B8+r): always 5 bytes, the immediate at byte 1. */
export const x86MovImm32 = (reg: number, value: number) => [0xb8 + reg, ...le32(value >>> 0)];
/** The shortest load of a constant: `xor r32, r32` for zero, else `mov r32, imm32`. */
export function x86MovImm(reg: number, value: number): number[] {
  if (value === 0) return [0x31, 0xc0 | (reg << 3) | reg];
  return x86MovImm32(reg, value);
}
/** `mov dst, src`. */
export const x86MovReg = (dst: number, src: number) => [0x89, 0xc0 | (src << 3) | dst];
/** `mov reg, [base + disp]`. */
export const x86Load = (reg: number, base: number, disp = 0) => [0x8b, ...memoryOperand(reg, base, disp)];
/** `mov [base + disp], reg`. */
export const x86Store = (reg: number, base: number, disp = 0) => [0x89, ...memoryOperand(reg, base, disp)];
/** `mov reg, [abs32]`. */
export const x86LoadAbsolute = (reg: number, address: number) => [0x8b, (reg << 3) | 0b101, ...le32(address)];
/** `mov [abs32], reg`. */
export const x86StoreAbsolute = (reg: number, address: number) => [0x89, (reg << 3) | 0b101, ...le32(address)];
/** `movzx reg, byte [base + disp]`. */
export const x86LoadByte = (reg: number, base: number, disp = 0) => [0x0f, 0xb6, ...memoryOperand(reg, base, disp)];
/** `and reg, imm32`. */
export const x86AndImm = (reg: number, value: number) => (reg === EAX ? [0x25, ...le32(value)] : [0x81, 0xe0 | reg, ...le32(value)]);
/** `cmp reg, imm` (imm8 form when it fits). */
export function x86CmpImm(reg: number, value: number): number[] {
  if (value >= -128 && value <= 127) return [0x83, 0xf8 | reg, value & 0xff];
  return reg === EAX ? [0x3d, ...le32(value)] : [0x81, 0xf8 | reg, ...le32(value)];
}
/** `test reg, reg`: sets SF from the sign of a system call result. */
export const x86Test = (reg: number) => [0x85, 0xc0 | (reg << 3) | reg];
/** `neg reg`. */
export const x86Neg = (reg: number) => [0xf7, 0xd8 | reg];
/** `inc reg` (the one-byte 0x40+r form, valid outside 64-bit mode). */
export const x86Inc = (reg: number) => [0x40 + reg];
/** `int $0x80`. */
export const x86Int80 = () => [0xcd, 0x80];

/** Jcc from the instruction at `from` to `to`; short form when `short`, near (rel32) otherwise. */
export function x86Jcc(cc: number, from: number, to: number, short: boolean): number[] {
  if (short) {
    const delta = to - (from + 2);
    if (delta < -128 || delta > 127) throw new RangeError(`x86: short jump ${delta} out of range`);
    return [0x70 + cc, delta & 0xff];
  }
  return [0x0f, 0x80 + cc, ...le32(to - (from + 6))];
}
/** `jmp` from `from` to `to`; short or near. */
export function x86Jmp(from: number, to: number, short: boolean): number[] {
  if (short) {
    const delta = to - (from + 2);
    if (delta < -128 || delta > 127) throw new RangeError(`x86: short jump ${delta} out of range`);
    return [0xeb, delta & 0xff];
  }
  return [0xe9, ...le32(to - (from + 5))];
}

/** `cdq`: edx = sign of eax. */
export const x86Cdq = () => [0x99];
/** `sete r8` (low byte registers al, cl, dl, bl). */
export const x86Sete = (reg: number) => [0x0f, 0x94, 0xc0 | reg];
/** `cmp byte [base], imm8`. */
export const x86CmpByte = (base: number, value: number) => [0x80, (7 << 3) | base, value & 0xff];

// ---- the code generator ----

/** arch/x86/entry/syscalls/syscall_32.tbl (fstat is fstat64: struct stat64). */
const syscalls = {
  write: 4,
  fstat: 197, // fstat64
  fsetxattr: 228,
  fgetxattr: 231,
  fremovexattr: 237,
  exit_group: 252,
  openat: 295,
  unlinkat: 301,
} as const;

/** x86 uses include/uapi/asm-generic/fcntl.h unchanged. */
const openFlags = ASM_GENERIC_OPEN_FLAGS;

/**
 * O_LARGEFILE (include/uapi/asm-generic/fcntl.h): a 32-bit process must ask for it or openat fails with EOVERFLOW on
 * a file of 2 GiB or more (64-bit kernels force it only for 64-bit processes). Every openFlags
 * operand includes it, as glibc's open64 does.
 */
const O_LARGEFILE = 0o100000;

/** struct stat64 (arch/x86/include/uapi/asm/stat.h): u64 st_dev, 4 bytes of padding, u32 __st_ino, then st_mode. */
const ST_MODE_OFFSET = 16;

/** ebx, ecx, edx, esi, edi, ebp */
const ARGUMENT_REGISTERS = [EBX, ECX, EDX, ESI, EDI, EBP] as const;

/** An absolute 32-bit address at byte `field` of the instruction. */
const absolute = (field: number): Patch => (view, at, target) => view.setUint32(at + field, target >>> 0, true);
/** A rel32 at byte `field` of an instruction `length` bytes long. */
const relative = (field: number, length: number): Patch => (view, at, target, here) =>
  view.setInt32(at + field, target - (here + length), true);

function emitWithSymbol(code: CodeBuffer, bytes: number[], field: number, symbol: string, offset: number): void {
  referSymbol(code, symbol, offset, absolute(field));
  emitBytes(code, bytes);
}

function emitOperand(code: CodeBuffer, reg: number, operand: Operand): void {
  switch (operand.kind) {
    case 'imm':
      return emitBytes(code, x86MovImm(reg, checkSigned(operand.value, 32, 'immediate')));
    case 'openFlags':
      return emitBytes(code, x86MovImm(reg, openFlagsValue(openFlags, operand.flags, O_LARGEFILE)));
    case 'addr':
      return emitWithSymbol(code, x86MovImm32(reg, 0), 1, operand.symbol, operand.offset ?? 0);
    case 'slot':
      return emitWithSymbol(code, x86LoadAbsolute(reg, 0), 2, operand.slot.symbol, operand.slot.offset); // the low word
  }
}

/** Stores eax at the slot as a sign-extended 8-byte word (clobbers edx). */
function emitSave(code: CodeBuffer, slot: Slot): void {
  emitWithSymbol(code, x86StoreAbsolute(EAX, 0), 2, slot.symbol, slot.offset);
  emitBytes(code, x86Cdq());
  emitWithSymbol(code, x86StoreAbsolute(EDX, 0), 2, slot.symbol, slot.offset + 4);
}

function emitJcc(code: CodeBuffer, cc: number, target: string): void {
  referLabel(code, target, relative(2, 6));
  emitBytes(code, x86Jcc(cc, 0, 6, false));
}

/** Stores eax as the low word of the slot; the high word keeps the bss zero (a zero-extended word). */
function emitSaveLow(code: CodeBuffer, slot: Slot): void {
  emitWithSymbol(code, x86StoreAbsolute(EAX, 0), 2, slot.symbol, slot.offset);
}

function emitInspectArgv0(code: CodeBuffer, pointer: Slot, selfDelete: Slot, id: number): void {
  const loop = `i386.argv0.loop.${id}`;
  const next = `i386.argv0.next.${id}`;
  const done = `i386.argv0.done.${id}`;
  emitBytes(code, x86Load(EAX, ESP, 4)); // eax = argv[0]: esp points at argc at entry
  emitSaveLow(code, pointer);
  emitBytes(code, x86MovImm(EDX, 0)); // no self-delete by default
  emitBytes(code, x86Test(EAX)); // argv[0] may be NULL
  emitJcc(code, CC_E, done);
  emitBytes(code, x86MovReg(ECX, EAX)); // ecx = start of the last component
  defineLabel(code, loop);
  emitBytes(code, x86LoadByte(ESI, EAX));
  emitBytes(code, x86Inc(EAX));
  emitBytes(code, x86CmpImm(ESI, 0x2f)); // '/'
  emitJcc(code, CC_NE, next);
  emitBytes(code, x86MovReg(ECX, EAX));
  defineLabel(code, next);
  emitBytes(code, x86Test(ESI));
  emitJcc(code, CC_NE, loop);
  emitBytes(code, x86CmpByte(ECX, 0x21)); // '!'
  emitBytes(code, x86Sete(EDX));
  defineLabel(code, done);
  emitBytes(code, x86MovReg(EAX, EDX));
  emitSaveLow(code, selfDelete);
}

function emitInstruction(code: CodeBuffer, instruction: Instruction, id: number): void {
  switch (instruction.op) {
    case 'label':
      return defineLabel(code, instruction.name);
    case 'syscall':
      if (instruction.args.length > ARGUMENT_REGISTERS.length) throw new RangeError(`${instruction.name}: too many arguments`);
      instruction.args.forEach((arg, i) => emitOperand(code, ARGUMENT_REGISTERS[i]!, arg));
      emitBytes(code, x86MovImm(EAX, syscalls[instruction.name]));
      emitBytes(code, x86Int80());
      if (instruction.save) emitSave(code, instruction.save);
      return;
    case 'load':
      return emitOperand(code, EAX, { kind: 'slot', slot: instruction.slot });
    case 'store':
      emitBytes(code, x86MovImm(EAX, checkSigned(instruction.value, 32, 'stored value')));
      return emitSave(code, instruction.slot);
    case 'loadMode':
      emitWithSymbol(code, x86LoadAbsolute(EAX, 0), 2, instruction.stat, ST_MODE_OFFSET);
      if (instruction.save) emitSave(code, instruction.save);
      return;
    case 'jumpIfNegative':
      emitBytes(code, x86Test(EAX));
      return emitJcc(code, CC_S, instruction.target);
    case 'jumpIfEqual':
      emitBytes(code, x86CmpImm(EAX, checkSigned(instruction.value, 32, 'compared value')));
      return emitJcc(code, CC_E, instruction.target);
    case 'jumpIfNotRegularFile':
      emitBytes(code, x86MovReg(ECX, EAX));
      emitBytes(code, x86AndImm(ECX, S_IFMT));
      emitBytes(code, x86CmpImm(ECX, S_IFREG));
      return emitJcc(code, CC_NE, instruction.target);
    case 'jump':
      referLabel(code, instruction.target, relative(1, 5));
      return emitBytes(code, x86Jmp(0, 5, false));
    case 'inspectArgv0':
      return emitInspectArgv0(code, instruction.pointer, instruction.selfDelete, id);
    case 'exitWithErrno':
      emitBytes(code, x86Neg(EAX));
      emitBytes(code, x86MovReg(EBX, EAX));
      emitBytes(code, x86MovImm(EAX, syscalls.exit_group));
      return emitBytes(code, x86Int80());
  }
}

export const i386: Backend = {
  name: 'i386',
  elfClass: 32,
  endian: 'little',
  machine: EM_386,
  elfFlags: 0,
  syscalls,
  openFlags,
  statModeOffset: ST_MODE_OFFSET,
  generate: generateWith(emitInstruction),
};
