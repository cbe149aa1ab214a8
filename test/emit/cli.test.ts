// `setcap-static emit`: arguments, messages, what 'all' means, and an output that appears whole
// (mode 0755) or not at all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMIT_USAGE, emitMain } from '../../src/emit/cli';
import { EM_386, EM_AARCH64, EM_ARM, EM_PPC64, EM_RISCV, EM_S390, EM_X86_64 } from '../../src/native/elf';
import { libcapBytes, runSetter, xattrHex } from './helpers';
import { scratchDir } from '../scratch';

function emit(argv: string[]): { status: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const status = emitMain(argv, {}, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
  return { status, stdout, stderr };
}

/** e_machine, class, data encoding of an ELF file, as `file` and the kernel read them. */
function elfIdentity(path: string): { machine: number; elfClass: number; data: number } {
  const bytes = readFileSync(path);
  const little = bytes[5] === 1;
  return { machine: little ? bytes.readUInt16LE(18) : bytes.readUInt16BE(18), elfClass: bytes[4]!, data: bytes[5]! };
}

test('--help prints the usage with the exit status table', () => {
  const result = emit(['--help']);
  assert.is(result.status, 0);
  assert.is(result.stdout, EMIT_USAGE);
  assert.match(EMIT_USAGE, '200  a PATH is not a regular file');
  assert.match(EMIT_USAGE, 'amd64 arm64 arm/v7 arm/v6 386 ppc64le s390x riscv64');
});

test('every platform name (with and without linux/) gives its machine, as `file` reads it', () => {
  const dir = scratchDir('emit');
  const expected: [string, number, number, number, string][] = [
    ['amd64', EM_X86_64, 2, 1, 'x86-64'],
    ['linux/arm64', EM_AARCH64, 2, 1, 'ARM aarch64'],
    ['arm/v7', EM_ARM, 1, 1, 'ARM, EABI5'],
    ['linux/arm/v6', EM_ARM, 1, 1, 'ARM, EABI5'],
    ['386', EM_386, 1, 1, 'Intel 80386'],
    ['ppc64le', EM_PPC64, 2, 1, '64-bit PowerPC'],
    ['linux/s390x', EM_S390, 2, 2, 'IBM S/390'],
    ['riscv64', EM_RISCV, 2, 1, 'RISC-V'],
  ];
  for (const [arch, machine, elfClass, data, described] of expected) {
    const output = join(dir, arch.replaceAll('/', '_'));
    assert.is(emit(['--arch', arch, '--output', output, 'cap_net_raw=ep', '/app']).status, 0, arch);
    assert.equal(elfIdentity(output), { machine, elfClass, data }, arch);
    const file = execFileSync('file', ['-b', output]).toString();
    assert.match(file, described, `${arch}: ${file}`);
    assert.match(file, 'statically linked', `${arch}: ${file}`);
    assert.is(statSync(output).mode & 0o777, 0o755);
  }
});

test('bad arguments: a message naming what and where, exit 1, nothing written', () => {
  const dir = scratchDir('emit');
  const output = join(dir, 'setter');
  const cases: [string[], string][] = [
    [['--output', output, 'cap_net_raw=ep', '/app'], '--arch ARCH is required: one of amd64, arm64, arm/v7, arm/v6, 386, ppc64le, s390x, riscv64'],
    [['--arch', 'mips', '--output', output, 'cap_net_raw=ep', '/app'], '--arch "mips" is not a platform emit knows; use one of: amd64, arm64, arm/v7, arm/v6, 386, ppc64le, s390x, riscv64'],
    [['--arch', 'amd64', 'cap_net_raw=ep', '/app'], '--output FILE is required'],
    [['--arch', 'amd64', '--output', output], 'missing CAPS PATH (see setcap-static emit --help)'],
    [['--arch', 'amd64', '--output', output, 'cap_net_raw=ep', '/app', 'cap_chown=p'], 'CAPS "cap_chown=p" has no PATH after it: arguments come in CAPS PATH pairs'],
    [['--arch', 'amd64', '--output', output, 'cap_net_raw=ep', '/app', 'cap_net_bind_servce=ep', '/b'],
      "pair 2: \"cap_net_bind_servce=ep\": unknown capability 'cap_net_bind_servce' at offset 0 (did you mean cap_net_bind_service?)"],
    [['--arch', 'amd64', '--output', output, 'cap_chown+p cap_kill+ep', '/app'], 'pair 1: "cap_chown+p cap_kill+ep": effective file capabilities must either be empty, or exactly match the union of selected permitted and inheritable bits'],
    [['--arch', 'amd64', '--output', output, 'cap_net_raw=ep', ''], 'pair 1: the PATH is empty'],
    [['--arch', 'amd64', '--output', output, 'cap_net_raw=ep', `/${'a'.repeat(4095)}`], 'pair 1: the PATH is 4096 bytes, Linux takes at most 4095'],
    [['--arch', 'amd64', '--output', output, '-n', '1000', 'cap_net_raw=ep', '/app'], '-n ROOTID is refused: a rootid (revision 3) is meaningless in an image'],
    [['--arch', 'amd64', '--output', output, '--last-cap', '64', 'all=ep', '/app'], '--last-cap must be a capability number 0..63, got "64"'],
    [['--arch', 'amd64', '--output', output, '--verbose', 'cap_net_raw=ep', '/app'], 'unknown option "--verbose" (see setcap-static emit --help)'],
    [['--arch'], '--arch needs a value'],
    [['--arch', 'amd64', '--output', dir, 'cap_net_raw=ep', '/app'], `--output ${JSON.stringify(dir)} is a directory; give a file name`],
  ];
  for (const [argv, message] of cases) {
    const result = emit(argv);
    assert.is(result.status, 1, argv.join(' '));
    assert.ok(result.stderr.startsWith(`setcap-static emit: ${message}`), `${argv.join(' ').slice(0, 80)}\n  got: ${result.stderr}\n  want: ${message}`);
    assert.equal(readdirSync(dir), [], 'nothing written');
  }
  const missingDir = emit(['--arch', 'amd64', '--output', join(dir, 'no', 'setter'), 'cap_net_raw=ep', '/app']);
  assert.is(missingDir.status, 1);
  assert.match(missingDir.stderr, `setcap-static emit: cannot write --output "${join(dir, 'no', 'setter')}": ENOENT`);
  assert.equal(readdirSync(dir), []);
});

test('an existing output is replaced whole; the equals forms work', () => {
  const dir = scratchDir('emit');
  const output = join(dir, 'setter');
  writeFileSync(output, 'old contents', { mode: 0o600 });
  assert.is(emit(['--arch=amd64', '--output=' + output, 'cap_net_raw=ep', '/app']).status, 0);
  assert.equal([...readFileSync(output).subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  assert.is(statSync(output).mode & 0o777, 0o755);
  assert.equal(readdirSync(dir), ['setter'], 'no temporary file left');
});

test("--last-cap decides what 'all' means (libcap: the named capabilities 0..N)", () => {
  const dir = scratchDir('emit');
  for (const [lastCap, libcapText] of [['40', 'all=ep'], ['37', '0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37=ep']] as const) {
    const target = join(dir, 'target');
    writeFileSync(target, '');
    const program = join(dir, 'setter');
    assert.is(emit(['--arch', 'amd64', '--output', program, '--last-cap', lastCap, 'all=ep', target]).status, 0);
    assert.is(runSetter('amd64', program), 0);
    assert.is(xattrHex(target), libcapBytes(dir, libcapText), `--last-cap ${lastCap}`);
  }
});

test('a second pair for the same path wins, as with setcap run twice', () => {
  const dir = scratchDir('emit');
  const target = join(dir, 'target');
  writeFileSync(target, '');
  const program = join(dir, 'setter');
  assert.is(emit(['--arch', 'amd64', '--output', program, 'cap_net_raw=ep', target, 'cap_chown=p', target]).status, 0);
  assert.is(runSetter('amd64', program), 0);
  assert.is(xattrHex(target), libcapBytes(dir, 'cap_chown=p'));
});

test.run();
