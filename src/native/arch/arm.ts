// 32-bit ARM (EABI) code generation: A32 instructions that every ARMv6 core decodes (no movw/movt,
// which are ARMv6T2+, no Thumb), so one program runs on Docker's linux/arm/v6 and linux/arm/v7.
// Linux EABI system call: number in r7, arguments in r0..r5, `svc #0`, result in r0 (-errno on error).
// At process entry sp points at argc, [sp, #4] is argv[0].

import { EM_ARM } from '../elf';
import { S_IFMT, S_IFREG, type Backend, type Instruction, type Operand, type Slot } from '../program';
import { ASM_GENERIC_OPEN_FLAGS } from './asm-generic';
import { checkSigned, createCodeBuffer, defineLabel, emitU32, finishCode, openFlagsValue, referLabel, referSymbol, type CodeBuffer } from './code';

// ---- A32 instruction encoders (each returns one 32-bit instruction word) ----

/** Condition field values (ARM ARM A8.3). */
export const COND_EQ = 0x0;
export const COND_NE = 0x1;
export const COND_MI = 0x4;
export const COND_PL = 0x5;
export const COND_AL = 0xe;

const OP_AND = 0x0;
const OP_SUB = 0x2;
const OP_RSB = 0x3;
const OP_ADD = 0x4;
const OP_CMP = 0xa;
const OP_ORR = 0xc;
const OP_MOV = 0xd;
const OP_MVN = 0xf;

/**
 * A32 "modified immediate": an 8-bit value rotated right by an even amount. Returns the 12-bit
 * field (rotate << 8 | imm8) or undefined when the value has no such form.
 */
export function armModifiedImmediate(value: number): number | undefined {
  const v = value >>> 0;
  for (let rotate = 0; rotate < 16; rotate++) {
    // Rotating left by 2*rotate undoes the rotate-right the CPU applies.
    const shift = 2 * rotate;
    const imm = shift === 0 ? v : ((v << shift) | (v >>> (32 - shift))) >>> 0;
    if (imm <= 0xff) return (rotate << 8) | imm;
  }
  return undefined;
}

function dataProcessingImmediate(op: number, setFlags: boolean, rd: number, rn: number, value: number, cond: number): number {
  const field = armModifiedImmediate(value);
  if (field === undefined) throw new RangeError(`A32: ${value} is not a modified immediate`);
  return ((cond << 28) | (1 << 25) | (op << 21) | ((setFlags ? 1 : 0) << 20) | (rn << 16) | (rd << 12) | field) >>> 0;
}

export const armMovImm = (rd: number, value: number, cond = COND_AL) => dataProcessingImmediate(OP_MOV, false, rd, 0, value, cond);
export const armMvnImm = (rd: number, value: number, cond = COND_AL) => dataProcessingImmediate(OP_MVN, false, rd, 0, value, cond);
export const armOrrImm = (rd: number, rn: number, value: number, cond = COND_AL) => dataProcessingImmediate(OP_ORR, false, rd, rn, value, cond);
export const armAndImm = (rd: number, rn: number, value: number, cond = COND_AL) => dataProcessingImmediate(OP_AND, false, rd, rn, value, cond);
export const armAddImm = (rd: number, rn: number, value: number, cond = COND_AL) => dataProcessingImmediate(OP_ADD, false, rd, rn, value, cond);
export const armSubImm = (rd: number, rn: number, value: number, cond = COND_AL) => dataProcessingImmediate(OP_SUB, false, rd, rn, value, cond);
/** rd = value - rn; `rsb rd, rn, #0` negates. */
export const armRsbImm = (rd: number, rn: number, value: number, cond = COND_AL) => dataProcessingImmediate(OP_RSB, false, rd, rn, value, cond);
export const armCmpImm = (rn: number, value: number, cond = COND_AL) => dataProcessingImmediate(OP_CMP, true, 0, rn, value, cond);

/** `mov rd, rm` (register form, no shift). */
export function armMovReg(rd: number, rm: number, cond = COND_AL): number {
  return ((cond << 28) | (OP_MOV << 21) | (rd << 12) | rm) >>> 0;
}

