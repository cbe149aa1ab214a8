// Setters for many paths: the programs outgrow the short forms (ppc64le and riscv64 switch to their
// far addressing/branch mode, arm flushes literal pools behind branches inside the code), and
// still set every path, or none when the last one is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emitMain } from '../../src/emit/cli';
import { PLATFORM_NAMES } from '../../src/emit/platforms';
import { buildBatchProgram } from '../../src/native/batch';
import { libcapBytes, requireTools, runSetter, xattrHexMany } from './helpers';
import { scratchDir } from '../scratch';

const COUNT = 60;
const TEXTS = ['cap_net_bind_service=ep', 'cap_net_raw=p', 'cap_chown,cap_fowner=ei'];

test.before(requireTools);

test('the program is past every near-mode limit', () => {
  const program = buildBatchProgram(Array.from({ length: COUNT }, (_, i) => ({ kind: 'set', path: `/f${i}`, value: new Uint8Array(20) })), 'setter');
  assert.ok(program.code.length > 96, `${program.code.length} instructions: ppc64le NEAR_LIMIT is 96`);
});

for (const platform of PLATFORM_NAMES) {
  test(`${platform}: ${COUNT} paths, all set; then all or nothing`, () => {
    const dir = scratchDir('emit');
    const pairs: string[] = [];
    const paths: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const path = join(dir, `file-${i}`);
      writeFileSync(path, `${i}\n`);
      paths.push(path);
      pairs.push(TEXTS[i % TEXTS.length]!, path);
    }
    const program = join(dir, 'setter');
    const quiet = { stdout: () => {}, stderr: (text: string) => assert.unreachable(text) };
    assert.is(emitMain(['--arch', platform, '--output', program, ...pairs], {}, quiet), 0);
    assert.ok(readFileSync(program).length > 4096, 'the code is past the reach of a literal load (arm)');
    assert.is(runSetter(platform, program), 0);
    const expected = TEXTS.map((text) => libcapBytes(dir, text));
    xattrHexMany(paths).forEach((hex, i) => assert.is(hex, expected[i % TEXTS.length], `${platform}: ${paths[i]}`));

    const fresh = paths.map((path) => `${path}-fresh`);
    fresh.forEach((path) => writeFileSync(path, ''));
    const missing = [...fresh.slice(0, -1), join(dir, 'missing')];
    assert.is(emitMain(['--arch', platform, '--output', program, ...missing.flatMap((path) => ['cap_net_raw=ep', path])], {}, quiet), 0);
    assert.is(runSetter(platform, program), 2);
    xattrHexMany(fresh).forEach((hex, i) => assert.is(hex, null, `${platform}: ${fresh[i]} untouched`));
  });
}

test.run();
