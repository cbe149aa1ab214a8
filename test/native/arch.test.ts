// Each code generator against the IR semantics of src/native/program.ts: small programs whose exit
// status and output prove what every instruction did, run by the kernel (x86_64) or by
// qemu-aarch64 (aarch64). Syscall numbers and open flags are proven by the kernel's answers.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backends } from '../../src/native/arch';
import { assemble } from '../../src/native/assemble';
import { runHelper, type HelperRun } from '../../src/native/exec';
import { AT_FDCWD, STAT_BUFFER_SIZE, type Instruction, type Operand, type Program, type Slot } from '../../src/native/program';
import { ARCHES, scratchDir } from './helpers';

const imm = (value: number): Operand => ({ kind: 'imm', value });
const addr = (symbol: string, offset = 0): Operand => ({ kind: 'addr', symbol, offset });
const exit = (status: number | Operand): Instruction => ({ op: 'syscall', name: 'exit_group', args: [typeof status === 'number' ? imm(status) : status] });
const slot0: Slot = { symbol: 'slots', offset: 0 };
const slot1: Slot = { symbol: 'slots', offset: 8 };
const cstr = (text: string): Uint8Array => Buffer.from(`${text}\0`);

function program(code: Instruction[], data: Program['data'] = []): Program {
  return { code, data, bss: [{ name: 'slots', size: 64 }, { name: 'stat', size: STAT_BUFFER_SIZE }] };
}

const dir = scratchDir('arch');
const file = join(dir, 'file');
writeFileSync(file, 'x');
mkdirSync(join(dir, 'dir'));
execFileSync('mkfifo', [join(dir, 'fifo')]);
symlinkSync('file', join(dir, 'link'));
const openFlags: Operand = { kind: 'openFlags', flags: ['O_RDONLY', 'O_NOFOLLOW', 'O_NONBLOCK', 'O_NOCTTY', 'O_CLOEXEC'] };

