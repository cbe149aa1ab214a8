// `setcap-static get` and the program invoked as `getcap` against libcap 2.66 getcap: the same
// arguments in the same directory give byte-identical stdout and stderr, and the same status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openFileLimit } from '../../src/cli/reads';
import { kernelLastCap, requireOracle, run, runMain, scratchDir, toolBundle, writeCapability } from './harness';

test.before(() => requireOracle());

let treeDir: string | undefined;

/**
 * d/ with files carrying revision 2 and 3 attributes, files without, a FIFO, a device, symlinks
 * (to a file, to a directory, dangling), nested directories and 60 files in one directory (ext4
 * returns them in hash order, which getcap's nftw keeps).
 */
function tree(): string {
  if (treeDir) return treeDir;
  const dir = scratchDir('getcap');
  const d = join(dir, 'd');
  mkdirSync(join(d, 'sub', 'deeper'), { recursive: true });
  mkdirSync(join(d, 'many'));
  mkdirSync(join(d, 'empty'));
  const caps: Record<string, string | null> = {
    'd/ep': '0100000201000000000000000000000000000000',
    'd/plain': null,
    'd/rev3': '010000030020000000000000000000000000000005000000',
    'd/rev3big': '0100000300200000000000000000000000000000ffffff7f',
    'd/rev3neg': '010000030020000000000000000000000000000000000080',
    'd/inh': '0000000200000000ffffffff00000000ff010000',
    'd/all': '01000002ffffffff00000000ff01000000000000',
    'd/high': '0100000200000000000000000000800000000000',
    'd/sub/deeper/x': '0100000200040000000000000000000000000000',
    'd/sub/y': null,
    'f': '0100000200200000000000000000000000000000',
  };
  for (const [name, hex] of Object.entries(caps)) {
    writeFileSync(join(dir, name), `${name}\n`);
    if (hex) writeCapability(join(dir, name), hex);
  }
  for (let i = 0; i < 60; i++) {
    writeFileSync(join(d, 'many', `file${i}`), '');
    if (i % 7 === 0) writeCapability(join(d, 'many', `file${i}`), '0000000200000000010000000000000000000000');
  }
  execFileSync('mkfifo', [join(d, 'fifo')]);
  execFileSync('mknod', [join(d, 'null'), 'c', '1', '3']);
  symlinkSync('ep', join(d, 'link'));
  symlinkSync('sub', join(d, 'dirlink'));
  symlinkSync('nowhere', join(d, 'dangling'));
  return (treeDir = dir);
}

function ours(args: string[], invokedName = 'setcap-static'): ReturnType<typeof runMain> {
  const previous = process.cwd();
  process.chdir(tree());
  try {
    return runMain(invokedName === 'getcap' ? args : ['get', ...args], { invokedName, lastCap: kernelLastCap() });
  } finally {
    process.chdir(previous);
  }
}

function sameAsGetcap(args: string[]): void {
  const libcap = run('getcap', args, { cwd: tree() });
  for (const invokedName of ['setcap-static', 'getcap']) {
    const mine = ours(args, invokedName);
    const what = `${invokedName === 'getcap' ? 'getcap' : 'setcap-static get'} ${args.join(' ')}`;
    assert.is(mine.stdout, libcap.stdout, `${what}: stdout`);
    assert.is(mine.stderr, libcap.stderr, `${what}: stderr`);
    assert.is(mine.status, libcap.status, `${what}: exit status`);
  }
}

test('one file at a time: caps, none, revision 3 with and without -n, symlinks, FIFO, device, missing', () => {
  for (const flags of [[], ['-v'], ['-n'], ['-v', '-n'], ['-vn']]) {
    for (const file of ['f', 'd/ep', 'd/plain', 'd/rev3', 'd/rev3big', 'd/rev3neg', 'd/inh', 'd/all', 'd/high', 'd/link', 'd/dangling', 'd/fifo', 'd/null', 'd', 'missing', 'd/missing/x', 'f/x']) {
      sameAsGetcap([...flags, file]);
    }
  }
});

test('several files in one run, in order, errors on stderr among them', () => {
  sameAsGetcap(['f', 'missing', 'd/ep', 'd/plain', 'd/rev3', 'd/link', 'f']);
  sameAsGetcap(['-v', '-n', 'd/rev3', 'nothere', 'd', 'd/ep']);
});

