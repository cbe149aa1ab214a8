// 64-bit RISC-V code generation (RV64I base only, no compressed instructions, so the program runs on
// any rv64 core Linux supports). Linux system call: `ecall`, number in a7, arguments in a0..a5,
// result in a0 (-errno on error). At process entry sp points at argc, 8(sp) is argv[0].
// Every data/bss reference is pc-relative: auipc + addi/ld/sd/lwu (±2 GiB, always two instructions).

import { EM_RISCV } from '../elf';
import { S_IFMT, S_IFREG, type Backend, type Instruction, type Operand, type Slot } from '../program';
import { ASM_GENERIC_OPEN_FLAGS, ASM_GENERIC_SYSCALLS } from './asm-generic';
import { checkSigned, createCodeBuffer, defineLabel, emitU32, finishCode, openFlagsValue, referLabel, referSymbol, type CodeBuffer, type Patch } from './code';

// ---- RV64I instruction encoders (each returns one 32-bit instruction word) ----

export const ZERO = 0;
export const SP = 2;
export const T0 = 5;
export const T1 = 6;
export const T2 = 7;
export const S0 = 8;
export const S1 = 9;
export const A0 = 10;
export const A1 = 11;
export const A2 = 12;
export const A3 = 13;
export const A4 = 14;
export const A5 = 15;
export const A7 = 17;

function signed12(value: number, what: string): number {
  if (value < -2048 || value > 2047) throw new RangeError(`riscv: ${what} ${value} out of range`);
  return value & 0xfff;
}