/** `#define __NR_<name> <number>` lines of a kernel uapi header (linux-libc-dev). */
function uapiSyscalls(header: string): Map<string, number> {
  if (!existsSync(header)) assert.unreachable(`${header} is missing (apt-get install -y linux-libc-dev)`);
  const numbers = new Map<string, number>();
  const text = readFileSync(header, 'utf8');
  for (const match of text.matchAll(/^#define __NR(?:3264)?_(\w+)\s+(\d+)/gm)) numbers.set(match[1]!, Number(match[2]));
  // asm-generic: `#define __NR_fstat __NR3264_fstat`
  for (const match of text.matchAll(/^#define __NR_(\w+)\s+__NR3264_(\w+)/gm)) numbers.set(match[1]!, numbers.get(match[2]!)!);
  return numbers;
}

test('syscall numbers are the kernel uapi headers\' (x86_64: asm/unistd_64.h, aarch64: asm-generic/unistd.h)', () => {
  const tables = {
    x86_64: uapiSyscalls('/usr/include/x86_64-linux-gnu/asm/unistd_64.h'),
    aarch64: uapiSyscalls('/usr/include/asm-generic/unistd.h'),
  };
  for (const [arch, table] of Object.entries(tables)) {
    for (const [name, number] of Object.entries(backends[arch as keyof typeof tables].syscalls)) assert.is(number, table.get(name), `${arch} ${name}`);
  }
});

for (const arch of ARCHES) {
  const backend = backends[arch.name];
  const run = (p: Program): HelperRun => {
    arch.require();
    return runHelper(assemble(p, backend).elf, arch.options.emulator);
  };
  const status = (p: Program): number | null => {
    const result = run(p);
    assert.is(result.signal, null, `${arch.name}: killed by ${result.signal} ${result.stderr}`);
    return result.status;
  };

  test(`${arch.name}: exit_group with immediates`, () => {
    for (const value of [0, 1, 42, 255]) assert.is(status(program([exit(value)])), value);
  });

  test(`${arch.name}: store, load and jumpIfEqual round-trip 32-bit values`, () => {
    for (const value of [0, 1, -1, -61, -100, 4095, 4096, -4095, -4096, 0x12345, -0x12345, 2 ** 31 - 1, -(2 ** 31)]) {
      const code: Instruction[] = [
        { op: 'store', slot: slot0, value },
        { op: 'load', slot: slot0 },
        { op: 'jumpIfEqual', value, target: 'equal' },
        exit(1),
        { op: 'label', name: 'equal' },
        { op: 'jumpIfEqual', value: value === 7 ? 8 : 7, target: 'wrong' },
        { op: 'jumpIfNegative', target: 'negative' },
        exit(value < 0 ? 3 : 0),
        { op: 'label', name: 'negative' },
        exit(value < 0 ? 0 : 4),
        { op: 'label', name: 'wrong' },
        exit(2),
      ];
      assert.is(status(program(code)), 0, `value ${value}`);
    }
  });

  test(`${arch.name}: a slot operand passes the stored word to a syscall`, () => {
    const code: Instruction[] = [{ op: 'store', slot: slot1, value: 77 }, exit({ kind: 'slot', slot: slot1 })];
    assert.is(status(program(code)), 77);
  });

  test(`${arch.name}: write(1, addr, len) writes data bytes; save stores the result`, () => {
    const text = Buffer.from('hello from the helper\n');
    const code: Instruction[] = [
      { op: 'syscall', name: 'write', args: [imm(1), addr('text', 6), imm(text.length - 6)], save: slot0 },
      { op: 'syscall', name: 'write', args: [imm(1), addr('slots'), imm(8)] },
      exit(0),
    ];
    const result = run(program(code, [{ name: 'pad', bytes: new Uint8Array(3) }, { name: 'text', bytes: text }]));
    assert.is(result.status, 0);
    assert.is(result.stdout.subarray(0, text.length - 6).toString(), 'from the helper\n');
    assert.is(Number(result.stdout.readBigInt64LE(text.length - 6)), text.length - 6);
  });

  // openat's result says whether the backend's O_NOFOLLOW value is the kernel's: a symlink
  // opened with it fails with ELOOP, any other value follows the link and succeeds.
  const openThen = (path: string, then: Instruction[]): Program =>
    program(
      [
        { op: 'syscall', name: 'openat', args: [imm(AT_FDCWD), addr('path'), openFlags, imm(0)], save: slot0 },
        { op: 'jumpIfEqual', value: -40, target: 'eloop' },
        { op: 'jumpIfEqual', value: -2, target: 'enoent' },
        { op: 'jumpIfNegative', target: 'other' },
        ...then,
        { op: 'label', name: 'eloop' },
        exit(40),
        { op: 'label', name: 'enoent' },
        exit(2),
        { op: 'label', name: 'other' },
        exit(99),
      ],
      [{ name: 'path', bytes: cstr(path) }],
    );
  const fstatThenCheck: Instruction[] = [
    { op: 'syscall', name: 'fstat', args: [{ kind: 'slot', slot: slot0 }, addr('stat')] },
    { op: 'jumpIfNegative', target: 'other' },
    { op: 'loadMode', stat: 'stat', save: slot1 },
    { op: 'jumpIfNotRegularFile', target: 'irregular' },
    exit(0),
    { op: 'label', name: 'irregular' },
    { op: 'syscall', name: 'write', args: [imm(1), addr('slots', 8), imm(8)] },
    exit(10),
  ];

  test(`${arch.name}: openat with O_NOFOLLOW refuses a symlink (ELOOP), ENOENT for a missing path`, () => {
    assert.is(status(openThen(join(dir, 'link'), [exit(0)])), 40);
    assert.is(status(openThen(join(dir, 'missing'), [exit(0)])), 2);
    assert.is(status(openThen(file, [exit(0)])), 0);
  });

  test(`${arch.name}: fstat + loadMode + jumpIfNotRegularFile tell a regular file from a directory and a FIFO`, () => {
    assert.is(status(openThen(file, fstatThenCheck)), 0);
    const directory = run(openThen(join(dir, 'dir'), fstatThenCheck));
    assert.is(directory.status, 10);
    assert.is(Number(directory.stdout.readBigInt64LE(0)) & 0o170000, 0o040000);
    const fifo = run(openThen(join(dir, 'fifo'), fstatThenCheck)); // O_NONBLOCK: no writer, no hang
    assert.is(fifo.status, 10);
    assert.is(Number(fifo.stdout.readBigInt64LE(0)) & 0o170000, 0o010000);
  });

  test(`${arch.name}: unlinkat removes a file`, () => {
    const victim = join(dir, `victim-${arch.name}`);
    writeFileSync(victim, '');
    const code: Instruction[] = [
      { op: 'syscall', name: 'unlinkat', args: [imm(AT_FDCWD), addr('path'), imm(0)] },
      { op: 'jumpIfNegative', target: 'failed' },
      exit(0),
      { op: 'label', name: 'failed' },
      exit(1),
    ];
    assert.is(status(program(code, [{ name: 'path', bytes: cstr(victim) }])), 0);
    assert.not.ok(existsSync(victim));
  });

  // Conditional branches on aarch64 reach ±1 MiB and x86 short jumps ±127 bytes: every branch
  // kind must reach a target megabytes away, forwards and backwards.
  test(`${arch.name}: every branch reaches targets more than 2 MiB away, both directions`, () => {
    const filler: Instruction[] = Array.from({ length: 200_000 }, () => ({ op: 'store', slot: slot1, value: 5 }));
    const code: Instruction[] = [
      { op: 'jump', target: 'start' },
      { op: 'label', name: 'done' },
      exit(0),
      { op: 'label', name: 'start' },
      { op: 'jump', target: 'far' }, // forwards
      { op: 'label', name: 'back' },
      { op: 'store', slot: slot0, value: -7 },
      { op: 'load', slot: slot0 },
      { op: 'jumpIfNegative', target: 'far2' }, // forwards
      exit(1),
      ...filler,
      { op: 'label', name: 'far' },
      { op: 'jump', target: 'back' }, // backwards
      { op: 'label', name: 'far2' },
      { op: 'jumpIfEqual', value: -7, target: 'far3' }, // forwards
      exit(2),
      ...filler,
      { op: 'label', name: 'far3' },
      { op: 'store', slot: slot0, value: 0o040755 },
      { op: 'load', slot: slot0 },
      { op: 'jumpIfNotRegularFile', target: 'done' }, // backwards, across both fillers
      exit(4),
    ];
    const assembled = assemble(program(code), backend);
    assert.ok(assembled.codeSize > 4 * 1024 * 1024, `code is ${assembled.codeSize} bytes`);
    arch.require();
    const result = runHelper(assembled.elf, arch.options.emulator);
    assert.is(result.status, 0, result.stderr.toString());
  });

  test(`${arch.name}: code size does not depend on where symbols land`, () => {
    const code: Instruction[] = [
      { op: 'syscall', name: 'write', args: [imm(1), addr('text'), imm(3)], save: slot0 },
      { op: 'load', slot: slot1 },
      exit(0),
    ];
    const small = assemble(program(code, [{ name: 'text', bytes: cstr('abc') }]), backend);
    const large = assemble(program(code, [{ name: 'text', bytes: new Uint8Array(3 * 1024 * 1024) }]), backend);
    assert.is(small.codeSize, large.codeSize);
  });
}

test.run();
