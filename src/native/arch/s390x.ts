// 64-bit s390x (z/Architecture) code generation, big-endian. Linux system call: `svc 0` with the
// number in r1 (the number may also sit in the svc immediate when below 256; r1 works for all),
// arguments in r2..r7, result in r2 (-errno on error). r15 is the stack pointer; at process entry
// 0(r15) holds argc and 8(r15) argv[0]. The kernel preserves every register but r2 across a call.
// Addresses: llilf (absolute, the image is below 4 GiB) for pointers passed to the kernel, and the
// relative-long loads and stores (lgrl, stgrl, llgfrl, ±4 GiB) for slots; jumps are brcl (±4 GiB):
// every reference has one size whatever the distance.

import { EM_S390 } from '../elf';
import { S_IFMT, S_IFREG, type Backend, type Instruction, type Operand, type Slot } from '../program';
import { ASM_GENERIC_OPEN_FLAGS } from './asm-generic';
import { checkSigned, defineLabel, emitBytes, generateWith, openFlagsValue, referLabel, referSymbol, type CodeBuffer, type Patch } from './code';

// ---- z/Architecture instruction encoders (each returns bytes, big-endian) ----

/** Condition-code masks for brc: which CC values take the branch (8 = CC0 ... 1 = CC3). */
export const MASK_ZERO = 8; // CC0: result zero / operands equal
export const MASK_LOW = 4; // CC1: result negative / first operand low
export const MASK_HIGH = 2; // CC2: result positive / first operand high
export const MASK_NOT_ZERO = 7;
export const MASK_NOT_LOW = 11;
export const MASK_ALWAYS = 15;

const be16 = (value: number) => [(value >>> 8) & 0xff, value & 0xff];
const be32 = (value: number) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];

function signed16(value: number, what: string): number {
  if (value < -0x8000 || value > 0x7fff) throw new RangeError(`s390x: ${what} ${value} out of range`);
  return value & 0xffff;
}

/** RI format: op1 r1 op2 i16. */
const ri = (op1: number, r1: number, op2: number, imm: number) => [op1, (r1 << 4) | op2, ...be16(imm)];
/** RIL format: op1 r1 op2 i32. */
const ril = (op1: number, r1: number, op2: number, imm: number) => [op1, (r1 << 4) | op2, ...be32(imm >>> 0)];
/** RRE format: op16 00 r1 r2. */
const rre = (op: number, r1: number, r2: number) => [op >>> 8, op & 0xff, 0x00, (r1 << 4) | r2];
/** RXY format (20-bit signed displacement, no index): op1 r1 x2 b2 dl dh op2. */
function rxy(op1: number, r1: number, b2: number, d: number, op2: number): number[] {
  if (d < -0x80000 || d > 0x7ffff) throw new RangeError(`s390x: displacement ${d} out of range`);
  const dl = d & 0xfff;
  const dh = (d >> 12) & 0xff;
  return [op1, r1 << 4, (b2 << 4) | (dl >>> 8), dl & 0xff, dh, op2];
}

/** `lghi r, i16`: load sign-extended 16-bit immediate into 64 bits. */
export const s390Lghi = (r: number, imm: number) => ri(0xa7, r, 0x9, signed16(imm, 'lghi'));
/** `lgfi r, i32`: load sign-extended 32-bit immediate. */
export const s390Lgfi = (r: number, imm: number) => ril(0xc0, r, 0x1, imm);
/** `llilf r, u32`: load zero-extended 32-bit immediate. */
export const s390Llilf = (r: number, imm: number) => ril(0xc0, r, 0xf, imm);
/** `lgr r1, r2`. */
export const s390Lgr = (r1: number, r2: number) => rre(0xb904, r1, r2);
/** `ltgr r1, r2`: load and test, CC from the sign of the 64-bit value. */
export const s390Ltgr = (r1: number, r2: number) => rre(0xb902, r1, r2);
/** `lcgr r1, r2`: load complement (r1 = -r2). */
export const s390Lcgr = (r1: number, r2: number) => rre(0xb903, r1, r2);
/** `lg r1, d(b2)`. */
export const s390Lg = (r1: number, b2: number, d: number) => rxy(0xe3, r1, b2, d, 0x04);
/** `stg r1, d(b2)`. */
export const s390Stg = (r1: number, b2: number, d: number) => rxy(0xe3, r1, b2, d, 0x24);
/** `llgf r1, d(b2)`: load 32-bit word zero-extended. */
export const s390Llgf = (r1: number, b2: number, d: number) => rxy(0xe3, r1, b2, d, 0x16);
/** `llgc r1, d(b2)`: load byte zero-extended. */
export const s390Llgc = (r1: number, b2: number, d: number) => rxy(0xe3, r1, b2, d, 0x90);
/** `nilf r, u32`: AND the low 32 bits with an immediate. */
export const s390Nilf = (r: number, imm: number) => ril(0xc0, r, 0xb, imm);
/** `cghi r, i16`: 64-bit signed compare with immediate. */
export const s390Cghi = (r: number, imm: number) => ri(0xa7, r, 0xf, signed16(imm, 'cghi'));
/** `chi r, i16`: 32-bit signed compare. */
export const s390Chi = (r: number, imm: number) => ri(0xa7, r, 0xe, signed16(imm, 'chi'));
/** `aghi r, i16`: 64-bit add immediate. */
export const s390Aghi = (r: number, imm: number) => ri(0xa7, r, 0xb, signed16(imm, 'aghi'));
/** `svc i`. */
export const s390Svc = (imm: number) => [0x0a, imm & 0xff];

