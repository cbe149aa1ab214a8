// 64-bit RISC-V code generation (RV64I base only, no compressed instructions, so the program runs on
// any rv64 core Linux supports). Linux system call: `ecall`, number in a7, arguments in a0..a5,
// result in a0 (-errno on error). At process entry sp points at argc, 8(sp) is argv[0].

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
