// aarch64 code generator. System calls: number in x8, arguments in x0..x5, `svc #0`, result in
// x0 as -errno (-4095..-1) on failure: already the normalised form. Instructions are 4 bytes,
// little-endian. Addresses are formed with adrp + add/ldr/str (±4 GiB, page-relative, so the code
// is position independent and each reference is always two instructions); far jumps are an
// inverted conditional branch over `b` (±128 MiB), since conditional branches only reach ±1 MiB.

import { EM_AARCH64 } from '../elf';
import { type Backend, type Instruction, type Operand, type Slot } from '../program';
import { ASM_GENERIC_OPEN_FLAGS, ASM_GENERIC_SYSCALLS } from './asm-generic';
import { checkSigned, defineLabel, emitU32, generateWith, openFlagsValue, referLabel, referSymbol, type CodeBuffer, type Patch } from './code';

/** arm64 uses include/uapi/asm-generic/unistd.h. */
const syscalls = ASM_GENERIC_SYSCALLS;

/** arch/arm64/include/uapi/asm/fcntl.h: O_DIRECTORY, O_NOFOLLOW, O_DIRECT, O_LARGEFILE differ from the generic values. */
const openFlags = { ...ASM_GENERIC_OPEN_FLAGS, O_NOFOLLOW: 0o100000 };

/** struct stat (include/uapi/asm-generic/stat.h): st_dev and st_ino are 8 bytes each, then st_mode. */
const ST_MODE_OFFSET = 16;

const X0 = 0;
const X2 = 2;
const X8 = 8;
const X9 = 9;
const X10 = 10;
const XZR = 31;

/** Condition codes for b.cond. */
const EQ = 0x0;
const NE = 0x1;

const SVC_0 = 0xd4000001;

function emit(code: CodeBuffer, instruction: number): void {
  emitU32(code, instruction, true);
}

function patchWord(view: DataView, at: number, update: (word: number) => number): void {
  view.setUint32(at, update(view.getUint32(at, true)) >>> 0, true);
}

/** Loads any value of 33 signed bits with movz/movn (+ movk): the length depends only on the value. */
function emitLoadImmediate(code: CodeBuffer, reg: number, value: number): void {
  checkSigned(value, 33, 'immediate');
  if (value >= 0) {
    emit(code, 0xd2800000 | ((value & 0xffff) << 5) | reg); // movz xd, #lo16
    const high = Math.floor(value / 0x10000) & 0xffff;
    if (high !== 0) emit(code, 0xf2a00000 | (high << 5) | reg); // movk xd, #hi16, lsl #16
  } else {
    // movn xd, #(~value & 0xffff): xd = ~imm, all upper bits set
    const inverted = -value - 1; // ~value as a non-negative number
    emit(code, 0x92800000 | ((inverted & 0xffff) << 5) | reg);
    const high = Math.floor(value / 0x10000) & 0xffff; // bits 16..31 of the two's complement value
    if (high !== 0xffff) emit(code, 0xf2a00000 | (high << 5) | reg); // movk xd, #hi16, lsl #16
  }
}

/** Patches adrp (page of target) and the instruction after it (low 12 bits of target, scaled). */
function pagePatch(scale: number): Patch {
  return (view, at, target, here) => {
    const pages = checkSigned(Math.floor(target / 4096) - Math.floor(here / 4096), 21, 'adrp page offset');
    patchWord(view, at, (w) => w | ((pages & 3) << 29) | (((pages >> 2) & 0x7ffff) << 5));
    const low = target % 4096;
    if (low % scale !== 0) throw new RangeError(`address 0x${target.toString(16)} is not ${scale}-byte aligned`);
    patchWord(view, at + 4, (w) => w | ((low / scale) << 10));
  };
}
const pagePatches = new Map([1, 4, 8].map((scale) => [scale, pagePatch(scale)]));

/** adrp reg, page(target), followed by `second` (add/ldr/str whose imm12 takes the low 12 bits, scaled by `scale`). */
function emitPageReference(code: CodeBuffer, symbol: string, offset: number, adrpReg: number, second: number, scale: 1 | 4 | 8): void {
  referSymbol(code, symbol, offset, pagePatches.get(scale)!);
  emit(code, 0x90000000 | adrpReg); // adrp
  emit(code, second);
}

function emitAddress(code: CodeBuffer, reg: number, symbol: string, offset: number): void {
  emitPageReference(code, symbol, offset, reg, 0x91000000 | (reg << 5) | reg, 1); // add xd, xd, #lo12
}

function emitLoadSlot(code: CodeBuffer, reg: number, slot: Slot): void {
  emitPageReference(code, slot.symbol, slot.offset, reg, 0xf9400000 | (reg << 5) | reg, 8); // ldr xd, [xd, #lo12]
}

/** str xt, [slot] through x9. */
function emitStoreSlot(code: CodeBuffer, reg: number, slot: Slot): void {
  emitPageReference(code, slot.symbol, slot.offset, X9, 0xf9000000 | (X9 << 5) | reg, 8);
}

function emitOperand(code: CodeBuffer, reg: number, operand: Operand): void {
  switch (operand.kind) {
    case 'imm':
      return emitLoadImmediate(code, reg, operand.value);
    case 'openFlags':
      return emitLoadImmediate(code, reg, openFlagsValue(openFlags, operand.flags));
    case 'addr':
      return emitAddress(code, reg, operand.symbol, operand.offset ?? 0);
    case 'slot':
      return emitLoadSlot(code, reg, operand.slot);
  }
}

