// 64-bit little-endian POWER (ELFv2) code generation. Linux system call: `sc`, number in r0,
// arguments in r3..r8, result in r3. Unlike every other architecture here, a failed call returns
// the POSITIVE errno in r3 and sets the summary-overflow bit CR0.SO; the backend turns that into
// -errno right after each `sc` so the program sees the generic convention.
// ELFv2 executables have no function descriptors: e_entry is the first instruction.
// Addresses are absolute (the image sits below 2 GiB and is not relocated): lis + ori/ld/std.

import { EM_PPC64 } from '../elf';
import { S_IFMT, S_IFREG, type Backend, type Instruction, type Operand, type Slot } from '../program';
import { ASM_GENERIC_OPEN_FLAGS } from './asm-generic';
import { checkSigned, createCodeBuffer, defineLabel, emitU32, finishCode, openFlagsValue, referLabel, referSymbol, type CodeBuffer } from './code';

// ---- Power ISA instruction encoders (each returns one 32-bit instruction word) ----

/** Condition-register bits of CR0 (BI field values). */
export const CR0_LT = 0;
export const CR0_GT = 1;
export const CR0_EQ = 2;
export const CR0_SO = 3;
/** BO field: branch if the CR bit is true / false. */
export const BO_TRUE = 12;
export const BO_FALSE = 4;

const dForm = (opcode: number, rt: number, ra: number, d: number) => ((opcode << 26) | (rt << 21) | (ra << 16) | (d & 0xffff)) >>> 0;

function signed16(value: number, what: string): number {
  if (value < -0x8000 || value > 0x7fff) throw new RangeError(`ppc: ${what} ${value} out of range`);
  return value;
}
function unsigned16(value: number, what: string): number {
  if (value < 0 || value > 0xffff) throw new RangeError(`ppc: ${what} ${value} out of range`);
  return value;
}

/** `addi rt, ra, si` (`li rt, si` when ra = 0). */
export const ppcAddi = (rt: number, ra: number, si: number) => dForm(14, rt, ra, signed16(si, 'addi'));
export const ppcLi = (rt: number, si: number) => ppcAddi(rt, 0, si);
/** `addis rt, ra, si` (`lis rt, si` when ra = 0): adds si << 16. */
export const ppcAddis = (rt: number, ra: number, si: number) => dForm(15, rt, ra, signed16(si, 'addis'));
/** `ori ra, rs, ui`. */
export const ppcOri = (ra: number, rs: number, ui: number) => dForm(24, rs, ra, unsigned16(ui, 'ori'));
/** `andi. ra, rs, ui`: also sets CR0. */
export const ppcAndiDot = (ra: number, rs: number, ui: number) => dForm(28, rs, ra, unsigned16(ui, 'andi.'));
/** `lwz rt, d(ra)`: load word and zero. */
export const ppcLwz = (rt: number, ra: number, d: number) => dForm(32, rt, ra, signed16(d, 'lwz'));
/** `lbz rt, d(ra)`. */
export const ppcLbz = (rt: number, ra: number, d: number) => dForm(34, rt, ra, signed16(d, 'lbz'));
/** `stw rs, d(ra)`. */
export const ppcStw = (rs: number, ra: number, d: number) => dForm(36, rs, ra, signed16(d, 'stw'));
/** `ld rt, ds(ra)` (DS form: offset multiple of 4). */
export function ppcLd(rt: number, ra: number, ds: number): number {
  if (ds % 4 !== 0) throw new RangeError(`ppc: ld offset ${ds} not a multiple of 4`);
  return dForm(58, rt, ra, signed16(ds, 'ld') & 0xfffc);
}
/** `std rs, ds(ra)`. */
export function ppcStd(rs: number, ra: number, ds: number): number {
  if (ds % 4 !== 0) throw new RangeError(`ppc: std offset ${ds} not a multiple of 4`);
  return dForm(62, rs, ra, signed16(ds, 'std') & 0xfffc);
}
/** `cmpwi cr0, ra, si` (32-bit signed compare). */
export const ppcCmpwi = (ra: number, si: number) => dForm(11, 0, ra, signed16(si, 'cmpwi'));
/** `cmpdi cr0, ra, si` (64-bit signed compare: L = 1). */
export const ppcCmpdi = (ra: number, si: number) => dForm(11, 1, ra, signed16(si, 'cmpdi'));
/** `neg rt, ra`. */
export const ppcNeg = (rt: number, ra: number) => ((31 << 26) | (rt << 21) | (ra << 16) | (104 << 1)) >>> 0;
/** `mr ra, rs` (`or ra, rs, rs`). */
export const ppcMr = (ra: number, rs: number) => ((31 << 26) | (rs << 21) | (ra << 16) | (rs << 11) | (444 << 1)) >>> 0;
/** `sc`. */
export const ppcSc = () => 0x44000002;

