// The ELF emitter, checked by binutils readelf and file(1) (not by our own parser), and by the
// kernel and qemu-user actually running what it emits.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EM_386, EM_AARCH64, EM_ARM, EM_PPC64, EM_RISCV, EM_S390, EM_X86_64, buildElf, layoutElf, type ElfClass, type Endian } from '../../src/native/elf';
import { runHelper } from '../../src/native/exec';
import { requireTool, scratchDir } from './helpers';

const machines: { machine: number; elfClass: ElfClass; endian: Endian; flags: number; readelf: string; file: string }[] = [
  { machine: EM_X86_64, elfClass: 64, endian: 'little', flags: 0, readelf: 'Advanced Micro Devices X86-64', file: 'ELF 64-bit LSB executable, x86-64' },
  { machine: EM_AARCH64, elfClass: 64, endian: 'little', flags: 0, readelf: 'AArch64', file: 'ELF 64-bit LSB executable, ARM aarch64' },
  { machine: EM_ARM, elfClass: 32, endian: 'little', flags: 0x05000000, readelf: 'ARM', file: 'ELF 32-bit LSB executable, ARM, EABI5' },
  { machine: EM_386, elfClass: 32, endian: 'little', flags: 0, readelf: 'Intel 80386', file: 'ELF 32-bit LSB executable, Intel 80386' },
  { machine: EM_PPC64, elfClass: 64, endian: 'little', flags: 2, readelf: 'PowerPC64', file: 'ELF 64-bit LSB executable, 64-bit PowerPC' },
  { machine: EM_S390, elfClass: 64, endian: 'big', flags: 0, readelf: 'IBM S/390', file: 'ELF 64-bit MSB executable, IBM S/390' },
  { machine: EM_RISCV, elfClass: 64, endian: 'little', flags: 0, readelf: 'RISC-V', file: 'ELF 64-bit LSB executable, UCB RISC-V' },
];

/** readelf -h -l, as "key: value" pairs plus the LOAD line. */
function readelf(path: string): { header: Map<string, string>; load: string[] } {
  requireTool('readelf', ['--version'], 'binutils');
  const out = execFileSync('readelf', ['-W', '-h', '-l', path]).toString();
  const header = new Map<string, string>();
  for (const line of out.split('\n')) {
    const match = /^\s+([^:]+):\s+(.*)$/.exec(line);
    if (match) header.set(match[1]!.trim(), match[2]!.trim());
  }
  const loads = out.split('\n').filter((line) => /^\s+LOAD\s/.test(line));
  assert.is(loads.length, 1, out);
  return { header, load: loads[0]!.trim().split(/\s+/) };
}

const dir = scratchDir('elf');

for (const m of machines) {
  test(`${m.readelf}: ELF${m.elfClass} ${m.endian}-endian headers as readelf and file(1) read them`, () => {
    const code = new Uint8Array(37).fill(0x90);
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    const image = buildElf({ elfClass: m.elfClass, endian: m.endian, machine: m.machine, flags: m.flags, baseAddress: 0x400000, code, data, bssSize: 1000, entryOffset: 4 });
    const layout = layoutElf(m.elfClass, 0x400000, code.length, data.length);
    const headers = m.elfClass === 64 ? 64 + 56 : 52 + 32;
    assert.is(layout.codeAddress, 0x400000 + headers);
    assert.is(image.length, layout.fileSize);
    assert.equal([...image.subarray(headers, headers + code.length)], [...code]);
    assert.equal([...image.subarray(layout.dataAddress - 0x400000)], [...data]);

    const path = join(dir, `elf-${m.machine}`);
    writeFileSync(path, image);
    const { header, load } = readelf(path);
    assert.is(header.get('Class'), `ELF${m.elfClass}`);
    assert.is(header.get('Data'), `2's complement, ${m.endian} endian`);
    assert.is(header.get('Type'), 'EXEC (Executable file)');
    assert.is(header.get('Machine'), m.readelf);
    assert.is(Number(header.get('Entry point address')), layout.codeAddress + 4);
    assert.is(Number(header.get('Flags')!.split(',')[0]), m.flags);
    assert.is(header.get('Number of program headers'), '1');
    assert.is(header.get('Number of section headers'), '0');
    // LOAD Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align
    assert.equal(load.slice(0, 4), ['LOAD', '0x000000', m.elfClass === 64 ? '0x0000000000400000' : '0x00400000', m.elfClass === 64 ? '0x0000000000400000' : '0x00400000']);
    assert.is(Number(load[4]), image.length);
    assert.is(Number(load[5]), layout.bssAddress - 0x400000 + 1000);
    assert.is(load[6], 'RWE');

    requireTool('file', ['--version']);
    const description = execFileSync('file', ['-b', path]).toString();
    assert.ok(description.startsWith(m.file), description);
    assert.match(description, /statically linked/);
  });
}