/** b label (±128 MiB). */
const branchPatch: Patch = (view, at, address, here) => {
  const words = checkSigned((address - here) / 4, 26, 'branch offset');
  patchWord(view, at, (w) => w | (words & 0x3ffffff));
};
function emitBranch(code: CodeBuffer, target: string): void {
  referLabel(code, target, branchPatch);
  emit(code, 0x14000000);
}

/** Jumps to target when `cond` holds: b.!cond over a `b`. */
function emitFarBranchIf(code: CodeBuffer, cond: number, target: string): void {
  emit(code, 0x54000000 | (2 << 5) | (cond ^ 1)); // b.<inverse cond> .+8
  emitBranch(code, target);
}

/** inspectArgv0: x0 = argv[0], stored; x2 = (its last component starts with '!'), stored. */
function emitInspectArgv0(code: CodeBuffer, pointer: Slot, selfDelete: Slot): void {
  emit(code, 0xf94007e0); //         ldr   x0, [sp, #8]       argv[0]: sp points at argc at entry
  emitStoreSlot(code, X0, pointer);
  emitLoadImmediate(code, X2, 0); // mov   x2, #0             no self-delete by default
  for (const word of [
    0xb4000120, //                   cbz   x0, done           argv[0] may be NULL
    0xaa0003e1, //                   mov   x1, x0             start of the last component
    0x38401403, //             loop: ldrb  w3, [x0], #1
    0x7100bc7f, //                   cmp   w3, #0x2f          '/'
    0x9a810001, //                   csel  x1, x0, x1, eq
    0x35ffffa3, //                   cbnz  w3, loop
    0x39400023, //                   ldrb  w3, [x1]
    0x7100847f, //                   cmp   w3, #0x21          '!'
    0x9a9f17e2, //                   cset  x2, eq
  ]) emit(code, word);
  emitStoreSlot(code, X2, selfDelete); // done: str x2, selfDelete
}

function emitInstruction(code: CodeBuffer, instruction: Instruction): void {
  switch (instruction.op) {
    case 'label':
      return defineLabel(code, instruction.name);
    case 'syscall':
      if (instruction.args.length > 6) throw new RangeError(`${instruction.name}: too many arguments`);
      instruction.args.forEach((arg, i) => emitOperand(code, X0 + i, arg));
      emitLoadImmediate(code, X8, syscalls[instruction.name]);
      emit(code, SVC_0);
      if (instruction.save) emitStoreSlot(code, X0, instruction.save);
      return;
    case 'load':
      return emitLoadSlot(code, X0, instruction.slot);
    case 'store':
      emitLoadImmediate(code, X10, checkSigned(instruction.value, 32, 'stored value'));
      return emitStoreSlot(code, X10, instruction.slot);
    case 'loadMode':
      // ldr w0, [stat + st_mode] (zero-extends into x0)
      emitPageReference(code, instruction.stat, ST_MODE_OFFSET, X0, 0xb9400000 | (X0 << 5) | X0, 4);
      if (instruction.save) emitStoreSlot(code, X0, instruction.save);
      return;
    case 'jumpIfNegative':
      emit(code, 0x36000000 | (1 << 31) | (31 << 19) | (2 << 5) | X0); // tbz x0, #63, .+8
      return emitBranch(code, instruction.target);
    case 'jumpIfEqual': {
      const value = checkSigned(instruction.value, 32, 'compared value');
      if (value >= 0 && value < 4096) emit(code, 0xf100001f | (value << 10) | (X0 << 5)); // cmp x0, #value
      else if (value < 0 && value > -4096) emit(code, 0xb100001f | (-value << 10) | (X0 << 5)); // cmn x0, #-value
      else {
        emitLoadImmediate(code, X9, value);
        emit(code, 0xeb00001f | (X9 << 16) | (X0 << 5)); // cmp x0, x9
      }
      return emitFarBranchIf(code, EQ, instruction.target);
    }
    case 'jumpIfNotRegularFile':
      emit(code, 0x53000000 | (12 << 16) | (15 << 10) | (X0 << 5) | X9); // ubfx w9, w0, #12, #4: the S_IFMT nibble
      emit(code, 0x7100001f | (0o10 << 10) | (X9 << 5)); // cmp w9, #(S_IFREG >> 12)
      return emitFarBranchIf(code, NE, instruction.target);
    case 'jump':
      return emitBranch(code, instruction.target);
    case 'inspectArgv0':
      return emitInspectArgv0(code, instruction.pointer, instruction.selfDelete);
    case 'exitWithErrno':
      emit(code, 0xcb0003e0); // neg x0, x0: -errno -> errno
      emitLoadImmediate(code, X8, syscalls.exit_group);
      return emit(code, SVC_0);
  }
}

export const aarch64: Backend = {
  name: 'aarch64',
  elfClass: 64,
  endian: 'little',
  machine: EM_AARCH64,
  elfFlags: 0,
  syscalls,
  openFlags,
  statModeOffset: ST_MODE_OFFSET,
  generate: generateWith(emitInstruction),
};
