// Self-delete: a program file named !NAME, or a run invoked as /!NAME, removes the program file
// after everything asked succeeded; never after a failure, a help text, or for other names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wantsSelfDelete } from '../../src/cli/self-delete';
import { readCapability, requireOracle, run, runMain, runTool, scratchDir, toolBundle } from './harness';

test.before(() => requireOracle());

/** A directory with the file `app` and a copy of the bundle named `name`. */
function setup(name: string): { dir: string; program: string } {
  const dir = scratchDir('selfdelete');
  writeFileSync(join(dir, 'app'), 'app\n');
  const program = join(dir, name);
  copyFileSync(toolBundle(), program);
  return { dir, program };
}

test('which runs want it: /! as typed, or a program file whose name starts with !', () => {
  assert.ok(wantsSelfDelete({ invokedName: '/!setcap-static', programPath: '/!setcap-static' }));
  assert.ok(wantsSelfDelete({ invokedName: '/!x', programPath: '/x' }));
  assert.ok(wantsSelfDelete({ invokedName: 'x', programPath: '/tmp/!x' }));
  assert.not.ok(wantsSelfDelete({ invokedName: '/setcap-static', programPath: '/setcap-static' }));
  assert.not.ok(wantsSelfDelete({ invokedName: './!x', programPath: '/tmp/x!' }));
  assert.not.ok(wantsSelfDelete({ invokedName: '/tmp/!x', programPath: '/tmp/x' }), 'only a leading /! as typed');
});

test('a program file named !setcap-static.cjs: deleted after a successful set, the capability as libcap sets it', () => {
  const { dir, program } = setup('!setcap-static.cjs');
  const ran = runTool(['cap_net_bind_service=ep', 'app'], { cwd: dir, program });
  assert.is(ran.status, 0, ran.stderr);
  assert.is(ran.stderr, '');
  assert.not.ok(existsSync(program), 'the program file is still there');
  writeFileSync(join(dir, 'oracle'), '');
  run('setcap', ['cap_net_bind_service=ep', 'oracle'], { cwd: dir });
  assert.is(readCapability(join(dir, 'app')), readCapability(join(dir, 'oracle')));
});

test('named !…: kept after a failure, after -h, after a -v that differs; deleted after a -v that matches', () => {
  const { dir, program } = setup('!tool.cjs');
  for (const args of [['cap_net_raw+ep', 'missing'], ['cap_foo=ep', 'app'], ['-h'], ['--license'], ['-v', 'cap_kill=ep', 'app'], ['get'], ['-r', 'app']]) {
    const ran = runTool(args, { cwd: dir, program });
    assert.ok(existsSync(program), `deleted after ${args.join(' ')} (status ${ran.status}: ${ran.stderr})`);
  }
  const verified = runTool(['-v', '-r', 'app'], { cwd: dir, program });
  assert.is(verified.stdout, 'app: OK\n');
  assert.is(verified.status, 0);
  assert.not.ok(existsSync(program), 'a -v that succeeded is a success');
});

test('named !…: get deletes after a run where every file was read, not after one with an error', () => {
  const { dir, program } = setup('!get.cjs');
  const failed = runTool(['get', 'app', 'missing'], { cwd: dir, program });
  assert.is(failed.status, 0, 'getcap exits 0 with a missing file, and so does get');
  assert.is(failed.stderr, 'missing (No such file or directory)\n');
  assert.ok(existsSync(program), 'deleted after a get that could not read a file');
  const read = runTool(['get', 'app'], { cwd: dir, program });
  assert.is(read.status, 0);
  assert.not.ok(existsSync(program));
});

test('invoked as /!setcap-static (main with that name and a program file in a temp dir)', () => {
  const { dir, program } = setup('setcap-static');
  const app = join(dir, 'app');
  const failed = runMain(['cap_net_raw+ep', join(dir, 'missing')], { invokedName: '/!setcap-static', programPath: program });
  assert.is(failed.status, 1);
  assert.ok(existsSync(program), 'deleted after a failure');
  const help = runMain(['-h'], { invokedName: '/!setcap-static', programPath: program });
  assert.is(help.status, 0);
  assert.ok(existsSync(program), 'deleted after -h');
  const other = runMain(['cap_net_raw+ep', app], { invokedName: '/setcap-static', programPath: program });
  assert.is(other.status, 0, other.stderr);
  assert.ok(existsSync(program), 'deleted though not asked');
  const set = runMain(['cap_net_raw+ep', app], { invokedName: '/!setcap-static', programPath: program });
  assert.is(set.status, 0, set.stderr);
  assert.not.ok(existsSync(program), 'not deleted after success when invoked as /!');
  assert.is(readCapability(app), '0100000200200000000000000000000000000000');
});

test('invoked as /!getcap: getcap mode, and a one-shot too', () => {
  const { dir, program } = setup('getcap');
  const app = join(dir, 'app');
  run('setcap', ['cap_net_raw+ep', app]);
  const got = runMain([app], { invokedName: '/!getcap', programPath: program });
  assert.is(got.stdout, `${app} cap_net_raw=ep\n`);
  assert.is(got.status, 0);
  assert.not.ok(existsSync(program));
});

test('when deleting fails after success: said, exit 1', () => {
  const dir = scratchDir('selfdelete-gone');
  writeFileSync(join(dir, 'app'), '');
  const gone = join(dir, 'never-existed');
  const set = runMain(['cap_net_raw+ep', join(dir, 'app')], { invokedName: '/!setcap-static', programPath: gone });
  assert.is(set.stderr, `setcap-static: everything asked succeeded, but deleting the program file ${gone} failed: ENOENT\n`);
  assert.is(set.status, 1);
});

test.run();
