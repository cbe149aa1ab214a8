// The rest of the backend contract (src/native/program.ts) that a setter does not use, on every
// platform for real: `write`, `store`/`load` of values wider than 16 bits and negative ones,
// `loadMode` with `save`, `jumpIfEqual` on wide values, and an exit status taken from a slot.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../src/native/assemble';
import { AT_FDCWD, STAT_BUFFER_SIZE, type Instruction, type Program } from '../../src/native/program';
import { PLATFORMS, PLATFORM_NAMES } from '../../src/emit/platforms';
import { RUNNERS, requireTools } from './helpers';
import { scratchDir } from '../scratch';

const MESSAGE = 'written by the generated program\n';
const WIDE = 123456789;

function contractProgram(): Program {
  const slot = (offset: number) => ({ symbol: 'slots', offset });
  const code: Instruction[] = [
    { op: 'inspectArgv0', pointer: slot(0), selfDelete: slot(8) },
    { op: 'store', slot: slot(16), value: WIDE },
    { op: 'load', slot: slot(16) },
    { op: 'jumpIfEqual', value: WIDE, target: 'wide_ok' },
    { op: 'syscall', name: 'exit_group', args: [{ kind: 'imm', value: 1 }] },
    { op: 'label', name: 'wide_ok' },
    { op: 'syscall', name: 'write', args: [{ kind: 'imm', value: 1 }, { kind: 'addr', symbol: 'message' }, { kind: 'imm', value: MESSAGE.length }], save: slot(24) },
    { op: 'jumpIfNegative', target: 'failed' },
    { op: 'load', slot: slot(24) },
    { op: 'jumpIfEqual', value: MESSAGE.length, target: 'write_ok' },
    { op: 'syscall', name: 'exit_group', args: [{ kind: 'imm', value: 2 }] },
    { op: 'label', name: 'write_ok' },
    { op: 'store', slot: slot(32), value: -70000 },
    { op: 'load', slot: slot(32) },
    { op: 'jumpIfNegative', target: 'negative_ok' },
    { op: 'syscall', name: 'exit_group', args: [{ kind: 'imm', value: 3 }] },
    { op: 'label', name: 'negative_ok' },
    { op: 'jumpIfEqual', value: -70000, target: 'still_ok' }, // jumps do not change the result register
    { op: 'syscall', name: 'exit_group', args: [{ kind: 'imm', value: 4 }] },
    { op: 'label', name: 'still_ok' },
    { op: 'syscall', name: 'openat', args: [{ kind: 'imm', value: AT_FDCWD }, { kind: 'addr', symbol: 'root' }, { kind: 'openFlags', flags: ['O_RDONLY', 'O_CLOEXEC'] }], save: slot(40) },
    { op: 'jumpIfNegative', target: 'failed' },
    { op: 'syscall', name: 'fstat', args: [{ kind: 'slot', slot: slot(40) }, { kind: 'addr', symbol: 'stat' }] },
    { op: 'jumpIfNegative', target: 'failed' },
    { op: 'loadMode', stat: 'stat', save: slot(48) },
    { op: 'jumpIfNotRegularFile', target: 'directory_ok' }, // "/" is a directory
    { op: 'syscall', name: 'exit_group', args: [{ kind: 'imm', value: 5 }] },
    { op: 'label', name: 'directory_ok' },
    { op: 'load', slot: slot(48) },
    { op: 'jumpIfEqual', value: 0, target: 'failed' },
    { op: 'store', slot: slot(56), value: 42 },
    { op: 'syscall', name: 'exit_group', args: [{ kind: 'slot', slot: slot(56) }] },
    { op: 'label', name: 'failed' },
    { op: 'exitWithErrno' },
  ];
  return {
    code,
    data: [
      { name: 'message', bytes: new Uint8Array(Buffer.from(MESSAGE)) },
      { name: 'root', bytes: new Uint8Array([0x2f, 0]) },
    ],
    bss: [{ name: 'slots', size: 64 }, { name: 'stat', size: STAT_BUFFER_SIZE }],
  };
}

test.before(requireTools);

for (const platform of PLATFORM_NAMES) {
  test(`${platform}: write, wide and negative slots, loadMode, exit status from a slot`, () => {
    const dir = scratchDir('emit');
    const program = join(dir, 'contract');
    writeFileSync(program, assemble(contractProgram(), PLATFORMS[platform]).elf);
    chmodSync(program, 0o755);
    const runner = RUNNERS[platform];
    const result = runner.length === 0 ? spawnSync(program, [], { encoding: 'utf8' }) : spawnSync(runner[0]!, [...runner.slice(1), program], { encoding: 'utf8' });
    assert.is(result.stdout, MESSAGE, platform);
    assert.is(result.status, 42, `${platform}: ${result.stderr}`);
  });
}

test.run();