/** `b` from the instruction at `from` to `to`. */
export function ppcB(from: number, to: number): number {
  const delta = to - from;
  if (delta % 4 !== 0 || delta < -(1 << 25) || delta >= 1 << 25) throw new RangeError(`ppc: branch ${delta} out of range`);
  return ((18 << 26) | (delta & 0x03fffffc)) >>> 0;
}
/** `bc bo, bi, target` from `from` to `to` (e.g. BO_TRUE, CR0_LT = `blt`). */
export function ppcBc(bo: number, bi: number, from: number, to: number): number {
  const delta = to - from;
  if (delta % 4 !== 0 || delta < -0x8000 || delta > 0x7fff) throw new RangeError(`ppc: conditional branch ${delta} out of range`);
  return ((16 << 26) | (bo << 21) | (bi << 16) | (delta & 0xfffc)) >>> 0;
}

/** `cmplwi cr0, ra, ui` (32-bit unsigned compare). */
export const ppcCmplwi = (ra: number, ui: number) => dForm(10, 0, ra, unsigned16(ui, 'cmplwi'));
/** `cmpd cr0, ra, rb` (64-bit signed compare). */
export const ppcCmpd = (ra: number, rb: number) => ((31 << 26) | (1 << 21) | (ra << 16) | (rb << 11)) >>> 0;

/** Load any signed 32-bit value: li, or lis (sign-extending the high half) + ori. */
export function ppcLoadImmediate(rt: number, value: number): number[] {
  checkSigned(value, 32, 'immediate');
  if (value >= -0x8000 && value <= 0x7fff) return [ppcLi(rt, value)];
  const high = (value >> 16) & 0xffff;
  const low = value & 0xffff;
  const lis = ppcAddis(rt, 0, high >= 0x8000 ? high - 0x10000 : high);
  return low === 0 ? [lis] : [lis, ppcOri(rt, rt, low)];
}

// ---- the code generator ----

/** arch/powerpc/kernel/syscalls/syscall.tbl (64-bit entries). */
const syscalls = {
  write: 4,
  fstat: 108,
  fsetxattr: 211,
  fgetxattr: 214,
  fremovexattr: 220,
  exit_group: 234,
  openat: 286,
  unlinkat: 292,
} as const;

/** arch/powerpc/include/uapi/asm/fcntl.h: O_DIRECTORY, O_NOFOLLOW, O_LARGEFILE, O_DIRECT differ from the generic values. */
const openFlags = { ...ASM_GENERIC_OPEN_FLAGS, O_NOFOLLOW: 0o100000 };

/** struct stat (arch/powerpc/include/uapi/asm/stat.h, 64-bit): st_dev, st_ino, st_nlink are 8 bytes each, then st_mode. */
const ST_MODE_OFFSET = 24;
/** e_flags bits 0-1: the ELFv2 ABI (little-endian ppc64 knows no other). */
const EF_PPC64_ABI_V2 = 2;

const R0 = 0;
const R1 = 1;
const R3 = 3;
const R4 = 4;
const R5 = 5;
const R6 = 6;
const R9 = 9;
/** Non-volatile across system calls: holds the base address in near mode. */
const R31 = 31;

/**
 * Near mode, for programs of at most NEAR_LIMIT instructions (an emitted setter for a handful of
 * files): r31 holds code start + 0x8000 for the whole run, every data/bss reference is one D-form
 * instruction with a signed 16-bit displacement from it, and conditional jumps are one `bc`
 * (±32 KiB). That covers images up to 64 KiB from the code start; link() refuses a larger one.
 * Far mode, for anything bigger: lis + ori/ld/std for addresses (below 2 GiB), and an inverted
 * `bc` over `b` for conditional jumps (±32 MiB). The mode depends on the instruction count only,
 * so the code size never depends on an address.
 */
const NEAR_LIMIT = 96;

interface PpcCode {
  buffer: CodeBuffer;
  near: boolean;
}

function emit(code: PpcCode, word: number): void {
  emitU32(code.buffer, word, true);
}

function emitAll(code: PpcCode, words: readonly number[]): void {
  for (const word of words) emit(code, word);
}

function patchWord(view: DataView, at: number, bits: number): void {
  view.setUint32(at, (view.getUint32(at, true) | bits) >>> 0, true);
}

/** The near-mode base: code start + 0x8000, 8-aligned (so ld/std displacements stay multiples of 4). */
function nearBase(codeAddress: number): number {
  return (codeAddress + 0x8000) & ~7;
}

