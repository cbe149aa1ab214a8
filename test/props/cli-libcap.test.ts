// setcap's command line, differentially: random argv (options, capability texts, file names,
// `-` with text on standard input) through main() in-process and through libcap's setcap, each
// in its own twin directory. The exit status must be libcap's; when both succeed, the two trees
// (contents, types, raw security.capability) must be identical; when libcap fails, ours must
// have changed nothing (libcap may have set the pairs before the failing one: ours is all or
// nothing by design). FIFOs are left out: libcap's setcap blocks on them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliEnv } from '../../src/cli/env';
import { main } from '../../src/cli/main';
import { isVerifyDivergence, scratchDir, snapshotTree } from '../faults/harness';

const OPTIONS = ['-q', '-v', '-n', '-r', '-', '5', '0', '-1', '4294967294', '4294967295', 'x', '--license', '-h', '-f', '--'];
const TEXTS = ['cap_net_raw+ep', 'cap_net_raw=ep', '=', '', 'all=ep', 'cap_chown=p+e-p', 'cap_foo=ep', '64=ep', '63=ep', 'cap_kill+p cap_chown+ep', 'CAP_KILL=i', 'cap_net_raw-ep', '=p cap_kill-p'];
const FILES = ['file', 'nocap', 'missing', 'dir', 'link', 'dangling', 'null', 'file/', 'nocap2'];
const STDIN = ['', 'cap_net_raw+ep', 'cap_net_raw+ep\n', 'cap_foo', '=', 'cap_chown=p\ncap_kill=p'];

const word = fc.oneof(fc.constantFrom(...OPTIONS), fc.constantFrom(...TEXTS), fc.constantFrom(...FILES));
const VALID_TEXTS = ['cap_net_raw+ep', 'cap_net_raw=ep', '=', 'all=ep', 'cap_chown=p+e-p', 'CAP_KILL=i', '63=ep', '=p cap_kill-p', 'cap_net_raw-ep'];
const REGULAR = ['file', 'nocap', 'nocap2'];
const argvArbitrary = fc.oneof(
  fc.array(word, { minLength: 1, maxLength: 6 }),
  // mostly valid: to compare the trees libcap and we leave after success
  fc
    .tuple(fc.array(fc.constantFrom('-q', '-v', '-n', '7'), { maxLength: 1 }), fc.array(fc.tuple(fc.constantFrom(...VALID_TEXTS, '-r', '-'), fc.constantFrom(...REGULAR)), { minLength: 1, maxLength: 3 }))
    .map(([options, pairs]) => [...(options[0] === '-n' ? ['-n', '7'] : options), ...pairs.flat()]),
  fc
    .tuple(fc.array(fc.constantFrom('-q', '-v', '-n', '7', '-r'), { maxLength: 2 }), fc.array(fc.tuple(fc.constantFrom(...TEXTS, '-r', '-'), fc.constantFrom(...FILES)), { minLength: 1, maxLength: 3 }))
    .map(([options, pairs]) => [...options, ...pairs.flat()]),
);

/** Ours, for options without any CAPS FILE pair (libcap: nothing, exit 0): the second known difference. */
const NO_PAIR = 'setcap-static: no (-r|-|<caps>) <filename> pair given\n';

const CASES = Number(process.env.CLI_LIBCAP_CASES ?? 300);

function populate(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(join(dir, 'file'), 'file\n');
  writeFileSync(join(dir, 'nocap'), 'nocap\n');
  writeFileSync(join(dir, 'nocap2'), 'nocap2\n');
  mkdirSync(join(dir, 'dir'));
  symlinkSync('file', join(dir, 'link'));
  symlinkSync('nowhere', join(dir, 'dangling'));
  execFileSync('mknod', [join(dir, 'null'), 'c', '1', '3']);
  execFileSync('setcap', ['cap_net_raw=ep', join(dir, 'file')]);
}