function loadStoreImmediate(load: boolean, byte: boolean, rt: number, rn: number, offset: number, cond: number): number {
  const up = offset >= 0;
  const magnitude = Math.abs(offset);
  if (magnitude > 0xfff) throw new RangeError(`A32: offset ${offset} out of range`);
  // cond 010 P U B W L Rn Rt imm12, pre-indexed without write-back (P=1, W=0).
  return ((cond << 28) | (0b010 << 25) | (1 << 24) | ((up ? 1 : 0) << 23) | ((byte ? 1 : 0) << 22) |
    ((load ? 1 : 0) << 20) | (rn << 16) | (rt << 12) | magnitude) >>> 0;
}

export const armLdr = (rt: number, rn: number, offset = 0, cond = COND_AL) => loadStoreImmediate(true, false, rt, rn, offset, cond);
export const armLdrb = (rt: number, rn: number, offset = 0, cond = COND_AL) => loadStoreImmediate(true, true, rt, rn, offset, cond);
export const armStr = (rt: number, rn: number, offset = 0, cond = COND_AL) => loadStoreImmediate(false, false, rt, rn, offset, cond);

/** `b<cond>` from the instruction at `from` to `to` (byte addresses); the PC reads 8 bytes ahead. */
export function armBranch(from: number, to: number, cond = COND_AL): number {
  const delta = to - (from + 8);
  if (delta % 4 !== 0 || delta < -(1 << 25) || delta >= 1 << 25) throw new RangeError(`A32: branch ${delta} out of range`);
  return ((cond << 28) | (0b1010 << 24) | ((delta >> 2) & 0xffffff)) >>> 0;
}

/** `svc #0`: enter the kernel, number in r7 (EABI). */
export const armSvc = (cond = COND_AL) => ((cond << 28) | (0xf << 24)) >>> 0;

/**
 * Load any 32-bit value with instructions ARMv6 has: one mov/mvn when the value (or its complement)
 * is a modified immediate, otherwise mov + orr of successive 8-bit chunks at even bit positions.
 */
export function armLoadImmediate(rd: number, value: number): number[] {
  const v = value >>> 0;
  if (armModifiedImmediate(v) !== undefined) return [armMovImm(rd, v)];
  if (armModifiedImmediate(~v >>> 0) !== undefined) return [armMvnImm(rd, ~v >>> 0)];
  const chunks: number[] = [];
  let rest = v;
  while (rest !== 0) {
    let low = 0;
    while (((rest >>> low) & 3) === 0) low += 2;
    const chunk = (rest & (0xff << low)) >>> 0;
    chunks.push(chunk);
    rest = (rest & ~chunk) >>> 0;
  }
  return chunks.map((chunk, i) => (i === 0 ? armMovImm(rd, chunk) : armOrrImm(rd, rd, chunk)));
}

/** `cmp rn, rm`. */
export function armCmpReg(rn: number, rm: number, cond = COND_AL): number {
  return ((cond << 28) | (OP_CMP << 21) | (1 << 20) | (rn << 16) | rm) >>> 0;
}
/** `mov rd, rm, asr #shift` (1..31). */
export function armMovAsr(rd: number, rm: number, shift: number, cond = COND_AL): number {
  return ((cond << 28) | (OP_MOV << 21) | (rd << 12) | ((shift & 31) << 7) | (0b10 << 5) | rm) >>> 0;
}

// ---- the code generator ----

/** arch/arm/tools/syscall.tbl (EABI numbers; the 32-bit ABI's fstat64 fills struct stat64). */
const syscalls = {
  write: 4,
  fstat: 197, // fstat64
  fsetxattr: 228,
  fgetxattr: 231,
  fremovexattr: 237,
  exit_group: 248,
  openat: 322,
  unlinkat: 328,
} as const;

/** arch/arm/include/uapi/asm/fcntl.h: O_DIRECTORY, O_NOFOLLOW, O_DIRECT, O_LARGEFILE differ from the generic values. */
const openFlags = { ...ASM_GENERIC_OPEN_FLAGS, O_NOFOLLOW: 0o100000 };

/**
 * O_LARGEFILE (arch/arm/include/uapi/asm/fcntl.h): a 32-bit process must ask for it or openat fails with EOVERFLOW on
 * a file of 2 GiB or more (64-bit kernels force it only for 64-bit processes). Every openFlags
 * operand includes it, as glibc's open64 does.
 */
const O_LARGEFILE = 0o400000;

/** struct stat64 (arch/arm/include/uapi/asm/stat.h): u64 st_dev, 4 bytes of padding, u32 __st_ino, then st_mode. */
const ST_MODE_OFFSET = 16;