/** `brc mask, target` from the instruction at `from` (offset counted in halfwords). */
export function s390Brc(mask: number, from: number, to: number): number[] {
  const delta = to - from;
  if (delta % 2 !== 0 || delta / 2 < -0x8000 || delta / 2 > 0x7fff) throw new RangeError(`s390x: branch ${delta} out of range`);
  return ri(0xa7, mask, 0x4, (delta / 2) & 0xffff);
}
/** `brcl mask, target` (32-bit halfword offset). */
export function s390Brcl(mask: number, from: number, to: number): number[] {
  const delta = to - from;
  if (delta % 2 !== 0) throw new RangeError(`s390x: branch ${delta} not halfword aligned`);
  return ril(0xc0, mask, 0x4, delta / 2);
}

/** Load a value in [-2^31, 2^32): lghi when it fits 16 bits, else lgfi (negative) or llilf. */
export function s390LoadImmediate(r: number, value: number): number[] {
  if (value >= -0x8000 && value <= 0x7fff) return s390Lghi(r, value);
  if (value < 0) return s390Lgfi(r, value);
  return s390Llilf(r, value);
}

/** RIL-b relative-long forms (the i32 counts halfwords from the instruction). */
export const s390Lgrl = (r: number) => ril(0xc4, r, 0x8, 0);
export const s390Stgrl = (r: number) => ril(0xc4, r, 0xb, 0);
export const s390Llgfrl = (r: number) => ril(0xc4, r, 0xe, 0);
/** `lr r1, r2` (32-bit). */
export const s390Lr = (r1: number, r2: number) => [0x18, (r1 << 4) | r2];
/** `ltr r1, r2`: 32-bit load and test. */
export const s390Ltr = (r1: number, r2: number) => [0x12, (r1 << 4) | r2];
/** `nill r, u16`: AND bits 48-63 (the low halfword). */
export const s390Nill = (r: number, imm: number) => ri(0xa5, r, 0x7, imm & 0xffff);
/** `clfi r, u32`: 32-bit logical compare with immediate. */
export const s390Clfi = (r: number, imm: number) => ril(0xc2, r, 0xf, imm);
/** `cgfi r, i32`: 64-bit signed compare with a sign-extended 32-bit immediate. */
export const s390Cgfi = (r: number, imm: number) => ril(0xc2, r, 0xc, imm);
/** `cli d(b), u8`: compare the byte at d(b). */
export const s390Cli = (b: number, d: number, imm: number) => [0x95, imm & 0xff, (b << 4) | ((d >>> 8) & 0xf), d & 0xff];

// ---- the code generator ----

/** arch/s390/kernel/syscalls/syscall.tbl (64-bit entries). */
const syscalls = {
  write: 4,
  fstat: 108,
  fsetxattr: 226,
  fgetxattr: 229,
  fremovexattr: 235,
  exit_group: 248,
  openat: 288,
  unlinkat: 294,
} as const;

/** s390 uses include/uapi/asm-generic/fcntl.h unchanged. */
const openFlags = ASM_GENERIC_OPEN_FLAGS;

/** struct stat (arch/s390/include/uapi/asm/stat.h, 64-bit): st_dev, st_ino, st_nlink are 8 bytes each, then st_mode. */
const ST_MODE_OFFSET = 24;

const R1 = 1;
const R2 = 2;
const R3 = 3;
const R4 = 4;
const R5 = 5;
const R9 = 9;
const R15 = 15;

/** A relative-long field (halfwords from the instruction start) at byte 2. */
const relativeLong = (align: number, what: string): Patch => (view, at, target, here) => {
  if (target % align !== 0) throw new RangeError(`s390x: ${what} at ${target} is not ${align}-byte aligned`);
  view.setInt32(at + 2, checkSigned((target - here) / 2, 32, what), false);
};

function emitOperand(code: CodeBuffer, r: number, operand: Operand): void {
  switch (operand.kind) {
    case 'imm':
      return emitBytes(code, s390LoadImmediate(r, checkSigned(operand.value, 32, 'immediate')));
    case 'openFlags':
      return emitBytes(code, s390LoadImmediate(r, openFlagsValue(openFlags, operand.flags)));
    case 'addr':
      referSymbol(code, operand.symbol, operand.offset ?? 0, (view, at, target) => view.setUint32(at + 2, target >>> 0, false));
      return emitBytes(code, s390Llilf(r, 0));
    case 'slot':
      referSymbol(code, operand.slot.symbol, operand.slot.offset, relativeLong(8, 'slot'));
      return emitBytes(code, s390Lgrl(r));
  }
}

