// 64-bit s390x (z/Architecture) code generation, big-endian. Linux system call: `svc 0` with the
// number in r1 (the number may also sit in the svc immediate when below 256; r1 works for all),
// arguments in r2..r7, result in r2 (-errno on error). r15 is the stack pointer; at process entry
// 0(r15) holds argc and 8(r15) argv[0].

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
