// i386 code generation. Linux i386 system call: `int $0x80`, number in eax, arguments in ebx, ecx,
// edx, esi, edi, ebp, result in eax (-errno on error). 32-bit kernels and x86_64 kernels with
// IA32 emulation both take it.

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

/** `mov r32, imm32` (B8+r), or `xor r32, r32` for zero. */
export function x86MovImm(reg: number, value: number): number[] {
  if (value === 0) return [0x31, 0xc0 | (reg << 3) | reg];
  return [0xb8 + reg, ...le32(value >>> 0)];
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
