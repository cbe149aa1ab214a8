import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as names from '../../src/caps/names';
import { CAP_LAST_CAP, CAP_NAMES, capFromName, capToName, nearestCapNames } from '../../src/caps/names';
import { runOracle } from './libcap-oracle';

const UAPI_HEADER = '/usr/include/linux/capability.h';

test('constants carry the kernel uapi names and values (linux/capability.h)', () => {
  let header: string;
  try {
    header = readFileSync(UAPI_HEADER, 'utf8');
  } catch {
    throw new Error(`${UAPI_HEADER} is missing: apt-get install -y linux-libc-dev`);
  }
  const defined = [...header.matchAll(/^#define\s+(CAP_[A-Z_]+)\s+(\d+)\s*$/gm)];
  assert.ok(defined.length >= 41, `found ${defined.length} CAP_ numbers in ${UAPI_HEADER}`);
  for (const [, name, value] of defined) {
    assert.is((names as Record<string, unknown>)[name!], Number(value), name);
  }
  const last = /^#define\s+CAP_LAST_CAP\s+(CAP_[A-Z_]+)/m.exec(header)?.[1];
  assert.is(CAP_LAST_CAP, (names as Record<string, unknown>)[last!]);
  assert.is(CAP_NAMES.length, CAP_LAST_CAP + 1);
  for (const [, name, value] of defined) assert.is(CAP_NAMES[Number(value)], name!.toLowerCase());
});

test('CAP_NAMES is the order libcap prints: bit n on a file shows as CAP_NAMES[n] in getcap', () => {
  const raws = CAP_NAMES.map((_, cap) => {
    const bytes = Buffer.alloc(20);
    bytes.writeUInt32LE(0x02000000, 0);
    bytes.writeUInt32LE(cap < 32 ? 2 ** cap : 0, 4);
    bytes.writeUInt32LE(cap >= 32 ? 2 ** (cap - 32) : 0, 12);
    return bytes.toString('hex');
  });
  const { raws: shown } = runOracle([], raws);
  shown.forEach((outcome, cap) => assert.is(outcome.getcapText, `${CAP_NAMES[cap]}=p`, `bit ${cap}`));
});

test('capFromName: any case, whole names only', () => {
  assert.is(capFromName('cap_net_bind_service'), 10);
  assert.is(capFromName('CAP_NET_RAW'), 13);
  assert.is(capFromName('Cap_Checkpoint_Restore'), 40);
  assert.is(capFromName('net_raw'), undefined);
  assert.is(capFromName('cap_net_raw '), undefined);
  assert.is(capFromName('13'), undefined);
  assert.is(capFromName(''), undefined);
});

test('capToName: names for 0..40, decimal numbers above', () => {
  assert.is(capToName(0), 'cap_chown');
  assert.is(capToName(40), 'cap_checkpoint_restore');
  assert.is(capToName(41), '41');
  assert.is(capToName(63), '63');
});

test('nearestCapNames: misspellings, missing prefix, truncation', () => {
  assert.is(nearestCapNames('cap_net_bind_servce')[0], 'cap_net_bind_service');
  assert.is(nearestCapNames('net_bind_service')[0], 'cap_net_bind_service');
  assert.is(nearestCapNames('NET_BIND_SERVICE')[0], 'cap_net_bind_service');
  assert.is(nearestCapNames('cap_foo')[0], 'cap_fowner');
  assert.is(nearestCapNames('cap_chwon')[0], 'cap_chown');
  assert.is(nearestCapNames('cap_sysadmin')[0], 'cap_sys_admin');
  assert.equal(nearestCapNames('cap_net', 2), ['cap_net_bind_service', 'cap_net_broadcast']);
  assert.equal(nearestCapNames('setuid', 1), ['cap_setuid']);
});

test('nearestCapNames: nothing for text that resembles no name', () => {
  assert.equal(nearestCapNames('xyzzy'), []);
  assert.equal(nearestCapNames('cap_'), []);
  assert.equal(nearestCapNames('p'), []);
  assert.equal(nearestCapNames('_'), []);
  assert.equal(nearestCapNames(''), []);
  assert.equal(nearestCapNames('cap_chown', 0), []);
});

test.run();
