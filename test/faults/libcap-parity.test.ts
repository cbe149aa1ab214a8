// Odd targets, differentially: every single-target setcap command line (set, -r, -v, -q, -n) on
// every kind of file, run by the tool and by libcap's setcap on identical twin directories. The
// exit status and the resulting trees (contents, types, raw security.capability) must be the
// same. The one place libcap cannot be the oracle is a FIFO: its setcap opens the FIFO and
// blocks forever (checked here with a timeout); the tool must refuse it (exit 1) and change nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertUnchanged, isVerifyDivergence, PYTHON, scratchDir, snapshotTree, toolBundle, writeCapability } from './harness';

const NET_RAW_EP = '0100000200200000000000000000000000000000';

/** The same starting tree in `dir`: a file with cap_net_raw=ep, one without, and every odd kind of name. */
function populate(dir: string): void {
  mkdirSync(dir);
  writeFileSync(join(dir, 'f'), 'f\n');
  writeCapability(join(dir, 'f'), NET_RAW_EP);
  writeFileSync(join(dir, 'nocap'), 'nocap\n');
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
  symlinkSync('f', join(dir, 'link'));
  symlinkSync('nowhere', join(dir, 'dangling'));
  mkdirSync(join(dir, 'd'));
  execFileSync(PYTHON, ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', join(dir, 'sock')]);
}

const TARGETS = ['f', 'nocap', 'fifo', 'null', 'sock', 'link', 'dangling', 'd', 'missing', 'f/', 'f/x', 'n'.repeat(256)];
const OPERATIONS = [['cap_net_raw+ep'], ['-r'], ['-v', 'cap_net_raw+ep'], ['-v', 'cap_kill+ep'], ['-q', 'cap_chown+p'], ['-n', '5', 'cap_chown+p'], ['='], ['cap_net_raw=ep cap_kill+e']];

function run(command: string[], cwd: string) {
  return spawnSync(command[0]!, command.slice(1), { cwd, encoding: 'utf8', timeout: 5000, killSignal: 'SIGKILL' });
}

test('every single-target command line on every kind of file: the same exit status and the same tree as libcap', () => {
  const root = scratchDir('parity');
  const differences: string[] = [];
  const divergences: string[] = [];
  let compared = 0;
  for (const target of TARGETS) {
    for (const operation of OPERATIONS) {
      const name = `${operation.join(' ')} ${target}`;
      const ours = join(root, `ours-${compared}`);
      const theirs = join(root, `libcap-${compared}`);
      populate(ours);
      populate(theirs);
      const before = snapshotTree(ours);
      const mine = run([process.execPath, toolBundle(), ...operation, target], ours);
      assert.not.ok(mine.error, `${name}: the tool did not finish (${mine.error?.message})`);
      assert.not.match(mine.stderr, /\n\s+at .+[(:]\d+|node:internal/, `${name}: stack trace`);
      if (mine.status !== 0) assert.ok((mine.stderr + mine.stdout).trim().length > 0, `${name}: exit ${mine.status} without a message`);
      const libcap = target === 'fifo' ? undefined : run(['setcap', ...operation, target], theirs);
      compared++;
      if (libcap === undefined) {
        assert.is(mine.status, 1, `${name}: ${mine.stderr}`);
        assertUnchanged(before, snapshotTree(ours), `${name}: the tree`);
        continue;
      }
      assert.not.ok(libcap.error, `${name}: libcap's setcap did not finish (${libcap.error?.message})`);
      if (mine.status === 1 && libcap.status === 0 && isVerifyDivergence(operation, mine.stderr)) {
        divergences.push(`${name}: ours ${mine.stderr.trim()}; libcap ${libcap.stdout.trim()}`);
        assertUnchanged(before, snapshotTree(ours), `${name}: the tree`);
        continue;
      }
      if (mine.status !== libcap.status) {
        differences.push(`${name}: exit ${mine.status} (${(mine.stderr || mine.stdout).trim()}), libcap exit ${libcap.status} (${(libcap.stderr || libcap.stdout).trim()})`);
        continue;
      }
      const a = JSON.stringify(snapshotTree(ours));
      const b = JSON.stringify(snapshotTree(theirs));
      if (a !== b) differences.push(`${name}: trees differ: ours ${a} libcap ${b}`);
    }
  }
  // libcap's setcap really does hang on a FIFO: the reason it is not the oracle there.
  const dir = join(root, 'fifo-oracle');
  populate(dir);
  const hang = spawnSync('setcap', ['cap_net_raw+ep', 'fifo'], { cwd: dir, timeout: 1000, killSignal: 'SIGKILL' });
  assert.is(hang.signal, 'SIGKILL', 'libcap setcap on a FIFO no longer hangs: make it the oracle there too');
  console.log(`parity: ${compared} command lines compared with libcap`);
  if (divergences.length > 0) console.log(`setcap -v divergences (see isVerifyDivergence in harness.ts):\n  ${divergences.join('\n  ')}`);
  assert.equal(differences, [], differences.join('\n'));
});

test.run();