const iType = (opcode: number, funct3: number, rd: number, rs1: number, imm: number) =>
  ((imm << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
const sType = (funct3: number, rs1: number, rs2: number, imm: number) =>
  (((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const rType = (funct7: number, funct3: number, rd: number, rs1: number, rs2: number, opcode: number) =>
  ((funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;

export const rvAddi = (rd: number, rs1: number, imm: number) => iType(0x13, 0, rd, rs1, signed12(imm, 'addi'));
export const rvAndi = (rd: number, rs1: number, imm: number) => iType(0x13, 7, rd, rs1, signed12(imm, 'andi'));
/** `srli rd, rs1, shamt` (6-bit shift amount on RV64). */
export const rvSrli = (rd: number, rs1: number, shamt: number) => iType(0x13, 5, rd, rs1, shamt & 0x3f);
/** `addiw rd, rs1, imm`: 32-bit add, result sign-extended. */
export const rvAddiw = (rd: number, rs1: number, imm: number) => iType(0x1b, 0, rd, rs1, signed12(imm, 'addiw'));
export const rvLd = (rd: number, rs1: number, imm: number) => iType(0x03, 3, rd, rs1, signed12(imm, 'ld'));
export const rvLw = (rd: number, rs1: number, imm: number) => iType(0x03, 2, rd, rs1, signed12(imm, 'lw'));
export const rvLwu = (rd: number, rs1: number, imm: number) => iType(0x03, 6, rd, rs1, signed12(imm, 'lwu'));
export const rvLbu = (rd: number, rs1: number, imm: number) => iType(0x03, 4, rd, rs1, signed12(imm, 'lbu'));
export const rvSd = (rs2: number, rs1: number, imm: number) => sType(3, rs1, rs2, signed12(imm, 'sd'));
export const rvSw = (rs2: number, rs1: number, imm: number) => sType(2, rs1, rs2, signed12(imm, 'sw'));
/** `lui rd, imm20`: rd = imm20 << 12, sign-extended. */
export const rvLui = (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0;
/** `auipc rd, imm20`: rd = pc + (imm20 << 12). */
export const rvAuipc = (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x17) >>> 0;
export const rvSub = (rd: number, rs1: number, rs2: number) => rType(0x20, 0, rd, rs1, rs2, 0x33);
export const rvAnd = (rd: number, rs1: number, rs2: number) => rType(0x00, 7, rd, rs1, rs2, 0x33);
export const rvEcall = () => 0x00000073;

/** Branch funct3 values. */
export const BEQ = 0;
export const BNE = 1;
export const BLT = 4;
export const BGE = 5;

/** `b<cond> rs1, rs2, target` from the instruction at `from` (±4 KiB). */
export function rvBranch(funct3: number, rs1: number, rs2: number, from: number, to: number): number {
  const d = to - from;
  if (d % 2 !== 0 || d < -4096 || d > 4094) throw new RangeError(`riscv: branch ${d} out of range`);
  const imm = d & 0x1fff;
  return ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
}
/** `jal rd, target` (`j target` when rd = zero), ±1 MiB. */
export function rvJal(rd: number, from: number, to: number): number {
  const d = to - from;
  if (d % 2 !== 0 || d < -(1 << 20) || d >= 1 << 20) throw new RangeError(`riscv: jump ${d} out of range`);
  const imm = d & 0x1fffff;
  return ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;
}

/** Load a value in [-2^31, 2^31): addi, or lui + addiw (the low 12 bits are added signed). */
export function rvLoadImmediate(rd: number, value: number): number[] {
  if (value >= -2048 && value <= 2047) return [rvAddi(rd, ZERO, value)];
  if (value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`riscv: immediate ${value} out of range`);
  const low = ((value & 0xfff) << 20) >> 20; // sign-extended low 12 bits
  const high = ((value - low) >>> 12) & 0xfffff;
  return low === 0 ? [rvLui(rd, high)] : [rvLui(rd, high), rvAddiw(rd, rd, low)];
}

/** PC-relative address of `target` for an auipc at `from`: auipc + addi (2 instructions). */
export function rvLoadAddress(rd: number, from: number, target: number): number[] {
  const d = target - from;
  const low = ((d & 0xfff) << 20) >> 20;
  const high = ((d - low) >>> 12) & 0xfffff;
  return [rvAuipc(rd, high), rvAddi(rd, rd, low)];
}

/** `jalr rd, imm(rs1)`. */
export const rvJalr = (rd: number, rs1: number, imm: number) => iType(0x67, 0, rd, rs1, signed12(imm, 'jalr'));

// ---- the code generator ----

/** riscv64 uses include/uapi/asm-generic/unistd.h. */
const syscalls = ASM_GENERIC_SYSCALLS;

/** riscv uses include/uapi/asm-generic/fcntl.h unchanged. */
const openFlags = ASM_GENERIC_OPEN_FLAGS;

/** struct stat (include/uapi/asm-generic/stat.h): st_dev and st_ino are 8 bytes each, then st_mode. */
const ST_MODE_OFFSET = 16;
/** e_flags: EF_RISCV_FLOAT_ABI_SOFT (0): the program uses no floating point. */
const EF_RISCV_FLOAT_ABI_SOFT = 0;

/**
 * Near mode for programs of at most NEAR_LIMIT instructions (64 bytes each at most, so the code
 * stays within a conditional branch's ±4 KiB): one b<cond> per conditional jump and one jal per
 * jump. Far mode: the inverse b<cond> over auipc + jalr (±2 GiB). The mode depends on the
 * instruction count only, so the code size never depends on an address.
 */
const NEAR_LIMIT = 60;

interface RiscvCode {
  buffer: CodeBuffer;
  near: boolean;
  nextLabel: number;
}

function emit(code: RiscvCode, word: number): void {
  emitU32(code.buffer, word, true);
}

function patchWord(view: DataView, at: number, bits: number): void {
  view.setUint32(at, (view.getUint32(at, true) | bits) >>> 0, true);
}

/** hi20/lo12 split of a pc-relative distance: lo is added signed, so hi rounds. */
function split(distance: number): { hi: number; lo: number } {
  checkSigned(distance, 32, 'pc-relative distance');
  const hi = (distance + 0x800) >> 12;
  return { hi: hi & 0xfffff, lo: distance - hi * 4096 };
}

/** auipc at `at` + an I-type (`store` false) or S-type second instruction. */
function pcRelative(store: boolean): Patch {
  return (view, at, target, here) => {
    const { hi, lo } = split(target - here);
    patchWord(view, at, hi << 12);
    const imm = lo & 0xfff;
    patchWord(view, at + 4, store ? ((imm >> 5) << 25) | ((imm & 0x1f) << 7) : imm << 20);
  };
}

function emitPcRelative(code: RiscvCode, symbol: string, offset: number, base: number, second: number, store: boolean): void {
  referSymbol(code.buffer, symbol, offset, pcRelative(store));
  emit(code, rvAuipc(base, 0));
  emit(code, second);
}

function emitOperand(code: RiscvCode, rd: number, operand: Operand): void {
  switch (operand.kind) {
    case 'imm':
      return rvLoadImmediate(rd, checkSigned(operand.value, 32, 'immediate')).forEach((w) => emit(code, w));
    case 'openFlags':
      return rvLoadImmediate(rd, openFlagsValue(openFlags, operand.flags)).forEach((w) => emit(code, w));
    case 'addr':
      return emitPcRelative(code, operand.symbol, operand.offset ?? 0, rd, rvAddi(rd, rd, 0), false);
    case 'slot':
      return emitPcRelative(code, operand.slot.symbol, operand.slot.offset, rd, rvLd(rd, rd, 0), false);
  }
}

/** sd rs, slot (through t0). */
function emitSave(code: RiscvCode, rs: number, slot: Slot): void {
  emitPcRelative(code, slot.symbol, slot.offset, T0, rvSd(rs, T0, 0), true);
}

function newLabel(code: RiscvCode): string {
  return `riscv64.local.${code.nextLabel++}`;
}

/** b<cond> rs1, rs2, target: one branch (±4 KiB). */
function emitShortBranch(code: RiscvCode, funct3: number, rs1: number, rs2: number, target: string): void {
  referLabel(code.buffer, target, (view, at, address, here) => view.setUint32(at, rvBranch(funct3, rs1, rs2, here, address), true));
  emit(code, 0);
}

function emitJump(code: RiscvCode, target: string): void {
  if (code.near) {
    referLabel(code.buffer, target, (view, at, address, here) => view.setUint32(at, rvJal(ZERO, here, address), true));
    return emit(code, 0);
  }
  // auipc t0, hi; jalr zero, lo(t0)
  referLabel(code.buffer, target, pcRelative(false));
  emit(code, rvAuipc(T0, 0));
  emit(code, rvJalr(ZERO, T0, 0));
}

/** The inverse of each branch condition. */
const INVERSE: Record<number, number> = { [BEQ]: BNE, [BNE]: BEQ, [BLT]: BGE, [BGE]: BLT };

function emitBranchIf(code: RiscvCode, funct3: number, rs1: number, rs2: number, target: string): void {
  if (code.near) return emitShortBranch(code, funct3, rs1, rs2, target);
  const skip = newLabel(code);
  emitShortBranch(code, INVERSE[funct3]!, rs1, rs2, skip);
  emitJump(code, target);
  defineLabel(code.buffer, skip);
}

function emitSyscall(code: RiscvCode, nr: number): void {
  emit(code, rvAddi(A7, ZERO, nr));
  emit(code, rvEcall());
}

function emitInspectArgv0(code: RiscvCode, pointer: Slot, selfDelete: Slot): void {
  const loop = newLabel(code);
  const next = newLabel(code);
  const done = newLabel(code);
  emit(code, rvLd(A0, SP, 8)); // a0 = argv[0]: sp points at argc at entry
  emitSave(code, A0, pointer);
  emit(code, rvAddi(A2, ZERO, 0)); // no self-delete by default
  emitShortBranch(code, BEQ, A0, ZERO, done); // argv[0] may be NULL
  emit(code, rvAddi(A1, A0, 0)); // a1 = start of the last component
  emit(code, rvAddi(T2, ZERO, 0x2f)); // '/'
  defineLabel(code.buffer, loop);
  emit(code, rvLbu(T1, A0, 0));
  emit(code, rvAddi(A0, A0, 1));
  emitShortBranch(code, BNE, T1, T2, next);
  emit(code, rvAddi(A1, A0, 0));
  defineLabel(code.buffer, next);
  emitShortBranch(code, BNE, T1, ZERO, loop);
  emit(code, rvLbu(T1, A1, 0));
  emit(code, rvAddi(T1, T1, -0x21)); // '!'
  emitShortBranch(code, BNE, T1, ZERO, done);
  emit(code, rvAddi(A2, ZERO, 1));
  defineLabel(code.buffer, done);
  emitSave(code, A2, selfDelete);
}

function emitInstruction(code: RiscvCode, instruction: Instruction): void {
  switch (instruction.op) {
    case 'label':
      return defineLabel(code.buffer, instruction.name);
    case 'syscall':
      if (instruction.args.length > 6) throw new RangeError(`${instruction.name}: too many arguments`);
      instruction.args.forEach((arg, i) => emitOperand(code, A0 + i, arg));
      emitSyscall(code, syscalls[instruction.name]);
      if (instruction.save) emitSave(code, A0, instruction.save);
      return;
    case 'load':
      return emitOperand(code, A0, { kind: 'slot', slot: instruction.slot });
    case 'store':
      rvLoadImmediate(A0, checkSigned(instruction.value, 32, 'stored value')).forEach((w) => emit(code, w));
      return emitSave(code, A0, instruction.slot);
    case 'loadMode':
      emitPcRelative(code, instruction.stat, ST_MODE_OFFSET, A0, rvLwu(A0, A0, 0), false);
      if (instruction.save) emitSave(code, A0, instruction.save);
      return;
    case 'jumpIfNegative':
      return emitBranchIf(code, BLT, A0, ZERO, instruction.target);
    case 'jumpIfEqual': {
      const value = checkSigned(instruction.value, 32, 'compared value');
      if (value === 0) return emitBranchIf(code, BEQ, A0, ZERO, instruction.target);
      rvLoadImmediate(T1, value).forEach((w) => emit(code, w));
      return emitBranchIf(code, BEQ, A0, T1, instruction.target);
    }
    case 'jumpIfNotRegularFile':
      emit(code, rvSrli(T1, A0, 12)); // the S_IFMT nibble
      emit(code, rvAndi(T1, T1, S_IFMT >> 12));
      emit(code, rvAddi(T1, T1, -(S_IFREG >> 12)));
      return emitBranchIf(code, BNE, T1, ZERO, instruction.target);
    case 'jump':
      return emitJump(code, instruction.target);
    case 'inspectArgv0':
      return emitInspectArgv0(code, instruction.pointer, instruction.selfDelete);
    case 'exitWithErrno':
      emit(code, rvSub(A0, ZERO, A0));
      return emitSyscall(code, syscalls.exit_group);
  }
}

export const riscv64: Backend = {
  name: 'riscv64',
  elfClass: 64,
  endian: 'little',
  machine: EM_RISCV,
  elfFlags: EF_RISCV_FLOAT_ABI_SOFT,
  syscalls,
  openFlags,
  statModeOffset: ST_MODE_OFFSET,
  generate(instructions) {
    const code: RiscvCode = { buffer: createCodeBuffer(), near: instructions.length <= NEAR_LIMIT, nextLabel: 0 };
    for (const instruction of instructions) emitInstruction(code, instruction);
    return finishCode(code.buffer);
  },
};
