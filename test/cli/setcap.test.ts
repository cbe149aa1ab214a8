// setcap-static's setcap command line against libcap 2.66 setcap: the same arguments on the same
// starting files, then the exit status, stdout, and every file's security.capability bytes
// (read raw by python3) and getcap text must be the same.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapabilities, readCapability, requireOracle, run, runMain, runTool, scratchDir, writeCapability, kernelLastCap } from './harness';

interface Case {
  args: string[];
  /** Files to create, with an optional starting attribute (hex). */
  files?: Record<string, string | null>;
  input?: string;
}

function prepare(dir: string, files: Record<string, string | null>): void {
  for (const [name, hex] of Object.entries(files)) {
    writeFileSync(join(dir, name), `${name}\n`);
    if (hex) writeCapability(join(dir, name), hex);
  }
}

const attributes = readCapabilities;

function getcapOf(dir: string): string {
  return run('getcap', ['-n', ...readdirSync(dir).sort()], { cwd: dir }).stdout;
}

/** Runs libcap's setcap and ours (in-process, cwd = its own copy of the files). */
function both(c: Case): { libcap: ReturnType<typeof run>; ours: ReturnType<typeof runMain>; libcapDir: string; oursDir: string } {
  const files = c.files ?? { f: null };
  const libcapDir = scratchDir('libcap');
  const oursDir = scratchDir('ours');
  prepare(libcapDir, files);
  prepare(oursDir, files);
  const libcap = run('setcap', c.args, { cwd: libcapDir, input: c.input });
  const previous = process.cwd();
  process.chdir(oursDir);
  let ours;
  try {
    ours = runMain(c.args, { input: c.input, lastCap: kernelLastCap() });
  } finally {
    process.chdir(previous);
  }
  return { libcap, ours, libcapDir, oursDir };
}

function sameAsLibcap(c: Case): void {
  const { libcap, ours, libcapDir, oursDir } = both(c);
  const what = `setcap ${c.args.map((a) => JSON.stringify(a)).join(' ')}`;
  assert.is(ours.status, libcap.status, `${what}: exit status (ours: ${ours.stderr}, libcap: ${libcap.stderr})`);
  assert.is(ours.stdout, libcap.stdout, `${what}: stdout`);
  assert.equal(attributes(oursDir), attributes(libcapDir), `${what}: security.capability bytes`);
  assert.is(getcapOf(oursDir), getcapOf(libcapDir), `${what}: getcap -n`);
  if (libcap.status === 0) assert.is(ours.stderr, libcap.stderr, `${what}: stderr`);
}

test.before(() => requireOracle());

test('one pair: the capability texts of REFERENCE §3 and more, bytes and getcap text as libcap', () => {
  for (const text of [
    'cap_net_bind_service=ep',
    '=+ep',
    'CAP_NET_RAW+ep',
    'all=ep',
    '=ep',
    '=',
    '',
    '   ',
    'cap_net_raw=e',
    '41=ep',
    '63=ep',
    'all=ep cap_sys_admin-ep',
    'cap_chown=p+e-p',
    'cap_chown,cap_kill=ep',
    'cap_setfcap=i',
    'cap_sys_admin+eip',
    'cap_net_raw,cap_net_admin+ip cap_net_raw+e cap_net_admin+e',
    'all=i cap_kill+p',
  ]) {
    sameAsLibcap({ args: [text, 'f'] });
  }
});

test('replacing an existing attribute (revision 1, 2 and 3) and -r', () => {
  const start = {
    f: '0100000201000000000000000000000000000000',
    h: '010000030020000000000000000000000000000005000000',
  };
  sameAsLibcap({ args: ['cap_kill=ep', 'f'], files: start });
  sameAsLibcap({ args: ['-r', 'f', '-r', 'h'], files: start });
  sameAsLibcap({ args: ['-r', 'f', 'cap_chown=ep', 'h'], files: start });
});

test('-n <rootid>: revision 3 bytes, in the number syntaxes setcap accepts (strtoul base 0)', () => {
  for (const rootid of ['1000', '1', '0x10', '010', '+5', ' 5', '4294967294']) {
    sameAsLibcap({ args: ['-n', rootid, 'cap_net_raw+ep', 'f'] });
  }
  // -n applies to the pairs after it only.
  sameAsLibcap({ args: ['cap_chown=ep', 'f', '-n', '7', 'cap_kill=ep', 'g'], files: { f: null, g: null } });
});

test('several pairs, and -q between them', () => {
  const files = { a: null, b: '0100000201000000000000000000000000000000', c: null };
  sameAsLibcap({ args: ['cap_chown=ep', 'a', '-r', 'b', 'cap_kill=p', 'c'], files });
  sameAsLibcap({ args: ['cap_chown=ep', 'a', '-q', 'cap_kill=ep', 'a'], files });
});

test("'-': capability text from stdin, with and without -q (the prompt is libcap's)", () => {
  sameAsLibcap({ args: ['-', 'f'], input: 'cap_net_bind_service=ep\n' });
  sameAsLibcap({ args: ['-q', '-', 'f'], input: 'cap_chown,cap_kill=ep\n' });
  const { libcap, ours } = both({ args: ['-', 'f'], input: 'cap_net_raw+p\n' });
  assert.is(ours.stderr, libcap.stderr, 'the prompt');
  assert.is(ours.stderr, 'Please enter caps for file [empty line to end]:\n');
});

