// The one ELF emitter: an ET_EXEC image with a single PT_LOAD segment and no section headers.
//
// Layout of the file and of memory (both start at the same place, so file offset + baseAddress
// is the virtual address of every byte):
//
//   ELF header | one program header | code | data      (p_filesz)
//                                                | bss  (p_memsz - p_filesz, zeroed by the kernel)
//
// The segment is mapped readable, writable and executable (PF_R|PF_W|PF_X): one segment is the
// smallest image the kernel (binfmt_elf) and qemu-user load, and the program is ours, generated
// whole, so W^X buys nothing here. The kernel maps p_offset 0 at p_vaddr, which needs
// p_vaddr ≡ p_offset (mod page size): a baseAddress that is a multiple of 64 KiB works on every
// page size Linux uses. The kernel zero-fills [p_filesz, p_memsz) itself, which is what makes
// the bss free in the file.

/** e_ident[EI_CLASS] */
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
/** e_ident[EI_DATA] */
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;
export const ELFOSABI_NONE = 0;
export const ET_EXEC = 2;
export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

/** e_machine values (elf-em.h). */
export const EM_386 = 3;
export const EM_PPC64 = 21;
export const EM_S390 = 22;
export const EM_ARM = 40;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;

export type ElfClass = 32 | 64;
export type Endian = 'little' | 'big';

export interface ElfImage {
  elfClass: ElfClass;
  endian: Endian;
  /** e_machine, EM_*. */
  machine: number;
  /** e_flags: the ABI flags some machines need (EF_ARM_EABI_VER5, ppc64 ELFv2 = 2, ...); default 0. */
  flags?: number;
  /** Virtual address of the first byte of the file (the ELF header). */
  baseAddress: number;
  /** Machine code, placed right after the headers; execution starts at its first byte unless entryOffset says otherwise. */
  code: Uint8Array;
  /** Initialised data, placed after the code (padded to dataAlign). */
  data: Uint8Array;
  /** Bytes of zeroed memory after the data. */
  bssSize: number;
  /** Offset of the entry point inside code; default 0. */
  entryOffset?: number;
  /** Alignment of the data start (and so of the bss start); default 16. */
  dataAlign?: number;
}

/** Sizes of Elf32_Ehdr/Elf64_Ehdr and Elf32_Phdr/Elf64_Phdr. */
export function elfHeaderSize(elfClass: ElfClass): number {
  return elfClass === 64 ? 64 : 52;
}
export function programHeaderSize(elfClass: ElfClass): number {
  return elfClass === 64 ? 56 : 32;
}

export interface ElfLayout {
  /** Virtual address of the first code byte. */
  codeAddress: number;
  /** Virtual address of the first data byte. */
  dataAddress: number;
  /** Virtual address of the first bss byte. */
  bssAddress: number;
  /** Size of the file. */
  fileSize: number;
}

/** Where code, data and bss land for a given code and data size: what a code generator needs to resolve addresses. */
export function layoutElf(
  elfClass: ElfClass,
  baseAddress: number,
  codeSize: number,
  dataSize: number,
  dataAlign = 16,
): ElfLayout {
  const codeOffset = elfHeaderSize(elfClass) + programHeaderSize(elfClass);
  const dataOffset = alignUp(codeOffset + codeSize, dataAlign);
  const bssOffset = alignUp(dataOffset + dataSize, dataAlign);
  return {
    codeAddress: baseAddress + codeOffset,
    dataAddress: baseAddress + dataOffset,
    bssAddress: baseAddress + bssOffset,
    fileSize: dataSize === 0 ? codeOffset + codeSize : dataOffset + dataSize,
  };
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** Serialises an executable ELF image. */
export function buildElf(image: ElfImage): Uint8Array {
  const { elfClass, endian, code, data } = image;
  const dataAlign = image.dataAlign ?? 16;
  const entryOffset = image.entryOffset ?? 0;
  if (entryOffset < 0 || entryOffset >= code.length) throw new RangeError(`entry offset ${entryOffset} outside the code (${code.length} bytes)`);
  if (image.baseAddress % 0x10000 !== 0) throw new RangeError('baseAddress must be a multiple of 64 KiB');
  if (image.bssSize < 0) throw new RangeError('negative bss size');

  const layout = layoutElf(elfClass, image.baseAddress, code.length, data.length, dataAlign);
  const memSize = layout.bssAddress - image.baseAddress + image.bssSize;
  const maxAddress = elfClass === 64 ? Number.MAX_SAFE_INTEGER : 0xffffffff;
  if (image.baseAddress + memSize > maxAddress) throw new RangeError('image does not fit the address space');

  const file = new Uint8Array(layout.fileSize);
  const view = new DataView(file.buffer);
  const little = endian === 'little';
  const ehsize = elfHeaderSize(elfClass);
  const phentsize = programHeaderSize(elfClass);
  const u16 = (at: number, v: number): void => view.setUint16(at, v, little);
  const u32 = (at: number, v: number): void => view.setUint32(at, v, little);
  const word = (at: number, v: number): number => {
    if (elfClass === 64) {
      view.setBigUint64(at, BigInt(v), little);
      return at + 8;
    }
    view.setUint32(at, v, little);
    return at + 4;
  };

  // e_ident: magic, class, data, version, OS ABI; the rest is padding.
  file.set([0x7f, 0x45, 0x4c, 0x46, elfClass === 64 ? ELFCLASS64 : ELFCLASS32, little ? ELFDATA2LSB : ELFDATA2MSB, EV_CURRENT, ELFOSABI_NONE]);
  u16(16, ET_EXEC);
  u16(18, image.machine);
  u32(20, EV_CURRENT);
  let at = word(24, layout.codeAddress + entryOffset); // e_entry
  at = word(at, ehsize); // e_phoff: the program header follows the ELF header
  at = word(at, 0); // e_shoff: no section headers
  u32(at, image.flags ?? 0); // e_flags
  u16(at + 4, ehsize); // e_ehsize
  u16(at + 6, phentsize); // e_phentsize
  u16(at + 8, 1); // e_phnum
  u16(at + 10, 0); // e_shentsize
  u16(at + 12, 0); // e_shnum
  u16(at + 14, 0); // e_shstrndx (SHN_UNDEF)

  // The program header: Elf64_Phdr puts p_flags second (for alignment), Elf32_Phdr puts it seventh.
  const ph = ehsize;
  const fileSize = layout.fileSize;
  const flags = PF_R | PF_W | PF_X;
  if (elfClass === 64) {
    u32(ph, PT_LOAD);
    u32(ph + 4, flags);
    let p = word(ph + 8, 0); // p_offset
    p = word(p, image.baseAddress); // p_vaddr
    p = word(p, image.baseAddress); // p_paddr
    p = word(p, fileSize); // p_filesz
    p = word(p, memSize); // p_memsz
    word(p, 0x10000); // p_align
  } else {
    u32(ph, PT_LOAD);
    let p = word(ph + 4, 0); // p_offset
    p = word(p, image.baseAddress); // p_vaddr
    p = word(p, image.baseAddress); // p_paddr
    p = word(p, fileSize); // p_filesz
    p = word(p, memSize); // p_memsz
    p = word(p, flags); // p_flags
    word(p, 0x10000); // p_align
  }

  file.set(code, ehsize + phentsize);
  if (data.length > 0) file.set(data, layout.dataAddress - image.baseAddress);
  return file;
}