/** D/DS-form `word` whose displacement is the symbol's distance from r31 (near mode). */
function emitNear(code: PpcCode, symbol: string, offset: number, word: number): void {
  referSymbol(code.buffer, symbol, offset, (view, at, target, here) => {
    const displacement = target - nearBase(here - at);
    if (displacement < -0x8000 || displacement > 0x7fff) throw new RangeError(`ppc64le: ${symbol} is beyond the 64 KiB a near-mode program reaches`);
    patchWord(view, at, displacement & 0xffff);
  });
  emit(code, word);
}

/**
 * Far mode: `lis base, hi` then a D/DS-form `second` with lo(target); the low half is added
 * signed, so the high half is rounded up when bit 15 is set (`adjust`); ori is unsigned (no adjust).
 */
function emitFar(code: PpcCode, base: number, symbol: string, offset: number, second: number, adjust: boolean): void {
  referSymbol(code.buffer, symbol, offset, (view, at, target) => {
    if (target < 0 || target > 0x7fff7fff) throw new RangeError(`ppc64le: address ${target} above 2 GiB`);
    patchWord(view, at, ((target + (adjust ? 0x8000 : 0)) >>> 16) & 0xffff);
    patchWord(view, at + 4, target & 0xffff);
  });
  emit(code, ppcAddis(base, 0, 0));
  emit(code, second);
}

function emitAddress(code: PpcCode, rt: number, symbol: string, offset: number): void {
  if (code.near) emitNear(code, symbol, offset, ppcAddi(rt, R31, 0));
  else emitFar(code, rt, symbol, offset, ppcOri(rt, rt, 0), false);
}

function emitLoadSlot(code: PpcCode, rt: number, slot: Slot): void {
  if (code.near) emitNear(code, slot.symbol, slot.offset, ppcLd(rt, R31, 0));
  else emitFar(code, rt, slot.symbol, slot.offset, ppcLd(rt, rt, 0), true);
}

/** std rs, slot (far mode through r9). */
function emitSave(code: PpcCode, rs: number, slot: Slot): void {
  if (code.near) emitNear(code, slot.symbol, slot.offset, ppcStd(rs, R31, 0));
  else emitFar(code, R9, slot.symbol, slot.offset, ppcStd(rs, R9, 0), true);
}

function emitOperand(code: PpcCode, rt: number, operand: Operand): void {
  switch (operand.kind) {
    case 'imm':
      return emitAll(code, ppcLoadImmediate(rt, operand.value));
    case 'openFlags':
      return emitAll(code, ppcLoadImmediate(rt, openFlagsValue(openFlags, operand.flags)));
    case 'addr':
      return emitAddress(code, rt, operand.symbol, operand.offset ?? 0);
    case 'slot':
      return emitLoadSlot(code, rt, operand.slot);
  }
}

function emitBranch(code: PpcCode, target: string): void {
  referLabel(code.buffer, target, (view, at, address, here) => patchWord(view, at, checkSigned(address - here, 26, 'branch offset') & 0x03fffffc));
  emit(code, 18 << 26); // b
}

/** `bc bo, bi, target` with a 16-bit displacement (±32 KiB). */
function emitShortBranchIf(code: PpcCode, bo: number, bi: number, target: string): void {
  referLabel(code.buffer, target, (view, at, address, here) => patchWord(view, at, checkSigned(address - here, 16, 'conditional branch offset') & 0xfffc));
  emit(code, ppcBc(bo, bi, 0, 0));
}

/** Jumps to target when CR0 bit `bi` is `when`: one bc (near), or the inverse bc over a `b` (far). */
function emitBranchIf(code: PpcCode, bi: number, when: boolean, target: string): void {
  if (code.near) return emitShortBranchIf(code, when ? BO_TRUE : BO_FALSE, bi, target);
  emit(code, ppcBc(when ? BO_FALSE : BO_TRUE, bi, 0, 8));
  emitBranch(code, target);
}

/** sc, then the generic convention: on failure (CR0.SO) r3 holds +errno, make it -errno. */
function emitSyscall(code: PpcCode, nr: number, returns: boolean): void {
  emitAll(code, ppcLoadImmediate(R0, nr));
  emit(code, ppcSc());
  if (!returns) return;
  emit(code, ppcBc(BO_FALSE, CR0_SO, 0, 8)); // bns .+8
  emit(code, ppcNeg(R3, R3));
}