test('-v: "FILE: OK", "FILE differs in [...]", nsowner, -q, -r; the same stdout and status as setcap', () => {
  const files = {
    plain: null,
    ep: '0100000201000000000000000000000000000000',
    rev3: '010000030100000000000000000000000000000005000000',
    pi: '0000000201000000010000000000000000000000',
  };
  const cases: string[][] = [
    ['-v', 'cap_chown=ep', 'ep'],
    ['-v', 'cap_chown=p', 'ep'],
    ['-v', 'cap_chown=ep cap_kill=i', 'ep'],
    ['-v', 'cap_chown=ep', 'plain'],
    ['-v', '-r', 'plain'],
    ['-v', '=', 'plain'],
    ['-v', '-r', 'ep'],
    ['-v', '-q', 'cap_chown=p', 'ep'],
    ['-q', '-v', 'cap_chown=ep', 'ep'],
    ['-v', 'cap_chown=ep', 'rev3'],
    ['-v', '-n', '5', 'cap_chown=ep', 'rev3'],
    ['-v', '-n', '6', 'cap_chown=p', 'rev3'],
    ['-v', '-n', '5', 'cap_chown=ep', 'ep'],
    ['-v', 'cap_chown=ip', 'pi'],
    ['-v', 'cap_chown=ep', 'ep', 'cap_chown=ep', 'ep'],
    ['-v', 'cap_chown=ep', 'ep', 'cap_kill=ep', 'ep'],
    ['-v', 'cap_chown=ep', 'ep', 'cap_chown=ep', 'plain'],
  ];
  for (const args of cases) sameAsLibcap({ args, files });
});

test('-v after a write on the same command line verifies what was written', () => {
  sameAsLibcap({ args: ['cap_chown=ep', 'f', '-v', 'cap_chown=ep', 'f'] });
  sameAsLibcap({ args: ['cap_kill=ep', 'f', 'cap_chown=p', 'g', '-v', 'cap_kill+ep', 'f', 'cap_chown=p', 'g'], files: { f: null, g: null } });
});

test('-v that fails after a write: libcap has written the first pair, setcap-static writes nothing', () => {
  const { libcap, ours, libcapDir, oursDir } = both({ args: ['cap_chown=ep', 'f', '-v', 'cap_kill=ep', 'f'] });
  assert.is(libcap.status, 1);
  assert.is(ours.status, 1);
  assert.is(ours.stdout, libcap.stdout);
  assert.is(ours.stdout, 'f differs in [pe]\n');
  assert.is(readCapability(join(libcapDir, 'f')), '0100000201000000000000000000000000000000');
  assert.is(readCapability(join(oursDir, 'f')), null, 'all or nothing: the write before the failed -v is not made');
});

test('-h: the usage on stdout, exit 0, nothing done; no arguments: the usage on stderr, exit 1', () => {
  const help = runMain(['-h']);
  assert.is(help.status, 0);
  assert.ok(help.stdout.startsWith('usage: setcap-static [-h] [-q] [-v] [-n <rootid>] (-r|-|<caps>) <filename> [ ... (-r|-|<capsN>) <filenameN> ]\n'));
  assert.match(help.stdout, ' -n <rootid> write a user namespace (!= 0) limited capability\n');
  assert.is(help.stderr, '');
  assert.is(run('setcap', ['-h']).status, 0, 'setcap -h exits 0 too');
  const none = runMain([]);
  assert.is(none.status, 1);
  assert.is(run('setcap', []).status, 1, 'setcap without arguments exits 1 too');
  assert.is(none.stderr, help.stdout);
  assert.is(none.stdout, '');
  const dir = scratchDir('help');
  writeFileSync(join(dir, 'f'), '');
  assert.is(runMain(['cap_chown=ep', join(dir, 'f'), '-h']).status, 0);
  assert.is(readCapability(join(dir, 'f')), null, '-h anywhere: nothing is set');
});

test('--license: exit 0 on stdout', () => {
  const license = runMain(['--license']);
  assert.is(license.status, 0);
  assert.is(license.stdout, 'setcap-static: MIT License, see the LICENSE file of the setcap-static package.\n');
});

test('the bundle: exit status, stdin through a pipe, one pair as the original C tool takes it', () => {
  const dir = scratchDir('bundle');
  writeFileSync(join(dir, 'app'), 'app\n');
  writeFileSync(join(dir, 'oracle'), 'oracle\n');
  const set = runTool(['cap_net_bind_service=ep', 'app'], { cwd: dir });
  assert.is(set.status, 0, set.stderr);
  assert.is(set.stdout + set.stderr, '');
  assert.is(run('setcap', ['cap_net_bind_service=ep', 'oracle'], { cwd: dir }).status, 0);
  assert.is(readCapability(join(dir, 'app')), readCapability(join(dir, 'oracle')));
  const piped = runTool(['-q', '-', 'app'], { cwd: dir, input: 'cap_net_raw,cap_net_admin=ep\n' });
  assert.is(piped.status, 0, piped.stderr);
  assert.is(run('setcap', ['-q', '-', 'oracle'], { cwd: dir, input: 'cap_net_raw,cap_net_admin=ep\n' }).status, 0);
  assert.is(readCapability(join(dir, 'app')), readCapability(join(dir, 'oracle')));
  const failed = runTool(['cap_net_raw=ep', 'missing'], { cwd: dir });
  assert.is(failed.status, 1);
  assert.is(failed.stderr, 'setcap-static: missing: no such file or directory\n');
});

test.run();