const R0 = 0;
const R1 = 1;
const R2 = 2;
const R3 = 3;
const R7 = 7;
const R9 = 9;
const R10 = 10;
const SP = 13;
/** EABI e_flags: EF_ARM_EABI_VER5 (0x05000000); soft/hard float does not matter to a program without floating point. */
const EF_ARM_EABI_VER5 = 0x05000000;

/** `ldr rd, [pc, #imm12]` reaches 4095 bytes forward: pools are flushed well before that. */
const POOL_REACH = 3072;

/**
 * Addresses come from a literal pool: `ldr rd, [pc, #offset]` and a 32-bit word placed after the
 * code (or behind a branch when the code grows past the reach of the load). The word is an
 * absolute address patched by link(); the load's offset is code-internal, so the code size never
 * depends on an address.
 */
interface ArmCode {
  buffer: CodeBuffer;
  /** Literal loads waiting for their pool: position of the ldr and the word it wants. */
  pending: { at: number; symbol: string; offset: number }[];
  nextLabel: number;
}

function emit(code: ArmCode, word: number): void {
  emitU32(code.buffer, word, true);
}

function emitLoadImmediate(code: ArmCode, rd: number, value: number): void {
  for (const word of armLoadImmediate(rd, checkSigned(value, 32, 'immediate'))) emit(code, word);
}

function emitAddress(code: ArmCode, rd: number, symbol: string, offset: number): void {
  code.pending.push({ at: code.buffer.length, symbol, offset });
  emit(code, armLdr(rd, 15, 0)); // ldr rd, [pc, #pool-offset], patched by flushPool
}

/** Places the pending literals here; `jumpOver` when execution can reach this point. */
function flushPool(code: ArmCode, jumpOver: boolean): void {
  if (code.pending.length === 0) return;
  const buffer = code.buffer;
  const skip = jumpOver ? newLabel(code) : undefined;
  if (skip) emitBranch(code, COND_AL, skip);
  const placed = new Map<string, number>();
  for (const ref of code.pending) {
    const key = `${ref.symbol}+${ref.offset}`;
    if (placed.has(key)) continue;
    placed.set(key, buffer.length);
    referSymbol(buffer, ref.symbol, ref.offset, (view, at, target) => view.setUint32(at, target >>> 0, true));
    emitU32(buffer, 0, true);
  }
  const view = new DataView(buffer.bytes.buffer); // after the literals: emitting may have grown the buffer
  for (const ref of code.pending) {
    const literal = placed.get(`${ref.symbol}+${ref.offset}`)!;
    const rd = (view.getUint32(ref.at, true) >>> 12) & 15;
    view.setUint32(ref.at, armLdr(rd, 15, literal - (ref.at + 8)), true);
  }
  code.pending = [];
  if (skip) defineLabel(buffer, skip);
}

function newLabel(code: ArmCode): string {
  return `arm.local.${code.nextLabel++}`;
}

function emitBranch(code: ArmCode, cond: number, target: string): void {
  referLabel(code.buffer, target, (view, at, address, here) => view.setUint32(at, armBranch(here, address, cond), true));
  emit(code, 0);
}

function emitOperand(code: ArmCode, rd: number, operand: Operand): void {
  switch (operand.kind) {
    case 'imm':
      return emitLoadImmediate(code, rd, operand.value);
    case 'openFlags':
      return emitLoadImmediate(code, rd, openFlagsValue(openFlags, operand.flags, O_LARGEFILE));
    case 'addr':
      return emitAddress(code, rd, operand.symbol, operand.offset ?? 0);
    case 'slot':
      emitAddress(code, rd, operand.slot.symbol, operand.slot.offset);
      return emit(code, armLdr(rd, rd, 0)); // the low word: slots are little-endian 8-byte words
  }
}

/** Stores `rs` at the slot as a sign-extended 8-byte word (r9, r10 scratch). */
function emitSave(code: ArmCode, rs: number, slot: Slot): void {
  emitAddress(code, R9, slot.symbol, slot.offset);
  emit(code, armStr(rs, R9, 0));
  emit(code, armMovAsr(R10, rs, 31));
  emit(code, armStr(R10, R9, 4));
}

/** Stores `rs` as the low word of the slot; the high word keeps the bss zero (a zero-extended word). */
function emitSaveLow(code: ArmCode, rs: number, slot: Slot): void {
  emitAddress(code, R9, slot.symbol, slot.offset);
  emit(code, armStr(rs, R9, 0));
}

