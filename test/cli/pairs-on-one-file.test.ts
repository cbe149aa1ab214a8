// setcap command lines naming a file in more than one pair, against libcap's setcap, which applies
// the pairs one after the other: a later pair sees what an earlier one wrote. Same exit status;
// on success the same attributes (read by python3), on failure nothing changed here (libcap may
// have applied the pairs before the failing one) and the message names the failing pair's file.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readCapabilities, requireOracle, run, runMain, scratchDir, writeCapability } from './harness';

const KILL = '0000000200000000200000000000000000000000';

/** f has cap_kill+p (raw bytes), g has none. */
function populate(dir: string): void {
  mkdirSync(dir);
  writeFileSync(join(dir, 'f'), '');
  writeFileSync(join(dir, 'g'), '');
  writeCapability(join(dir, 'f'), KILL);
}

const COMMAND_LINES: string[][] = [
  ['=', 'g', '-r', 'g'],
  ['-r', 'f', 'cap_chown+ep', 'f'],
  ['-r', 'g', 'cap_chown+ep', 'g'],
  ['-r', 'f', '-r', 'f'],
  ['cap_chown+ep', 'g', '-r', 'g', '-r', 'g'],
  ['cap_chown+ep', 'g', 'cap_net_raw+ep', 'f', '-r', 'g', 'cap_kill+p', 'g'],
  ['cap_chown+ep', 'g', '-v', 'cap_chown+ep', 'g'],
  ['-r', 'f', '-v', 'cap_kill+p', 'f'],
  ['cap_chown+ep', './g', '-r', 'g'],
  ['cap_chown+ep', 'g', '-v', 'cap_chown+ep', './g'],
];

test('a file named in several pairs: libcap setcap status and attributes, all or nothing', () => {
  requireOracle();
  const root = scratchDir('pairs');
  COMMAND_LINES.forEach((argv, i) => {
    const ours = join(root, `ours-${i}`);
    const theirs = join(root, `libcap-${i}`);
    populate(ours);
    populate(theirs);
    const before = readCapabilities(ours);
    const libcap = run('setcap', argv, { cwd: theirs });
    const home = process.cwd();
    process.chdir(ours);
    let result;
    try {
      result = runMain(argv);
    } finally {
      process.chdir(home);
    }
    const what = `setcap ${argv.join(' ')}: ours ${result.status} ${JSON.stringify(result.stderr)}, libcap ${libcap.status} ${JSON.stringify(libcap.stderr)}`;
    assert.is(result.status, libcap.status, what);
    if (libcap.status === 0) assert.equal(readCapabilities(ours), readCapabilities(theirs), what);
    else assert.equal(readCapabilities(ours), before, what);
  });
});

test('a remove after a remove of the same file: libcap\'s refusal, for the second pair, nothing changed', () => {
  requireOracle();
  const dir = join(scratchDir('pairs-remove'), 'd');
  populate(dir);
  copyFileSync(join(dir, 'g'), join(dir, 'h'));
  const home = process.cwd();
  process.chdir(dir);
  let result;
  try {
    result = runMain(['cap_chown+ep', 'h', '-r', 'f', '-r', 'f']);
  } finally {
    process.chdir(home);
  }
  assert.is(result.status, 1);
  assert.is(result.stderr, 'setcap-static: f: has no capability to remove\nsetcap-static: no file was changed\n');
  assert.equal(readCapabilities(dir), { f: KILL, g: null, h: null });
});

test.run();