test('data and bss start 16-byte aligned; an image without data ends with its code', () => {
  const layout = layoutElf(64, 0x400000, 5, 3);
  assert.is(layout.dataAddress, 0x400000 + 128);
  assert.is(layout.bssAddress, 0x400000 + 128 + 16);
  assert.is(layoutElf(64, 0x400000, 5, 0).fileSize, 120 + 5);
  assert.is(layoutElf(32, 0x400000, 5, 0).fileSize, 84 + 5);
});

test('bad layouts are refused', () => {
  const base = { elfClass: 64 as const, endian: 'little' as const, machine: EM_X86_64, code: new Uint8Array(4), data: new Uint8Array(0), bssSize: 0 };
  assert.throws(() => buildElf({ ...base, baseAddress: 0x401000 }), /multiple of 64 KiB/);
  assert.throws(() => buildElf({ ...base, baseAddress: 0x400000, entryOffset: 4 }), /entry offset 4 outside the code/);
  assert.throws(() => buildElf({ ...base, baseAddress: 0x400000, bssSize: -1 }), /negative bss/);
  assert.throws(() => buildElf({ ...base, elfClass: 32, baseAddress: 0x400000, bssSize: 2 ** 32 }), /address space/);
});

// Hand-assembled exit_group(42), so the emitter is checked by the loader independently of our
// code generators: the kernel (x86_64) and qemu-aarch64 must load and run it, bss included.
test('the kernel runs an emitted x86_64 image (exit_group(42), bss zeroed and writable)', () => {
  const code = [
    0x48, 0x8b, 0x3d, 0, 0, 0, 0, // mov rdi, [rip + bss]  (patched below)
    0x48, 0x83, 0xc7, 42, //         add rdi, 42
    0x48, 0x89, 0x3d, 0, 0, 0, 0, // mov [rip + bss], rdi (the bss is writable)
    0xb8, 231, 0, 0, 0, //           mov eax, exit_group
    0x0f, 0x05, //                   syscall
  ];
  const layout = layoutElf(64, 0x400000, code.length, 0);
  const bss = layout.bssAddress + 4096 * 3; // a few pages past the file: only p_memsz maps it
  const view = new DataView(new Uint8Array(code).buffer);
  view.setInt32(3, bss - (layout.codeAddress + 7), true);
  view.setInt32(14, bss - (layout.codeAddress + 18), true);
  const image = buildElf({ elfClass: 64, endian: 'little', machine: EM_X86_64, baseAddress: 0x400000, code: new Uint8Array(view.buffer), data: new Uint8Array(0), bssSize: 4096 * 3 + 8 });
  const run = runHelper(image);
  assert.is(run.status, 42, run.stderr.toString());
});

test('qemu-aarch64 runs an emitted aarch64 image (exit_group(42))', () => {
  requireTool('qemu-aarch64-static', ['--version'], 'qemu-user-static');
  const words = [
    0xd2800540, // movz x0, #42
    0xd2800bc8, // movz x8, #94 (exit_group)
    0xd4000001, // svc #0
  ];
  const code = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(code.buffer).setUint32(i * 4, w, true));
  const image = buildElf({ elfClass: 64, endian: 'little', machine: EM_AARCH64, baseAddress: 0x400000, code, data: new Uint8Array(0), bssSize: 0 });
  const run = runHelper(image, ['qemu-aarch64-static']);
  assert.is(run.status, 42, run.stderr.toString());
});

test.run();