function emitInspectArgv0(code: PpcCode, pointer: Slot, selfDelete: Slot, id: number): void {
  const loop = `ppc64le.argv0.loop.${id}`;
  const next = `ppc64le.argv0.next.${id}`;
  const done = `ppc64le.argv0.done.${id}`;
  emit(code, ppcLd(R3, R1, 8)); // r3 = argv[0]: r1 points at argc at entry
  emitSave(code, R3, pointer);
  emit(code, ppcLi(R5, 0)); // no self-delete by default
  emit(code, ppcCmpdi(R3, 0)); // argv[0] may be NULL
  emitShortBranchIf(code, BO_TRUE, CR0_EQ, done);
  emit(code, ppcMr(R4, R3)); // r4 = start of the last component
  defineLabel(code.buffer, loop);
  emit(code, ppcLbz(R6, R3, 0));
  emit(code, ppcAddi(R3, R3, 1));
  emit(code, ppcCmpwi(R6, 0x2f)); // '/'
  emitShortBranchIf(code, BO_FALSE, CR0_EQ, next);
  emit(code, ppcMr(R4, R3));
  defineLabel(code.buffer, next);
  emit(code, ppcCmpwi(R6, 0));
  emitShortBranchIf(code, BO_FALSE, CR0_EQ, loop);
  emit(code, ppcLbz(R6, R4, 0));
  emit(code, ppcCmpwi(R6, 0x21)); // '!'
  emitShortBranchIf(code, BO_FALSE, CR0_EQ, done);
  emit(code, ppcLi(R5, 1));
  defineLabel(code.buffer, done);
  emitSave(code, R5, selfDelete);
}

function emitInstruction(code: PpcCode, instruction: Instruction, id: number): void {
  switch (instruction.op) {
    case 'label':
      return defineLabel(code.buffer, instruction.name);
    case 'syscall':
      if (instruction.args.length > 6) throw new RangeError(`${instruction.name}: too many arguments`);
      instruction.args.forEach((arg, i) => emitOperand(code, R3 + i, arg));
      emitSyscall(code, syscalls[instruction.name], instruction.name !== 'exit_group');
      if (instruction.save) emitSave(code, R3, instruction.save);
      return;
    case 'load':
      return emitLoadSlot(code, R3, instruction.slot);
    case 'store':
      emitAll(code, ppcLoadImmediate(R3, instruction.value));
      return emitSave(code, R3, instruction.slot);
    case 'loadMode':
      if (code.near) emitNear(code, instruction.stat, ST_MODE_OFFSET, ppcLwz(R3, R31, 0));
      else emitFar(code, R3, instruction.stat, ST_MODE_OFFSET, ppcLwz(R3, R3, 0), true);
      if (instruction.save) emitSave(code, R3, instruction.save);
      return;
    case 'jumpIfNegative':
      emit(code, ppcCmpdi(R3, 0));
      return emitBranchIf(code, CR0_LT, true, instruction.target);
    case 'jumpIfEqual': {
      const value = checkSigned(instruction.value, 32, 'compared value');
      if (value >= -0x8000 && value <= 0x7fff) emit(code, ppcCmpdi(R3, value));
      else {
        emitAll(code, ppcLoadImmediate(R9, value));
        emit(code, ppcCmpd(R3, R9));
      }
      return emitBranchIf(code, CR0_EQ, true, instruction.target);
    }
    case 'jumpIfNotRegularFile':
      emit(code, ppcAndiDot(R9, R3, S_IFMT));
      emit(code, ppcCmplwi(R9, S_IFREG));
      return emitBranchIf(code, CR0_EQ, false, instruction.target);
    case 'jump':
      return emitBranch(code, instruction.target);
    case 'inspectArgv0':
      return emitInspectArgv0(code, instruction.pointer, instruction.selfDelete, id);
    case 'exitWithErrno':
      emit(code, ppcNeg(R3, R3));
      return emitSyscall(code, syscalls.exit_group, false);
  }
}

export const ppc64le: Backend = {
  name: 'ppc64le',
  elfClass: 64,
  endian: 'little',
  machine: EM_PPC64,
  elfFlags: EF_PPC64_ABI_V2,
  syscalls,
  openFlags,
  statModeOffset: ST_MODE_OFFSET,
  generate(instructions) {
    const code: PpcCode = { buffer: createCodeBuffer(), near: instructions.length <= NEAR_LIMIT };
    if (code.near) {
      // r31 = nearBase(code start): lis + ori, patched with the code's own address.
      referLabel(code.buffer, 'ppc64le.start', (view, at, address) => {
        const base = nearBase(address);
        patchWord(view, at, base >>> 16);
        patchWord(view, at + 4, base & 0xffff);
      });
      defineLabel(code.buffer, 'ppc64le.start');
      emit(code, ppcAddis(R31, 0, 0));
      emit(code, ppcOri(R31, R31, 0));
    }
    instructions.forEach((instruction, id) => emitInstruction(code, instruction, id));
    return finishCode(code.buffer);
  },
};
