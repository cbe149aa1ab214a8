// Every refusal of the setcap command line: the exact message, exit status 1 (libcap's setcap
// exits 1 in each of these situations too, checked here where it does not hang), and the files
// exactly as they were.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atExit, readCapabilities, readCapability, requireOracle, run, runMain, runTool, scratchDir, toolBundle, writeCapability, type Run } from './harness';

const SYNOPSIS =
  'usage: setcap-static [-h] [-q] [-v] [-n <rootid>] (-r|-|<caps>) <filename> [ ... (-r|-|<capsN>) <filenameN> ]\n';
const EP_CHOWN = '0100000201000000000000000000000000000000';

test.before(() => requireOracle());

/** A directory holding `good` (with a capability), `plain` (none), `link` -> `victim`, `sub/`. */
function tree(what: string): string {
  const dir = scratchDir(what);
  writeFileSync(join(dir, 'good'), 'good\n');
  writeCapability(join(dir, 'good'), EP_CHOWN);
  writeFileSync(join(dir, 'plain'), 'plain\n');
  writeFileSync(join(dir, 'victim'), 'victim\n');
  symlinkSync('victim', join(dir, 'link'));
  mkdirSync(join(dir, 'sub'));
  return dir;
}

/** Runs ours in `dir` (in-process), checks the message, status 1, stdout empty, no file changed. */
function refused(dir: string, args: string[], stderr: string, options: { input?: string } = {}): void {
  const before = readCapabilities(dir);
  const previous = process.cwd();
  process.chdir(dir);
  let ours;
  try {
    ours = runMain(args, { input: options.input });
  } finally {
    process.chdir(previous);
  }
  assert.is(ours.stderr, stderr, `setcap-static ${args.join(' ')}`);
  assert.is(ours.status, 1, `exit status of setcap-static ${args.join(' ')}`);
  assert.is(ours.stdout, '');
  assert.equal(readCapabilities(dir), before, `setcap-static ${args.join(' ')} changed a file`);
}

/** libcap's setcap on the same arguments in a copy: exits 1 as well. */
function libcapFails(what: string, args: string[], input?: string): Run {
  const dir = tree(`libcap-${what}`);
  const libcap = run('setcap', args, { cwd: dir, input });
  assert.is(libcap.status, 1, `libcap setcap ${args.join(' ')}: ${libcap.stderr}`);
  return libcap;
}

test('bad capability text: the text, the token and its offset, the nearest names', () => {
  const dir = tree('text');
  const cases: [string[], string][] = [
    [
      ['cap_net_bind_servce=ep', 'plain'],
      "setcap-static: cap_net_bind_servce=ep: unknown capability 'cap_net_bind_servce' at offset 0 (did you mean cap_net_bind_service?)\n",
    ],
    [['cap_net_raw=ex', 'plain'], "setcap-static: cap_net_raw=ex: flag 'x' is not one of e, i, p at offset 13\n"],
    [['64=ep', 'plain'], 'setcap-static: 64=ep: capability number 64 at offset 0 is out of range (0..63)\n'],
    [['cap_chown', 'plain'], "setcap-static: cap_chown: expected '=', '+' or '-' after the capability list at offset 9, found the end of the text\n"],
  ];
  for (const [args, message] of cases) {
    refused(dir, args, message);
    libcapFails('text', args);
  }
});

test("the effective rule: libcap's NOTE, with the capabilities that break it", () => {
  const dir = tree('effective');
  for (const text of ['cap_chown=p cap_kill=e', 'cap_chown,cap_kill=ep cap_kill-e']) {
    refused(
      dir,
      [text, 'plain'],
      `setcap-static: ${text}: effective file capabilities must either be empty, or exactly match the union of selected permitted and inheritable bits (not effective: ${text.startsWith('cap_chown=p') ? 'cap_chown' : 'cap_kill'})\n`,
    );
    libcapFails('effective', [text, 'plain']);
  }
});

test('a missing file, a symlink, a directory, a FIFO, a character device: each named', () => {
  const dir = tree('types');
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
  const cases: [string, string][] = [
    ['missing', 'setcap-static: missing: no such file or directory\n'],
    ['link', "setcap-static: link: is a symbolic link (to victim); capabilities are set on the link's target file, name it instead\n"],
    ['sub', 'setcap-static: sub: not a regular file: it is a directory; file capabilities exist only on regular files\n'],
    ['fifo', 'setcap-static: fifo: not a regular file: it is a FIFO (named pipe); file capabilities exist only on regular files\n'],
    ['null', 'setcap-static: null: not a regular file: it is a character device; file capabilities exist only on regular files\n'],
    ['plain/x', 'setcap-static: plain/x: a component of the path is not a directory\n'],
  ];
  for (const [target, message] of cases) {
    refused(dir, ['cap_net_raw+ep', target], message);
    // libcap's setcap blocks opening a FIFO (open without O_NONBLOCK): not run on it.
    if (target !== 'fifo' && target !== 'null') libcapFails('types', ['cap_net_raw+ep', target]);
  }
  // A symlink is refused even when it points to a regular file; its target is not touched.
  assert.is(readCapability(join(dir, 'victim')), null);
});

