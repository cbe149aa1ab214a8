// A code buffer for backends: bytes are appended, labels are defined as they are reached, and
// every reference to a label or a data/bss symbol is recorded as a fixup that link() patches
// once the ELF layout gives each one its address. Sizes therefore never depend on addresses.

import type { GeneratedCode, Instruction, OpenFlag } from '../program';

/** Patches the bytes of one reference: `at` is the offset of the instruction inside the code, `here` its address. */
export type Patch = (view: DataView, at: number, target: number, here: number) => void;

/** A reference to a code label (kind 'label') or to a data/bss symbol + offset. */
interface Fixup {
  at: number;
  kind: 'label' | 'symbol';
  name: string;
  offset: number;
  patch: Patch;
}

export interface CodeBuffer {
  bytes: Uint8Array;
  view: DataView;
  length: number;
  labels: Map<string, number>;
  fixups: Fixup[];
}

export function createCodeBuffer(): CodeBuffer {
  const bytes = new Uint8Array(4096);
  return { bytes, view: new DataView(bytes.buffer), length: 0, labels: new Map(), fixups: [] };
}

function reserve(code: CodeBuffer, count: number): void {
  if (code.length + count <= code.bytes.length) return;
  const grown = new Uint8Array(Math.max(code.bytes.length * 2, code.length + count));
  grown.set(code.bytes.subarray(0, code.length));
  code.bytes = grown;
  code.view = new DataView(grown.buffer);
}

export function emitBytes(code: CodeBuffer, bytes: readonly number[]): void {
  reserve(code, bytes.length);
  for (const b of bytes) code.bytes[code.length++] = b & 0xff;
}

export function emitU32(code: CodeBuffer, value: number, little: boolean): void {
  reserve(code, 4);
  code.view.setUint32(code.length, value >>> 0, little);
  code.length += 4;
}

export function defineLabel(code: CodeBuffer, name: string): void {
  if (code.labels.has(name)) throw new Error(`label ${name} defined twice`);
  code.labels.set(name, code.length);
}

/** Records a reference to a label at the current position (call before emitting the instruction). */
export function referLabel(code: CodeBuffer, label: string, patch: Patch): void {
  code.fixups.push({ at: code.length, kind: 'label', name: label, offset: 0, patch });
}

/** Records a reference to a data/bss symbol (+offset) at the current position. */
export function referSymbol(code: CodeBuffer, symbol: string, offset: number, patch: Patch): void {
  code.fixups.push({ at: code.length, kind: 'symbol', name: symbol, offset, patch });
}

export function finishCode(code: CodeBuffer): GeneratedCode {
  const size = code.length;
  return {
    size,
    link(codeAddress, symbolAddress) {
      const out = code.bytes.slice(0, size);
      const view = new DataView(out.buffer);
      for (const fixup of code.fixups) {
        let target: number;
        if (fixup.kind === 'label') {
          const offset = code.labels.get(fixup.name);
          if (offset === undefined) throw new Error(`undefined label ${fixup.name}`);
          target = codeAddress + offset;
        } else {
          target = symbolAddress(fixup.name) + fixup.offset;
        }
        fixup.patch(view, fixup.at, target, codeAddress + fixup.at);
      }
      return out;
    },
  };
}

/** Throws unless value is a signed integer of `bits` bits. */
export function checkSigned(value: number, bits: number, what: string): number {
  const limit = 2 ** (bits - 1);
  if (!Number.isInteger(value) || value < -limit || value >= limit) throw new RangeError(`${what} ${value} does not fit ${bits} signed bits`);
  return value;
}

/** The OR of open flags in an architecture's values, with `always` (O_LARGEFILE on 32-bit) set too. */
export function openFlagsValue(table: Readonly<Record<OpenFlag, number>>, flags: readonly OpenFlag[], always = 0): number {
  return flags.reduce((all, flag) => all | table[flag], always);
}

/** A Backend's generate() for a generator that needs only the buffer (and each instruction's index, for local labels). */
export function generateWith(emitInstruction: (code: CodeBuffer, instruction: Instruction, index: number) => void): (instructions: readonly Instruction[]) => GeneratedCode {
  return (instructions) => {
    const code = createCodeBuffer();
    instructions.forEach((instruction, index) => emitInstruction(code, instruction, index));
    return finishCode(code);
  };
}
