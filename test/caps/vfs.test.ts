// security.capability bytes: REFERENCE.md §3 examples (verified with libcap 2.66
// and the kernel on this machine), the effective rule, and decode errors.
// differential.test.ts writes thousands of attributes through the real kernel.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCapText } from '../../src/caps/text';
import * as vfs from '../../src/caps/vfs';
import { decodeVfsCap, encodeVfsCap, fileCapsFromSets, FileCapsError, setsFromFileCaps } from '../../src/caps/vfs';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'));
const bytesFor = (text: string): string => hex(encodeVfsCap(fileCapsFromSets(parseCapText(text))));

test('constants match linux/capability.h', () => {
  const header = readFileSync('/usr/include/linux/capability.h', 'utf8');
  const names = ['VFS_CAP_REVISION_MASK', 'VFS_CAP_REVISION_SHIFT', 'VFS_CAP_FLAGS_EFFECTIVE', 'VFS_CAP_REVISION_1',
    'VFS_CAP_U32_1', 'VFS_CAP_REVISION_2', 'VFS_CAP_U32_2', 'VFS_CAP_REVISION_3', 'VFS_CAP_U32_3'];
  for (const name of names) {
    const value = new RegExp(`^#define\\s+${name}\\s+(0x[0-9A-Fa-f]+|\\d+)\\s*$`, 'm').exec(header)?.[1];
    assert.ok(value, `${name} in the header`);
    assert.is((vfs as Record<string, unknown>)[name], Number(value), name);
  }
  assert.is(vfs.XATTR_CAPS_SZ_1, 12);
  assert.is(vfs.XATTR_CAPS_SZ_2, 20);
  assert.is(vfs.XATTR_CAPS_SZ_3, 24);
  assert.is(vfs.XATTR_NAME_CAPS, 'security.capability');
});

test('REFERENCE §3: bytes libcap 2.66 writes', () => {
  assert.is(bytesFor('cap_net_bind_service=ep'), '0100000200040000000000000000000000000000');
  assert.is(bytesFor('all=ep'), '01000002ffffffff00000000ff01000000000000');
  assert.is(bytesFor('='), '0000000200000000000000000000000000000000');
  assert.is(bytesFor(''), '0000000200000000000000000000000000000000');
  assert.is(bytesFor('cap_net_raw=e'), '0100000200000000000000000000000000000000');
  assert.is(bytesFor('cap_chown=p+e-p'), '0100000200000000000000000000000000000000');
  assert.is(bytesFor('41=ep'), '0100000200000000000000000002000000000000');
  assert.is(bytesFor('63=ep'), '0100000200000000000000000000008000000000');
  assert.is(bytesFor('all=ep cap_sys_admin-ep'), '01000002ffffdfff00000000ff01000000000000');
  assert.is(bytesFor('all=i 41-i'), '0000000200000000ffffffff00000000ff010000');
});

test('REFERENCE §3: setcap -n 1000 cap_net_raw+ep writes revision 3 with the rootid', () => {
  const caps = { ...fileCapsFromSets(parseCapText('cap_net_raw+ep')), rootid: 1000 };
  assert.is(hex(encodeVfsCap(caps)), '0100000300200000000000000000000000000000e8030000');
});

test('rootid 0 (what setcap writes without -n) is revision 2; (uid_t)-1 is refused', () => {
  const caps = fileCapsFromSets(parseCapText('cap_net_raw+ep'));
  assert.is(hex(encodeVfsCap({ ...caps, rootid: 0 })), '0100000200200000000000000000000000000000');
  assert.throws(() => encodeVfsCap({ ...caps, rootid: 0xffffffff }), (error: unknown) => error instanceof FileCapsError);
  assert.throws(() => encodeVfsCap({ ...caps, rootid: -1 }), (error: unknown) => error instanceof FileCapsError);
  assert.throws(() => encodeVfsCap({ ...caps, rootid: 1.5 }), (error: unknown) => error instanceof FileCapsError);
  assert.throws(() => encodeVfsCap({ ...caps, permitted: 1n << 64n }), (error: unknown) => error instanceof FileCapsError);
});