function emitSave(code: CodeBuffer, r: number, slot: Slot): void {
  referSymbol(code, slot.symbol, slot.offset, relativeLong(8, 'slot'));
  emitBytes(code, s390Stgrl(r));
}

/** brcl mask, target (±4 GiB). */
function emitJump(code: CodeBuffer, mask: number, target: string): void {
  referLabel(code, target, relativeLong(2, 'branch target'));
  emitBytes(code, s390Brcl(mask, 0, 0));
}

/** brc mask, target inside one instruction's own sequence (±64 KiB). */
function emitLocalJump(code: CodeBuffer, mask: number, target: string): void {
  referLabel(code, target, (view, at, address, here) => view.setInt16(at + 2, checkSigned((address - here) / 2, 16, 'branch'), false));
  emitBytes(code, s390Brc(mask, 0, 0));
}

/** `svc nr` when the number fits the instruction, else r1 = nr and `svc 0`. */
function emitSyscall(code: CodeBuffer, nr: number): void {
  if (nr < 256) return emitBytes(code, s390Svc(nr));
  emitBytes(code, s390Lghi(R1, nr));
  emitBytes(code, s390Svc(0));
}

function emitInspectArgv0(code: CodeBuffer, pointer: Slot, selfDelete: Slot, id: number): void {
  const loop = `s390x.argv0.loop.${id}`;
  const next = `s390x.argv0.next.${id}`;
  const done = `s390x.argv0.done.${id}`;
  emitBytes(code, s390Lg(R2, R15, 8)); // r2 = argv[0]: r15 points at argc at entry
  emitSave(code, R2, pointer);
  emitBytes(code, s390Lghi(R4, 0)); // no self-delete by default
  emitBytes(code, s390Ltgr(R2, R2)); // argv[0] may be NULL
  emitLocalJump(code, MASK_ZERO, done);
  emitBytes(code, s390Lgr(R3, R2)); // r3 = start of the last component
  defineLabel(code, loop);
  emitBytes(code, s390Llgc(R5, R2, 0));
  emitBytes(code, s390Aghi(R2, 1));
  emitBytes(code, s390Chi(R5, 0x2f)); // '/'
  emitLocalJump(code, MASK_NOT_ZERO, next);
  emitBytes(code, s390Lgr(R3, R2));
  defineLabel(code, next);
  emitBytes(code, s390Ltr(R5, R5));
  emitLocalJump(code, MASK_NOT_ZERO, loop);
  emitBytes(code, s390Cli(R3, 0, 0x21)); // '!'
  emitLocalJump(code, MASK_NOT_ZERO, done);
  emitBytes(code, s390Lghi(R4, 1));
  defineLabel(code, done);
  emitSave(code, R4, selfDelete);
}

function emitInstruction(code: CodeBuffer, instruction: Instruction, id: number): void {
  switch (instruction.op) {
    case 'label':
      return defineLabel(code, instruction.name);
    case 'syscall':
      if (instruction.args.length > 6) throw new RangeError(`${instruction.name}: too many arguments`);
      instruction.args.forEach((arg, i) => emitOperand(code, R2 + i, arg));
      emitSyscall(code, syscalls[instruction.name]);
      if (instruction.save) emitSave(code, R2, instruction.save);
      return;
    case 'load':
      return emitOperand(code, R2, { kind: 'slot', slot: instruction.slot });
    case 'store':
      emitBytes(code, s390LoadImmediate(R2, checkSigned(instruction.value, 32, 'stored value')));
      return emitSave(code, R2, instruction.slot);
    case 'loadMode':
      referSymbol(code, instruction.stat, ST_MODE_OFFSET, relativeLong(4, 'st_mode'));
      emitBytes(code, s390Llgfrl(R2));
      if (instruction.save) emitSave(code, R2, instruction.save);
      return;
    case 'jumpIfNegative':
      emitBytes(code, s390Ltgr(R2, R2));
      return emitJump(code, MASK_LOW, instruction.target);
    case 'jumpIfEqual': {
      const value = checkSigned(instruction.value, 32, 'compared value');
      emitBytes(code, value >= -0x8000 && value <= 0x7fff ? s390Cghi(R2, value) : s390Cgfi(R2, value));
      return emitJump(code, MASK_ZERO, instruction.target);
    }
    case 'jumpIfNotRegularFile':
      emitBytes(code, s390Lr(R9, R2));
      emitBytes(code, s390Nill(R9, S_IFMT));
      emitBytes(code, s390Clfi(R9, S_IFREG));
      return emitJump(code, MASK_NOT_ZERO, instruction.target);
    case 'jump':
      return emitJump(code, MASK_ALWAYS, instruction.target);
    case 'inspectArgv0':
      return emitInspectArgv0(code, instruction.pointer, instruction.selfDelete, id);
    case 'exitWithErrno':
      emitBytes(code, s390Lcgr(R2, R2));
      return emitSyscall(code, syscalls.exit_group);
  }
}

export const s390x: Backend = {
  name: 's390x',
  elfClass: 64,
  endian: 'big',
  machine: EM_S390,
  elfFlags: 0,
  syscalls,
  openFlags,
  statModeOffset: ST_MODE_OFFSET,
  generate: generateWith(emitInstruction),
};
