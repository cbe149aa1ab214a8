import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  getcapText, gnuTarExtract, libcapBytes, once, pythonTarMembers, requireOracles, runPack, runPackProcess, scratchDir, SETCAP, type TarMember,
} from './helpers';

const dir = scratchDir('rewrite');
const tree = path.join(dir, 'tree');
const LONG = `${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(105)}`;
const posixInput = path.join(dir, 'posix.tar');
const gnuInput = path.join(dir, 'gnu.tar');

function gnuTar(format: 'posix' | 'gnu', file: string): void {
  // GNU tar writes pax headers for xattrs even in gnu format, so the gnu input carries none.
  const xattrs = format === 'posix' ? ['--xattrs', '--xattrs-include=*'] : [];
  execFileSync('tar', [`--format=${format}`, ...xattrs, '--sort=name', '-cf', file, '-C', tree, '.']);
}

test.before.each(once(() => {
  requireOracles();
  fs.mkdirSync(path.join(tree, 'd'), { recursive: true });
  fs.mkdirSync(path.join(tree, path.dirname(LONG)), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(tree, 'a'));
  fs.writeFileSync(path.join(tree, 'b'), 'b has a capability already\n');
  fs.writeFileSync(path.join(tree, 'c'), 'c keeps its capability\n');
  fs.writeFileSync(path.join(tree, LONG), 'long name\n');
  fs.writeFileSync(path.join(tree, 'café'), 'non-ASCII name\n');
  fs.writeFileSync(path.join(tree, 'empty'), '');
  fs.symlinkSync('../a', path.join(tree, 'd/s'));
  fs.linkSync(path.join(tree, 'a'), path.join(tree, 'd/h'));
  execFileSync(SETCAP, ['cap_net_raw=ep', path.join(tree, 'b')]);
  execFileSync(SETCAP, ['cap_kill,cap_setuid=ep', path.join(tree, 'c')]);
  gnuTar('posix', posixInput);
  gnuTar('gnu', gnuInput);
}));