test('-v on a file it cannot read: said, exit 1 (libcap compares an empty state and prints "differs")', () => {
  const dir = tree('verify');
  refused(dir, ['-v', 'cap_chown=ep', 'missing'], 'setcap-static: missing: no such file or directory\n');
  refused(dir, ['-v', '-r', 'link'], "setcap-static: link: is a symbolic link (to victim); capabilities are set on the link's target file, name it instead\n");
  const libcap = libcapFails('verify', ['-v', 'cap_chown=ep', 'missing']);
  assert.is(libcap.stdout, 'missing differs in [pe]\n');
});

test('-r on a file without a capability', () => {
  const dir = tree('remove');
  refused(dir, ['-r', 'plain'], 'setcap-static: plain: has no capability to remove\n');
  libcapFails('remove', ['-r', 'plain']);
});

test('usage errors: missing file, -n without or with a bad rootid, an unknown option, no pair', () => {
  const dir = tree('usage');
  const cases: [string[], string][] = [
    [['cap_chown=ep'], "setcap-static: missing <filename> after the capabilities 'cap_chown=ep'\n"],
    [['cap_kill=ep', 'plain', '-r'], "setcap-static: missing <filename> after '-r'\n"],
    [['-n'], 'setcap-static: -n needs a <rootid>: the user id (not 0) that owns the capability\n'],
    [['-x', 'plain'], "setcap-static: unknown option '-x'\n"],
  ];
  for (const value of ['0', 'abc', '-5', '5 ', '12abc', '1e3', '4294967295', '18446744073709551615', '']) {
    cases.push([['-n', value, 'cap_chown=ep', 'plain'], `setcap-static: -n: bad rootid '${value}': want a positive integer, a user id from 1 to 4294967294\n`]);
  }
  for (const [args, message] of cases) {
    refused(dir, args, message + SYNOPSIS);
    libcapFails('usage', args);
  }
  refused(dir, ['-q'], `setcap-static: no (-r|-|<caps>) <filename> pair given\n${SYNOPSIS}`);
});

test('-n 4294967296: libcap truncates it to 0 and writes revision 2; setcap-static refuses it', () => {
  const dir = tree('rootid-wrap');
  refused(
    dir,
    ['-n', '4294967296', 'cap_chown=ep', 'plain'],
    `setcap-static: -n: bad rootid '4294967296': want a positive integer, a user id from 1 to 4294967294\n${SYNOPSIS}`,
  );
  const libcapDir = tree('rootid-wrap-libcap');
  assert.is(run('setcap', ['-n', '4294967296', 'cap_chown=ep', 'plain'], { cwd: libcapDir }).status, 0);
  assert.is(readCapability(join(libcapDir, 'plain')), EP_CHOWN, 'libcap wrote revision 2 for rootid 2^32');
});

test("'-' with nothing on stdin", () => {
  const dir = tree('stdin');
  refused(
    dir,
    ['-', 'plain'],
    `Please enter caps for file [empty line to end]:\nsetcap-static: no capability text on stdin (for '-'); use -r to remove capabilities\n${SYNOPSIS}`,
  );
  refused(dir, ['-q', '-', 'plain'], `setcap-static: no capability text on stdin (for '-'); use -r to remove capabilities\n${SYNOPSIS}`, {
    input: '\ncap_chown=ep\n',
  });
  libcapFails('stdin', ['-', 'plain'], '');
  refused(
    dir,
    ['-q', '-', 'plain'],
    'setcap-static: caps read from stdin "cap_chown=p cap_kill=e": effective file capabilities must either be empty, or exactly match the union of selected permitted and inheritable bits (not effective: cap_chown)\n',
    { input: 'cap_chown=p cap_kill=e\n' },
  );
});

