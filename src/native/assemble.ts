// Program + backend -> executable ELF image. Data and bss items are placed 8-aligned in the order
// given; code comes first, right after the headers, then data, then bss (see elf.ts).

import { alignUp, buildElf, layoutElf } from './elf';
import type { Backend, Program } from './program';

/** Where the image is loaded: above vm.mmap_min_addr, a multiple of every page size. */
export const BASE_ADDRESS = 0x400000;

export interface AssembledProgram {
  elf: Uint8Array;
  codeSize: number;
  dataSize: number;
  bssSize: number;
}

export function assemble(program: Program, backend: Backend): AssembledProgram {
  const offsets = new Map<string, { area: 'data' | 'bss'; offset: number }>();
  const place = (name: string, area: 'data' | 'bss', offset: number): void => {
    if (offsets.has(name)) throw new Error(`symbol ${name} defined twice`);
    offsets.set(name, { area, offset });
  };

  let dataSize = 0;
  for (const item of program.data) {
    dataSize = alignUp(dataSize, 8);
    place(item.name, 'data', dataSize);
    dataSize += item.bytes.length;
  }
  const data = new Uint8Array(dataSize);
  for (const item of program.data) data.set(item.bytes, offsets.get(item.name)!.offset);

  let bssSize = 0;
  for (const item of program.bss) {
    bssSize = alignUp(bssSize, 8);
    place(item.name, 'bss', bssSize);
    bssSize += item.size;
  }

  const code = backend.generate(program.code);
  const layout = layoutElf(backend.elfClass, BASE_ADDRESS, code.size, dataSize);
  const linked = code.link(layout.codeAddress, (symbol) => {
    const at = offsets.get(symbol);
    if (!at) throw new Error(`undefined symbol ${symbol}`);
    return (at.area === 'data' ? layout.dataAddress : layout.bssAddress) + at.offset;
  });
  const elf = buildElf({
    elfClass: backend.elfClass,
    endian: backend.endian,
    machine: backend.machine,
    flags: backend.elfFlags,
    baseAddress: BASE_ADDRESS,
    code: linked,
    data,
    bssSize,
  });
  return { elf, codeSize: code.size, dataSize, bssSize };
}