test(`${CASES} random setcap command lines: libcap's exit status, libcap's tree on success, nothing changed on failure`, () => {
  const root = scratchDir('props-cli-libcap');
  const ours = join(root, 'ours');
  const theirs = join(root, 'libcap');
  const program = join(root, 'setcap-static');
  writeFileSync(program, '');
  const home = process.cwd();
  let agreedSuccess = 0;
  let agreedFailure = 0;
  let calls = 0;
  let noOracle = 0;
  let noPairDivergences = 0;
  const verifyDivergences = new Set<string>();
  try {
    fc.assert(
      fc.property(argvArbitrary, fc.constantFrom(...STDIN), (argv, stdin) => {
        calls++;
        populate(ours);
        populate(theirs);
        const libcap = spawnSync('setcap', argv, { cwd: theirs, input: stdin, encoding: 'utf8', timeout: 5000, killSignal: 'SIGKILL' });
        // EPIPE: setcap exited without reading its input; its status stands. A timeout: no oracle.
        const code = (libcap.error as NodeJS.ErrnoException | undefined)?.code;
        if ((libcap.error && code !== 'EPIPE') || libcap.signal) {
          noOracle++;
          return;
        }
        const before = snapshotTree(ours);
        let stdout = '';
        let stderr = '';
        let input: Uint8Array | undefined = Buffer.from(stdin);
        const env: CliEnv = {
          readStdin: (max) => {
            const chunk = (input ?? new Uint8Array(0)).subarray(0, max);
            input = input?.subarray(chunk.length);
            return chunk;
          },
          stdout: (text) => void (stdout += text),
          stderr: (text) => void (stderr += text),
          programPath: program,
          invokedName: 'setcap-static',
          lastCap: 40,
        };
        process.chdir(ours);
        let status: number;
        try {
          status = main(argv, env);
        } finally {
          process.chdir(home);
        }
        const what = `argv ${JSON.stringify(argv)} stdin ${JSON.stringify(stdin)}: ours ${status} ${JSON.stringify(stderr || stdout)}, libcap ${libcap.status} ${JSON.stringify(libcap.stderr || libcap.stdout)}`;
        if (status === 1 && libcap.status === 0 && stderr.startsWith(NO_PAIR)) {
          // libcap's setcap given options and no pair does nothing and exits 0; ours says so and exits 1.
          noPairDivergences++;
          assert.equal(snapshotTree(ours), before, `a failing command line changed files: ${what}`);
          return;
        }
        if (status === 1 && libcap.status === 0 && isVerifyDivergence(argv, stderr)) {
          // See isVerifyDivergence: counted and printed, and the files must be untouched.
          verifyDivergences.add(`${argv.join(' ')} -> ${stderr.trim()}`);
          assert.equal(snapshotTree(ours), before, `a failing command line changed files: ${what}`);
          return;
        }
        assert.is(status, libcap.status, `exit status: ${what}`);
        if (status === 0) {
          assert.equal(snapshotTree(ours), snapshotTree(theirs), `trees differ: ${what}`);
          agreedSuccess++;
        } else {
          assert.equal(snapshotTree(ours), before, `a failing command line changed files: ${what}`);
          agreedFailure++;
        }
      }),
      { numRuns: CASES, seed: Number(process.env.CLI_LIBCAP_SEED ?? 4242), endOnFailure: true },
    );
  } finally {
    process.chdir(home);
  }
  console.log(`cli vs libcap: ${calls} command lines, ${agreedSuccess} agreed successes, ${agreedFailure} agreed failures, ${noOracle} without an oracle`);
  if (noPairDivergences > 0) console.log(`options without a pair (libcap: exit 0, ours: exit 1 "${NO_PAIR.trim()}"): ${noPairDivergences}`);
  if (verifyDivergences.size > 0) console.log(`setcap -v divergences from libcap (see isVerifyDivergence):\n  ${[...verifyDivergences].join('\n  ')}`);
  assert.ok(noOracle < calls / 10, `libcap's setcap did not finish ${noOracle} times`);
});

// libcap applies the pairs one after the other, so a later pair on the same file sees what an
// earlier one wrote: `setcap = f -r f` sets an empty capability and then removes it (exit 0).
test('a file named in two pairs: the second sees what the first wrote, as with libcap', () => {
  const root = scratchDir('props-cli-twice');
  const cases: string[][] = [
    ['=', 'nocap', '-r', 'nocap'],
    ['cap_kill+p', 'nocap', '-v', 'cap_kill+p', 'nocap'],
    ['-r', 'file', 'cap_chown+ep', 'file'],
    ['cap_chown+ep', 'nocap', 'cap_kill+ep', 'nocap'],
  ];
  const failures: string[] = [];
  for (const [i, argv] of cases.entries()) {
    const ours = join(root, `ours-${i}`);
    const theirs = join(root, `libcap-${i}`);
    populate(ours);
    populate(theirs);
    const libcap = spawnSync('setcap', argv, { cwd: theirs, encoding: 'utf8' });
    let stderr = '';
    const home = process.cwd();
    process.chdir(ours);
    let status: number;
    try {
      status = main(argv, {
        readStdin: () => new Uint8Array(0),
        stdout: () => undefined,
        stderr: (text) => void (stderr += text),
        programPath: join(root, 'program'),
        invokedName: 'setcap-static',
        lastCap: 40,
      });
    } finally {
      process.chdir(home);
    }
    const same = status === libcap.status && JSON.stringify(snapshotTree(ours)) === JSON.stringify(snapshotTree(theirs));
    if (!same) failures.push(`setcap ${argv.join(' ')}: ours exit ${status} ${JSON.stringify(stderr)}, libcap exit ${libcap.status} ${JSON.stringify(libcap.stderr)}`);
  }
  assert.equal(failures, [], failures.join('\n'));
});

test.run();