test('all or nothing: the second pair fails (missing file, bad text) and the first file is unchanged', () => {
  const dir = tree('pairs');
  refused(dir, ['cap_net_raw+ep', 'plain', 'cap_net_raw+ep', 'missing'], 'setcap-static: missing: no such file or directory\nsetcap-static: no file was changed\n');
  refused(dir, ['-r', 'good', 'cap_net_raw+ep', 'sub'], 'setcap-static: sub: not a regular file: it is a directory; file capabilities exist only on regular files\nsetcap-static: no file was changed\n');
  refused(dir, ['cap_net_raw+ep', 'plain', 'cap_net_rawx+ep', 'good'], "setcap-static: cap_net_rawx+ep: unknown capability 'cap_net_rawx' at offset 0 (did you mean cap_net_raw?)\n");
  // libcap sets the first file before it meets the second pair.
  const libcapDir = tree('pairs-libcap');
  assert.is(run('setcap', ['cap_net_raw+ep', 'plain', 'cap_net_raw+ep', 'missing'], { cwd: libcapDir }).status, 1);
  assert.is.not(readCapability(join(libcapDir, 'plain')), null);
});

/** Mounts a file system of `type` on a fresh directory; unmounted at exit. */
function mounted(type: string, what: string): string {
  const dir = scratchDir(what);
  const mount = spawnSync('mount', ['-t', type, '-o', type === 'tmpfs' ? 'size=1m' : 'mode=755', `setcap-static-cli-${what}`, dir], { encoding: 'utf8' });
  if (mount.status !== 0) assert.unreachable(`mount -t ${type} failed (needs root with CAP_SYS_ADMIN): ${mount.stderr}`);
  atExit(() => spawnSync('umount', ['-l', dir]));
  return dir;
}

test('a file system without extended attributes (ramfs): EOPNOTSUPP', () => {
  const dir = mounted('ramfs', 'ramfs');
  writeFileSync(join(dir, 'app'), 'app\n');
  refused(dir, ['cap_net_raw+ep', 'app'], 'setcap-static: app: its file system does not support security.capability (no extended attributes there)\n');
  assert.is(run('setcap', ['cap_net_raw+ep', 'app'], { cwd: dir }).status, 1);
});

test('a read-only file system: EROFS; with an earlier pair written and undone', () => {
  const ro = mounted('tmpfs', 'ro');
  writeFileSync(join(ro, 'app'), 'app\n');
  writeFileSync(join(ro, 'libcap'), 'libcap\n');
  execFileSync('mount', ['-o', 'remount,ro', ro]);
  refused(ro, ['cap_net_raw+ep', 'app'], 'setcap-static: app: is on a read-only file system: cannot set its capabilities\n');
  assert.is(run('setcap', ['cap_net_raw+ep', 'libcap'], { cwd: ro }).status, 1);

  // The first file is written, the second write fails: the first is put back as it was.
  const dir = tree('rollback');
  const args = ['cap_net_raw+ep', join(dir, 'plain'), '-r', join(dir, 'good'), 'cap_net_raw+ep', join(ro, 'app')];
  const before = readCapabilities(dir);
  const ours = runMain(args);
  assert.is(
    ours.stderr,
    `setcap-static: ${join(ro, 'app')}: is on a read-only file system: cannot set its capabilities\n` +
      'setcap-static: no file was changed: the 2 writes before it were undone\n',
  );
  assert.is(ours.status, 1);
  assert.equal(readCapabilities(dir), before);
});

test('without CAP_SETFCAP: EPERM, needs CAP_SETFCAP (the real program under setpriv)', () => {
  const dir = tree('eperm');
  const withoutSetfcap = ['--inh-caps=-all', '--bounding-set=-setfcap', '--'];
  const before = readCapabilities(dir);
  const ours = run('setpriv', [...withoutSetfcap, process.execPath, toolBundle(), 'cap_net_raw+ep', 'plain', '-r', 'good'], { cwd: dir });
  assert.is(
    ours.stderr,
    "setcap-static: plain: not permitted to set its capabilities: writing file capabilities needs CAP_SETFCAP (run as root; in a user namespace, the file's owner must be mapped into it)\n" +
      'setcap-static: no file was changed\n',
  );
  assert.is(ours.status, 1);
  assert.equal(readCapabilities(dir), before);
  const libcap = run('setpriv', [...withoutSetfcap, 'setcap', 'cap_net_raw+ep', 'plain'], { cwd: dir });
  assert.is(libcap.status, 1, libcap.stderr);
});

test('the real program: no stack trace, exit 1, for a refusal', () => {
  const dir = tree('bundle');
  const ours = runTool(['cap_net_raw+ep', 'link'], { cwd: dir });
  assert.is(ours.status, 1);
  assert.is(ours.stderr, "setcap-static: link: is a symbolic link (to victim); capabilities are set on the link's target file, name it instead\n");
});

test.run();
