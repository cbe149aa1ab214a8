// The command line under random argv: the esbuild bundle of src/cli/bin.ts, spawned in a private
// mount namespace (fresh /tmp and /dev/shm) with a scratch directory as its working directory.
// Every run must end with exit 0 or 1 (never a crash, a signal or a hang), never print a stack
// trace, print a message when it fails, and touch nothing outside the scratch directory: the
// words are built only from names inside it (no '..', no absolute path: `get -r /` would walk
// the machine), and /tmp, /dev/shm and the tool itself are checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool, scratchDir, sha256, toolBundle } from '../faults/harness';

const WORDS = [
  // setcap's and getcap's options, the subcommands and their options
  '-q', '-v', '-n', '-r', '-h', '--help', '--license', '-', '--', '-x', '--bogus', '-nq', 'get', '-R', 'pack',
  '--output', '-o', '--input', '-i', '--mode', '--owner', '--mtime', '--no-parents', '-n0', '0', '1000', '-1', '4294967295', '99999999999',
  // capability texts, valid and not
  'cap_net_raw+ep', '=', '', 'all=ep', '=ep', 'cap_chown=p+e-p', 'cap_foo=ep', 'cap_net_raw=ex', '64=ep', '63=ep', 'cap_net_raw+p cap_chown+ep',
  'CAP_NET_BIND_SERVICE=eip', 'cap_net_bind_servic=ep', ' ', '\t', 'é', '%s%n', '=e',
  // paths, all inside the scratch directory
  'file', 'file2', 'missing', 'dir', 'dir/', 'link', 'dangling', 'fifo', 'out.tar', 'file:/app', 'file:/', 'missing:/app', 'file:', ':/x', '.',
];

const argvArbitrary = fc.array(fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...WORDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }).filter((w) => !w.includes('\0') && !w.includes('..') && !w.startsWith('/')) }), {
  minLength: 0,
  maxLength: 7,
});

const CASES = Number(process.env.CLI_PROP_CASES ?? 120);

function populate(dir: string): void {
  for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
  writeFileSync(join(dir, 'file'), 'file\n');
  writeFileSync(join(dir, 'file2'), 'file2\n');
  mkdirSync(join(dir, 'dir'));
  symlinkSync('file', join(dir, 'link'));
  symlinkSync('nowhere', join(dir, 'dangling'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
}

test(`${CASES} random command lines: exit 0 or 1, a message on failure, no stack trace, nothing outside the scratch dir`, () => {
  const dir = scratchDir('props-cli');
  const toolHash = sha256(toolBundle());
  const seen = new Map<number, number>();
  fc.assert(
    fc.property(argvArbitrary, (argv) => {
      populate(dir);
      const run = runTool(argv, { cwd: dir, timeout: 20 });
      const what = `argv ${JSON.stringify(argv)}: status ${run.status}, stderr ${JSON.stringify(run.stderr)}`;
      assert.not.ok(run.timedOut, `hang: ${what}`);
      assert.ok(run.status === 0 || run.status === 1, `exit status: ${what}`);
      assert.not.match(run.stderr, /\n\s+at .+[(:]\d+|node:internal|TypeError|ReferenceError|RangeError|SyntaxError/, `stack trace: ${what}`);
      if (run.status === 1) assert.ok(run.stderr.trim().length > 0, `exit 1 without a message: ${what}`);
      assert.equal(run.stray, [], `left in /tmp or /dev/shm: ${what}`);
      seen.set(run.status!, (seen.get(run.status!) ?? 0) + 1);
    }),
    { numRuns: CASES, seed: Number(process.env.CLI_PROP_SEED ?? 20261204), endOnFailure: true },
  );
  assert.is(sha256(toolBundle()), toolHash, 'the tool itself changed');
  console.log('cli props: exit statuses', Object.fromEntries(seen));
});

test.run();
