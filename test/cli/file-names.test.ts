// File names are bytes. The helpers that keep a name that is not UTF-8 as its bytes, the raw
// argv from /proc/self/cmdline, and the tool end to end: names with a 0xff byte given on the
// command line (made by printf in a shell: Node's spawn only passes strings) and met by `get -r`,
// with output compared byte for byte with libcap's setcap -v and getcap.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileArgument, fileNameFromBytes, fileNameKey, joinFileName, joinText, readArgumentBytes } from '../../src/cli/file-names';
import { requireOracle, scratchDir, toolBundle } from './harness';

const FF = Buffer.from([0xff]);

test('fileNameFromBytes: a string when UTF-8 spells the bytes, else the bytes', () => {
  assert.is(fileNameFromBytes(Buffer.from('caf\u00e9')), 'caf\u00e9');
  assert.equal(fileNameFromBytes(Buffer.from([0x61, 0xff])), Buffer.from([0x61, 0xff]));
  // an overlong or surrogate encoding does not survive a decode: kept as bytes
  assert.ok(Buffer.isBuffer(fileNameFromBytes(Buffer.from([0xed, 0xa0, 0x80]))));
});

test('fileArgument: the raw bytes only where the decoded argument lost some', () => {
  const argv = ['-r', '\ufffd', 'plain'];
  const raw = [Buffer.from('-r'), FF, Buffer.from('plain')];
  assert.equal(fileArgument(argv, raw, 1), FF);
  assert.is(fileArgument(argv, raw, 2), 'plain');
  assert.is(fileArgument(argv, undefined, 1), '\ufffd');
  assert.is(fileNameKey('\u00e9'), fileNameKey(Buffer.from('\u00e9')));
  assert.is.not(fileNameKey('\ufffd'), fileNameKey(FF));
});

test('joinText and joinFileName: strings stay strings, a byte name makes bytes', () => {
  assert.is(joinText('a', ': OK\n'), 'a: OK\n');
  assert.equal(joinText(FF, ': OK\n'), Buffer.from([0xff, 0x3a, 0x20, 0x4f, 0x4b, 0x0a]));
  assert.is(joinFileName('dir/', 'f'), 'dir/f');
  assert.equal(joinFileName(Buffer.from([0x64, 0xff, 0x2f]), 'f'), Buffer.from([0x64, 0xff, 0x2f, 0x66]));
});

test('readArgumentBytes: the last argv.length strings of cmdline, checked against argv', () => {
  const dir = scratchDir('cmdline');
  const cmdline = join(dir, 'cmdline');
  writeFileSync(cmdline, Buffer.from('node\0/x/bundle.cjs\0-r\0\xff\0\0', 'latin1'));
  assert.equal(readArgumentBytes(['-r', '\ufffd', ''], cmdline), [Buffer.from('-r'), FF, Buffer.alloc(0)]);
  assert.is(readArgumentBytes(['-r', 'other', ''], cmdline), undefined, 'bytes that do not decode to argv');
  assert.is(readArgumentBytes(['a', 'b', 'c', 'd', 'e', 'f'], cmdline), undefined, 'more arguments than cmdline holds');
  assert.is(readArgumentBytes([], join(dir, 'none')), undefined);
  // this process: its own arguments
  assert.equal(readArgumentBytes(process.argv.slice(2)), process.argv.slice(2).map((arg) => Buffer.from(arg)));
});

/** Runs `command args... NAME` in `cwd` with NAME the bytes of `printf format`; raw stdout and stderr. */
function withRawName(cwd: string, format: string, command: string[]): { status: number | null; stdout: Buffer; stderr: Buffer } {
  const result = spawnSync('sh', ['-c', `exec "$@" "$(printf '${format}')"`, 'sh', ...command], { cwd });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('setcap -v and get with a non-UTF-8 name: libcap output byte for byte; set acts on the named file', () => {
  requireOracle();
  const dir = scratchDir('raw-name');
  const named = Buffer.concat([Buffer.from(`${dir}/x`), FF]);
  const decoy = `${dir}/x\ufffd`;
  writeFileSync(named, '');
  writeFileSync(decoy, '');
  const tool = [process.execPath, toolBundle()];
  const set = withRawName(dir, 'x\\377', [...tool, 'cap_net_raw+ep']);
  assert.is(set.stderr.toString(), '');
  assert.is(set.status, 0);
  const getcap = withRawName(dir, 'x\\377', ['getcap']);
  assert.is(getcap.stdout.toString('hex'), Buffer.from('x\xff cap_net_raw=ep\n', 'latin1').toString('hex'));
  assert.is(withRawName(dir, 'x\\357\\277\\275', ['getcap', '-v']).stdout.toString('hex'), Buffer.from(`x\ufffd\n`).toString('hex'), 'the decoy changed');
  const ours = withRawName(dir, 'x\\377', [...tool, 'get']);
  assert.is(ours.stdout.toString('hex'), getcap.stdout.toString('hex'));
  const verify = { libcap: withRawName(dir, 'x\\377', ['setcap', '-v', 'cap_net_raw+ep']), ours: withRawName(dir, 'x\\377', [...tool, '-v', 'cap_net_raw+ep']) };
  assert.is(verify.ours.status, verify.libcap.status);
  assert.is(verify.ours.stdout.toString('hex'), verify.libcap.stdout.toString('hex'));
  // A failure names the file with its bytes.
  const missing = withRawName(dir, 'missing\\377', [...tool, 'cap_net_raw+ep']);
  assert.is(missing.status, 1);
  assert.ok(missing.stderr.includes(Buffer.from('missing\xff: no such file or directory', 'latin1')), missing.stderr.toString('latin1'));
});

test('get -r -v under a directory whose name is not UTF-8: getcap -r -v output byte for byte', () => {
  requireOracle();
  const dir = scratchDir('raw-tree');
  const sub = Buffer.concat([Buffer.from(`${dir}/d`), FF]);
  mkdirSync(sub);
  for (const name of [Buffer.from('plain'), Buffer.from([0x66, 0xfe, 0x67]), Buffer.from('caf\u00e9')]) {
    writeFileSync(Buffer.concat([sub, Buffer.from('/'), name]), '');
  }
  const capped = Buffer.concat([sub, Buffer.from('/'), Buffer.from([0x66, 0xfe, 0x67])]);
  assert.is(spawnSync('python3', ['-c', "import os,sys; os.setxattr(bytes.fromhex(sys.argv[1]),'security.capability',bytes.fromhex(sys.argv[2]))", capped.toString('hex'), '0100000200200000000000000000000000000000']).status, 0);
  const libcap = spawnSync('getcap', ['-r', '-v', '.'], { cwd: dir });
  const ours = spawnSync(process.execPath, [toolBundle(), 'get', '-r', '-v', '.'], { cwd: dir });
  assert.is(ours.status, libcap.status);
  assert.is(ours.stderr.toString('latin1'), libcap.stderr.toString('latin1'));
  assert.is(ours.stdout.toString('latin1'), libcap.stdout.toString('latin1'));
  assert.ok(libcap.stdout.includes(Buffer.from([0x66, 0xfe, 0x67, 0x20])), 'the capped file is listed with its bytes');
});

test.run();
