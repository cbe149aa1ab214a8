// The message helpers: strerror texts against the C library's (python3 os.strerror is glibc's),
// file types against what stat(1) calls them, describeXattrError's wording per errno, and -n's
// number syntax against what libcap's setcap accepts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeFileType, describeXattrError, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, S_IFBLK } from '../../src/cli/messages';
import { parseRootid } from '../../src/cli/setcap';
import { KNOWN_ERRNOS, strerror } from '../../src/cli/strerror';
import { readCapability, requireOracle, run, scratchDir } from './harness';

test('strerror: the C library text for every errno it knows, and glibc\'s "Unknown error N"', () => {
  const glibc: Record<string, string> = JSON.parse(
    execFileSync('python3', ['-c', 'import os,sys,json; print(json.dumps({n: os.strerror(int(n)) for n in sys.argv[1:]}))', ...KNOWN_ERRNOS.map(String), '4242'], {
      encoding: 'utf8',
    }),
  );
  for (const errno of [...KNOWN_ERRNOS, 4242]) assert.is(strerror(errno), glibc[errno], `errno ${errno}`);
});

test('file types by st_mode', () => {
  assert.is(describeFileType(S_IFREG | 0o644), 'a regular file');
  assert.is(describeFileType(S_IFDIR | 0o755), 'a directory');
  assert.is(describeFileType(S_IFLNK | 0o777), 'a symbolic link');
  assert.is(describeFileType(S_IFIFO | 0o644), 'a FIFO (named pipe)');
  assert.is(describeFileType(S_IFCHR | 0o666), 'a character device');
  assert.is(describeFileType(S_IFBLK | 0o660), 'a block device');
  assert.is(describeFileType(S_IFSOCK | 0o755), 'a socket');
  // The constants are the kernel's: check them against stat(1) on real files.
  const dir = scratchDir('modes');
  writeFileSync(join(dir, 'f'), '');
  execFileSync('mkfifo', [join(dir, 'p')]);
  const raw = execFileSync('stat', ['-c', '%f', join(dir, 'f'), join(dir, 'p'), dir, '/dev/null'], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(
    raw.map((hex) => parseInt(hex, 16) & 0o170000),
    [S_IFREG, S_IFIFO, S_IFDIR, S_IFCHR],
  );
});

test('describeXattrError: one line per situation, naming the file first', () => {
  const cases: [Parameters<typeof describeXattrError>[0], string][] = [
    [{ path: 'a', action: 'set', errno: 2, stage: 'open' }, 'a: no such file or directory'],
    [{ path: 'l', action: 'set', errno: 40, stage: 'open', mode: S_IFLNK | 0o777, linkTarget: 't' }, "l: is a symbolic link (to t); capabilities are set on the link's target file, name it instead"],
    [{ path: 'l', action: 'set', errno: 40, stage: 'open' }, 'l: was a symbolic link when opened (it changed while the tool ran, or the path loops); nothing is set through a symbolic link'],
    [{ path: 'd', action: 'set', errno: 22, stage: 'type', mode: S_IFDIR | 0o755 }, 'd: not a regular file: it is a directory; file capabilities exist only on regular files'],
    [{ path: 's', action: 'set', errno: 6, stage: 'open', mode: S_IFSOCK | 0o755 }, 's: not a regular file: it is a socket; file capabilities exist only on regular files'],
    [
      { path: 'f', action: 'remove', errno: 1, stage: 'remove' },
      "f: not permitted to remove its capabilities: writing file capabilities needs CAP_SETFCAP (run as root; in a user namespace, the file's owner must be mapped into it)",
    ],
    [{ path: 'f', action: 'set', errno: 30, stage: 'set' }, 'f: is on a read-only file system: cannot set its capabilities'],
    [{ path: 'f', action: 'set', errno: 95, stage: 'get' }, 'f: its file system does not support security.capability (no extended attributes there)'],
    [{ path: 'f', action: 'remove', errno: 61, stage: 'remove' }, 'f: has no capability to remove'],
    [{ path: 'f', action: 'set', errno: 28, stage: 'set' }, 'f: no room for the attribute: cannot set its capabilities (No space left on device)'],
    [{ path: 'f', action: 'set', errno: 5, stage: 'set' }, 'f: cannot set its capabilities: Input/output error'],
    [{ path: 'f', action: 'get', errno: 13, stage: 'open', mode: S_IFREG | 0o000 }, 'f: permission denied (a directory on the path is not searchable, or the file is not readable)'],
  ];
  for (const [context, message] of cases) assert.is(describeXattrError(context), message);
});

test('-n: the numbers libcap setcap accepts are accepted, with the same value in the revision 3 bytes', () => {
  requireOracle();
  const dir = scratchDir('rootid');
  const accepted = ['1', '1000', '0x10', '0X1f', '010', '+5', ' 7', '\t8', '4294967294', '0x00000001'];
  const refused = ['0', '00', '0x0', '-1', ' -1', '5 ', 'x', '0x', '08', '1e3', '1.0', '', ' ', '+', '++1', '4294967295', '0xffffffff'];
  for (const text of [...accepted, ...refused]) {
    writeFileSync(join(dir, 'f'), '');
    const libcap = run('setcap', ['-n', text, 'cap_chown=ep', 'f'], { cwd: dir });
    const ours = parseRootid(text);
    assert.is(ours !== undefined, libcap.status === 0, `-n ${JSON.stringify(text)}: libcap status ${libcap.status} ${libcap.stderr}`);
    if (ours !== undefined) {
      const hex = readCapability(join(dir, 'f'))!;
      assert.is(Buffer.from(hex, 'hex').readUInt32LE(20), ours, `-n ${JSON.stringify(text)}`);
    }
    execFileSync('rm', [join(dir, 'f')]);
  }
  // Beyond 32 bits libcap truncates (2^32 + 1 becomes 1); refused here.
  assert.is(parseRootid('4294967297'), undefined);
});

test.run();