test('effective rule: empty, or covering permitted|inheritable (REFERENCE §3 refusals)', () => {
  for (const text of ['cap_chown,cap_kill=ep cap_kill-e', 'cap_net_raw+p cap_chown+ep', 'cap_chown=ip cap_chown-e+e cap_kill=i cap_kill+e cap_kill-e']) {
    assert.throws(() => fileCapsFromSets(parseCapText(text)), (error: unknown) =>
      error instanceof FileCapsError && /effective file capabilities must either be empty/.test(error.message), text);
  }
  const error = (() => {
    try {
      fileCapsFromSets(parseCapText('cap_chown,cap_kill=ep cap_kill-e'));
    } catch (caught) {
      return caught as Error;
    }
    return undefined;
  })();
  assert.ok(error?.message.includes('cap_kill'), error?.message);
  assert.equal(fileCapsFromSets(parseCapText('cap_chown=ip')), { permitted: 1n, inheritable: 1n, effective: false });
  assert.equal(fileCapsFromSets(parseCapText('cap_chown=eip')), { permitted: 1n, inheritable: 1n, effective: true });
});

test("setcap's NOTE: shown only when an effective bit comes at or before the first mismatch", () => {
  // Each checked with setcap 2.66 on this machine.
  const shown = ['cap_chown=ep 41=p', '41=ep 42=p', 'cap_chown=ep cap_kill=p', 'cap_chown=e cap_kill=p', 'cap_checkpoint_restore=ep 41=p'];
  const silent = ['=p 55=ip+ie', 'cap_chown=p cap_kill=ep', '63=e 62=p', '40=p 41=e'];
  for (const text of shown) assert.ok(vfs.setcapExplainsEffectiveRule(parseCapText(text)), text);
  for (const text of silent) assert.not.ok(vfs.setcapExplainsEffectiveRule(parseCapText(text)), text);
});

test('setsFromFileCaps: effective = permitted|inheritable when the bit is set', () => {
  assert.equal(setsFromFileCaps({ permitted: 1n, inheritable: 4n, effective: true }), { effective: 5n, permitted: 1n, inheritable: 4n });
  assert.equal(setsFromFileCaps({ permitted: 1n, inheritable: 4n, effective: false }), { effective: 0n, permitted: 1n, inheritable: 4n });
});

test('decode revision 1, 2 and 3', () => {
  assert.equal(decodeVfsCap(fromHex('01000001 00200000 01000000')), {
    revision: 1, permitted: 1n << 13n, inheritable: 1n, effective: true,
  });
  assert.equal(decodeVfsCap(fromHex('00000002 ffffffff 00000000 ff010000 00000000')), {
    revision: 2, permitted: (1n << 41n) - 1n, inheritable: 0n, effective: false,
  });
  assert.equal(decodeVfsCap(fromHex('01000003 00200000 00000000 00000000 00000080 e8030000')), {
    revision: 3, permitted: 1n << 13n, inheritable: 1n << 63n, effective: true, rootid: 1000,
  });
  const inside = fromHex('ff 0100000200040000000000000000000000000000');
  assert.is(decodeVfsCap(inside.subarray(1)).permitted, 1n << 10n);
});

function decodeError(text: string): string {
  try {
    decodeVfsCap(fromHex(text));
  } catch (error) {
    assert.instance(error, FileCapsError);
    return (error as Error).message;
  }
  assert.unreachable(`${text} decoded`);
  throw new Error('unreachable');
}

test('decode refuses wrong sizes and magics, naming both', () => {
  assert.match(decodeError(''), '0 bytes, too short');
  assert.match(decodeError('010000'), '3 bytes, too short');
  assert.match(decodeError('01000002 00000000 00000000 00000000'), /16 bytes with magic_etc 0x02000001: revision 2 is 20 bytes/);
  assert.match(decodeError('01000002 00000000 00000000 00000000 00000000 00000000'), /24 bytes .*revision 2 is 20 bytes/);
  assert.match(decodeError('01000003 00000000 00000000 00000000 00000000'), /20 bytes .*revision 3 is 24 bytes/);
  assert.match(decodeError('01000001 00000000 00000000 00000000 00000000'), /revision 1 is 12 bytes/);
  assert.match(decodeError('00000004 00000000 00000000 00000000 00000000'), /magic_etc 0x04000000 \(20 bytes\): unknown revision 4/);
  assert.match(decodeError('00000000 00000000 00000000 00000000 00000000'), /unknown revision 0/);
  assert.match(decodeError('03000002 00000000 00000000 00000000 00000000'), /revision 2 with unknown flags 0x00000002/);
});

test.run();