function emitInspectArgv0(code: ArmCode, pointer: Slot, selfDelete: Slot): void {
  const loop = newLabel(code);
  const done = newLabel(code);
  emit(code, armLdr(R0, SP, 4)); // r0 = argv[0]: sp points at argc at entry
  emitSaveLow(code, R0, pointer);
  emit(code, armMovImm(R2, 0)); // r2 = selfDelete
  emit(code, armCmpImm(R0, 0));
  emitBranch(code, COND_EQ, done); // no argv[0]: never delete
  emit(code, armMovReg(R1, R0)); // r1 = first byte of the last path component
  defineLabel(code.buffer, loop);
  emit(code, armLdrb(R3, R0, 0));
  emit(code, armAddImm(R0, R0, 1));
  emit(code, armCmpImm(R3, 0x2f)); // '/'
  emit(code, armMovReg(R1, R0, COND_EQ));
  emit(code, armCmpImm(R3, 0));
  emitBranch(code, COND_NE, loop);
  emit(code, armLdrb(R3, R1, 0));
  emit(code, armCmpImm(R3, 0x21)); // '!'
  emit(code, armMovImm(R2, 1, COND_EQ));
  defineLabel(code.buffer, done);
  emitSaveLow(code, R2, selfDelete);
}

function emitSyscall(code: ArmCode, nr: number): void {
  emitLoadImmediate(code, R7, nr);
  emit(code, armSvc());
}

function emitInstruction(code: ArmCode, instruction: Instruction): void {
  switch (instruction.op) {
    case 'label':
      return defineLabel(code.buffer, instruction.name);
    case 'syscall':
      if (instruction.args.length > 6) throw new RangeError(`${instruction.name}: too many arguments`);
      instruction.args.forEach((arg, i) => emitOperand(code, R0 + i, arg));
      emitSyscall(code, syscalls[instruction.name]);
      if (instruction.save) emitSave(code, R0, instruction.save);
      return;
    case 'load':
      return emitOperand(code, R0, { kind: 'slot', slot: instruction.slot });
    case 'store':
      emitLoadImmediate(code, R0, instruction.value);
      return emitSave(code, R0, instruction.slot);
    case 'loadMode':
      emitAddress(code, R0, instruction.stat, 0);
      emit(code, armLdr(R0, R0, ST_MODE_OFFSET));
      if (instruction.save) emitSave(code, R0, instruction.save);
      return;
    case 'jumpIfNegative':
      emit(code, armCmpImm(R0, 0));
      return emitBranch(code, COND_MI, instruction.target);
    case 'jumpIfEqual': {
      const value = checkSigned(instruction.value, 32, 'compared value');
      if (armModifiedImmediate(value) !== undefined) emit(code, armCmpImm(R0, value));
      else {
        emitLoadImmediate(code, R10, value);
        emit(code, armCmpReg(R0, R10));
      }
      return emitBranch(code, COND_EQ, instruction.target);
    }
    case 'jumpIfNotRegularFile':
      emit(code, armAndImm(R10, R0, S_IFMT));
      emit(code, armCmpImm(R10, S_IFREG));
      return emitBranch(code, COND_NE, instruction.target);
    case 'jump':
      return emitBranch(code, COND_AL, instruction.target);
    case 'inspectArgv0':
      return emitInspectArgv0(code, instruction.pointer, instruction.selfDelete);
    case 'exitWithErrno':
      emit(code, armRsbImm(R0, R0, 0));
      return emitSyscall(code, syscalls.exit_group);
  }
}

export const arm: Backend = {
  name: 'arm',
  elfClass: 32,
  endian: 'little',
  machine: EM_ARM,
  elfFlags: EF_ARM_EABI_VER5,
  syscalls,
  openFlags,
  statModeOffset: ST_MODE_OFFSET,
  generate(instructions) {
    const code: ArmCode = { buffer: createCodeBuffer(), pending: [], nextLabel: 0 };
    for (const instruction of instructions) {
      emitInstruction(code, instruction);
      const oldest = code.pending[0];
      if (oldest && code.buffer.length - oldest.at > POOL_REACH) flushPool(code, true);
    }
    // The program never falls off its end (its last instruction exits), so the final pool needs no branch.
    flushPool(code, false);
    return finishCode(code.buffer);
  },
};