const TARGETS: [string, string][] = [
  ['cap_net_bind_service=ep', '/a'], ['all=ep cap_sys_admin-ep', 'b'], ['cap_setuid=ep', `./${LONG}`], ['cap_chown=ep', '/café'],
  ['=', 'empty'],
];
const targetNames = new Set(TARGETS.map(([, dest]) => dest.replace(/^\.?\//, '')));
const key = 'SCHILY.xattr.security.capability';
const bare = (name: string) => name.replace(/^\.\//, '').replace(/\/$/, '');

/** Each member's bytes; for targets, the header and data without the extended headers in front. */
function checkRewrite(input: string, output: string): void {
  const inputBytes = fs.readFileSync(input);
  const outputBytes = fs.readFileSync(output);
  const before = pythonTarMembers(input);
  const after = pythonTarMembers(output);
  assert.equal(after.map((member) => member.name), before.map((member) => member.name));
  before.forEach((member: TarMember, index) => {
    const other = after[index]!;
    if (!targetNames.has(bare(member.name))) {
      assert.ok(inputBytes.subarray(member.start, member.end).equals(outputBytes.subarray(other.start, other.end)), `${member.name} changed`);
      return;
    }
    const { [key]: _old, ...otherPax } = member.pax;
    const { [key]: value, ...otherPaxAfter } = other.pax;
    assert.equal(otherPaxAfter, otherPax, `${member.name}: other pax records`);
    const text = TARGETS.find(([, dest]) => dest.replace(/^\.?\//, '') === bare(member.name))![0];
    assert.is(value, libcapBytes(text, dir), `${member.name}: capability bytes`);
    const dataStart = (m: TarMember) => m.end - Math.ceil(m.size / 512) * 512 - 512;
    assert.ok(inputBytes.subarray(dataStart(member), member.end).equals(outputBytes.subarray(dataStart(other), other.end)),
      `${member.name}: header and data`);
  });
  const last = (members: TarMember[]) => members[members.length - 1]!.end;
  assert.ok(inputBytes.subarray(last(before)).equals(outputBytes.subarray(last(after))), 'end-of-archive blocks');
}

function checkExtracted(output: string, untouchedCapability: string): void {
  const root = gnuTarExtract(output, path.join(dir, `x-${Math.random().toString(36).slice(2)}`));
  for (const [text, dest] of TARGETS) {
    const reference = path.join(dir, 'reference');
    fs.writeFileSync(reference, '');
    execFileSync(SETCAP, [text, reference]);
    assert.is(getcapText(path.join(root, dest)), getcapText(reference), dest);
  }
  assert.is(getcapText(path.join(root, 'c')), untouchedCapability, 'untouched entry keeps its capability (or none)');
}

test('posix input (GNU tar, xattrs, pax headers on every entry): targets set or replaced, everything else byte for byte', () => {
  const output = path.join(dir, 'posix-out.tar');
  const run = runPack(['--input', posixInput, '--output', output, ...TARGETS.flat()]);
  assert.is(run.status, 0, run.stderr);
  checkRewrite(posixInput, output);
  checkExtracted(output, 'cap_kill,cap_setuid=ep');
});

test('gnu input (GNU long-name entries, no pax headers): a pax header is inserted before each target', () => {
  const output = path.join(dir, 'gnu-out.tar');
  const run = runPack(['--input', gnuInput, '--output', output, ...TARGETS.flat()]);
  assert.is(run.status, 0, run.stderr);
  assert.ok(!fs.readFileSync(gnuInput).includes('SCHILY'), 'the gnu input has no pax records');
  assert.ok(fs.readFileSync(gnuInput).includes('././@LongLink'), 'the gnu input has long-name entries');
  checkRewrite(gnuInput, output);
  checkExtracted(output, '');
});

test('setting the capability an entry already has gives back the input, byte for byte', () => {
  const output = path.join(dir, 'same.tar');
  assert.is(runPack(['-i', posixInput, '-o', output, 'cap_net_raw=ep', 'b', 'cap_kill,cap_setuid=ep', 'c']).status, 0);
  assert.ok(fs.readFileSync(output).equals(fs.readFileSync(posixInput)));
});

test('stdin to stdout through a pipe, as a separate process', () => {
  const viaFile = path.join(dir, 'via-file.tar');
  assert.is(runPack(['--input', posixInput, '--output', viaFile, ...TARGETS.flat()]).status, 0);
  const piped = runPackProcess(['--input', '-', '--output', '-', ...TARGETS.flat()], fs.readFileSync(posixInput));
  assert.is(piped.status, 0, piped.stderr);
  assert.ok(piped.stdout.equals(fs.readFileSync(viaFile)));
});

test('a tar without the end-of-archive marker gets one', () => {
  const bytes = fs.readFileSync(posixInput);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const cut = path.join(dir, 'cut.tar');
  fs.writeFileSync(cut, bytes.subarray(0, Math.ceil(end / 512) * 512));
  const output = path.join(dir, 'cut-out.tar');
  const run = runPack(['--input', cut, '--output', output, 'cap_net_raw=ep', 'a']);
  assert.is(run.status, 0, run.stderr);
  const out = fs.readFileSync(output);
  assert.ok(out.subarray(out.length - 1024).equals(Buffer.alloc(1024)));
  assert.is(getcapText(path.join(gnuTarExtract(output, path.join(dir, 'cut-x')), 'a')), 'cap_net_raw=ep');
});

test('bad input: exit 1, a clear message, nothing written', () => {
  const truncated = path.join(dir, 'truncated.tar');
  fs.writeFileSync(truncated, fs.readFileSync(posixInput).subarray(0, 512 * 12 + 100));
  const gzipped = path.join(dir, 'input.tar.gz');
  fs.writeFileSync(gzipped, zlib.gzipSync(fs.readFileSync(posixInput)));
  const garbage = path.join(dir, 'garbage');
  fs.writeFileSync(garbage, Buffer.alloc(2048, 0x41));
  const cases: [string[], string[]][] = [
    [['--input', posixInput, 'cap_net_raw=ep', 'a', 'cap_net_raw=ep', 'nope'], ['pair 2', '/nope', 'no entry']],
    [['--input', posixInput, 'cap_net_raw=ep', 'd'], ['"./d/"', 'directory', 'not a regular file']],
    [['--input', posixInput, 'cap_net_raw=ep', 'd/s'], ['symbolic link']],
    [['--input', posixInput, 'cap_net_raw=ep', 'd/h'], ['hard link', 'a', 'name that entry instead']],
    [['--input', gzipped, 'cap_net_raw=ep', 'a'], ['gzip']],
    [['--input', garbage, 'cap_net_raw=ep', 'a'], ['not a tar', 'checksum', 'byte 0']],
    [['--input', truncated, 'cap_net_raw=ep', 'a'], ['truncated']],
    [['--input', posixInput, 'cap_nope=ep', 'a'], ['pair 1', 'cap_nope']],
    [['--input', posixInput, '--mode', '0755', 'cap_net_raw=ep', 'a'], ['--mode', '--input']],
    [['--input', posixInput, '-n', '0', 'cap_net_raw=ep', 'a'], ['-n ROOTID']],
    [['--input', path.join(dir, 'absent.tar'), 'cap_net_raw=ep', 'a'], ['--input', 'absent.tar']],
    [['--input', posixInput, 'cap_net_raw=ep', 'a', 'cap_chown=ep', '/a'], ['pair 2', 'already given by pair 1']],
  ];
  for (const [args, expected] of cases) {
    const outDir = scratchDir('fail');
    const run = runPack([...args, '--output', path.join(outDir, 'out.tar')]);
    assert.is(run.status, 1, args.join(' '));
    for (const part of expected) assert.ok(run.stderr.includes(part), `${args.join(' ')}: ${JSON.stringify(run.stderr)} lacks ${part}`);
    assert.equal(fs.readdirSync(outDir), [], `${args.join(' ')} left files`);
    fs.rmSync(outDir, { recursive: true });
    const toStdout = runPack([...args, '--output', '-']);
    assert.is(toStdout.status, 1);
    assert.is(toStdout.stdout.length, 0, `${args.join(' ')} wrote to stdout`);
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test.run();