test('-r: the walk in nftw order (hash order on ext4), start paths as given, trailing slashes dropped', () => {
  for (const flags of [['-r'], ['-rv'], ['-r', '-v', '-n'], ['-nrv']]) {
    for (const start of ['d', 'd/', 'd//', './d', join(tree(), 'd'), 'd/many', 'd/sub/', 'd/empty', 'd/link', 'd/dirlink', 'f', 'missing']) {
      sameAsGetcap([...flags, start]);
    }
  }
  sameAsGetcap(['-rv', 'd/sub', 'd/many', 'f', 'missing', 'd/sub']);
});

test("getopt as glibc's: options after operands, '--', bundled letters, -h, invalid options, no operand", () => {
  sameAsGetcap(['f', '-v', 'd/plain']);
  sameAsGetcap(['d/plain', '-r', '-n', 'd/sub']);
  sameAsGetcap(['--', 'f']);
  sameAsGetcap(['-v', '--', '-v', 'f']);
  sameAsGetcap(['-rvn', 'd/sub']);
  for (const args of [['-h'], ['-x', 'f'], ['-vx', 'f'], ['--foo', 'f'], [], ['-n'], ['-v', '-r'], ['f', '-h']]) {
    const libcap = run('getcap', args, { cwd: tree() });
    const asGetcap = ours(args, 'getcap');
    assert.is(asGetcap.stderr, libcap.stderr, `getcap ${args.join(' ')}: stderr`);
    assert.is(asGetcap.stdout, libcap.stdout, `getcap ${args.join(' ')}: stdout`);
    assert.is(asGetcap.status, libcap.status, `getcap ${args.join(' ')}: status`);
    // As a subcommand, the texts name "setcap-static get".
    const asGet = ours(args);
    assert.is(asGet.stderr, libcap.stderr.replace(/getcap/g, 'setcap-static get'), `get ${args.join(' ')}: stderr`);
    assert.is(asGet.status, libcap.status);
  }
});

test('-l: the license, exit 0 (ours: the MIT License of this package)', () => {
  const license = ours(['-l']);
  assert.is(license.status, 0);
  assert.is(license.stdout, 'setcap-static get: MIT License, see the LICENSE file of the setcap-static package.\n');
  assert.is(run('getcap', ['-l']).status, 0);
});

test('the real program under the name getcap (a symlink named getcap to the bundle)', () => {
  const dir = scratchDir('getcap-name');
  symlinkSync(toolBundle(), join(dir, 'getcap'));
  for (const args of [['-n', 'd/rev3', 'f', 'missing'], ['-r', 'd'], ['-rv', 'd/sub']]) {
    const libcap = run('getcap', args, { cwd: tree() });
    const mine = run(process.execPath, [join(dir, 'getcap'), ...args], { cwd: tree() });
    assert.is(mine.stdout, libcap.stdout, `getcap ${args.join(' ')}`);
    assert.is(mine.stderr, libcap.stderr, `getcap ${args.join(' ')}`);
    assert.is(mine.status, libcap.status);
  }
  const viaGet = run(process.execPath, [toolBundle(), 'get', '-rn', 'd'], { cwd: tree() });
  assert.is(viaGet.stdout, run('getcap', ['-rn', 'd'], { cwd: tree() }).stdout);
});

test('more files than the open-file limit allows at once: read in several helper runs, same output', () => {
  const dir = scratchDir('getcap-many');
  const files = join(dir, 'files');
  mkdirSync(files);
  for (let i = 0; i < 300; i++) {
    writeFileSync(join(files, `f${i}`), '');
    if (i % 11 === 0) writeCapability(join(files, `f${i}`), '0100000200040000000000000000000000000000');
  }
  const libcap = run('getcap', ['-rv', 'files'], { cwd: dir });
  const mine = run('sh', ['-c', 'ulimit -n 64 && exec "$0" "$@"', process.execPath, toolBundle(), 'get', '-rv', 'files'], { cwd: dir });
  assert.is(mine.stderr, libcap.stderr);
  assert.is(mine.stdout, libcap.stdout);
  assert.is(mine.stdout.split('\n').length, 302);
});

test('openFileLimit reads the soft limit from /proc/self/limits', () => {
  const dir = scratchDir('limits');
  const limits = join(dir, 'limits');
  writeFileSync(limits, 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n');
  assert.is(openFileLimit(limits), 1024);
  writeFileSync(limits, 'Max open files            unlimited            unlimited            files\n');
  assert.is(openFileLimit(limits), 1 << 20);
  assert.is(openFileLimit(join(dir, 'none')), 1024);
  const shell = Number(execFileSync('sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }).trim());
  assert.is(openFileLimit(), shell);
});

test.run();
