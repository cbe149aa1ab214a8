// 64-bit little-endian POWER (ELFv2) code generation. Linux system call: `sc`, number in r0,
// arguments in r3..r8, result in r3. Unlike every other architecture here, a failed call returns
// the POSITIVE errno in r3 and sets the summary-overflow bit CR0.SO; the backend turns that into
// -errno right after each `sc` so the program sees the generic convention.
// ELFv2 executables have no function descriptors: e_entry is the first instruction.

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

/** Load a value in [-0x8000, 0x7fffffff] (constants, AT_FDCWD, addresses): li, or lis + ori. */
export function ppcLoadImmediate(rt: number, value: number): number[] {
  if (value >= -0x8000 && value <= 0x7fff) return [ppcLi(rt, value)];
  if (value < 0 || value > 0x7fffffff) throw new RangeError(`ppc: immediate ${value} out of range`);
  const v = value;
  const high = v >>> 16;
  const low = v & 0xffff;
  return low === 0 ? [ppcAddis(rt, 0, high)] : [ppcAddis(rt, 0, high), ppcOri(rt, rt, low)];
}
