// Examples from REFERENCE.md §3 (each verified with libcap 2.66 setcap/getcap on
// this machine), the error contract, and lastCap handling. differential.test.ts
// compares thousands of generated texts with the live oracle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CapTextError, formatCapText, formatRootidSuffix, parseCapText, type CapSets } from '../../src/caps/text';

const NAMED = (1n << 41n) - 1n;
const bit = (n: number): bigint => 1n << BigInt(n);
const sets = (effective: bigint, permitted: bigint, inheritable: bigint): CapSets => ({ effective, permitted, inheritable });

/** text -> what getcap prints for the stored result (libcap 2.66, lastCap 40). */
const GETCAP_EXAMPLES: Array<[string, CapSets, string]> = [
  ['cap_net_bind_service=ep', sets(bit(10), bit(10), 0n), 'cap_net_bind_service=ep'],
  ['cap_net_bind_service=+ep', sets(bit(10), bit(10), 0n), 'cap_net_bind_service=ep'],
  ['CAP_NET_RAW+ep', sets(bit(13), bit(13), 0n), 'cap_net_raw=ep'],
  ['all=ep', sets(NAMED, NAMED, 0n), '=ep'],
  ['=ep', sets(NAMED, NAMED, 0n), '=ep'],
  ['ALL=ep', sets(NAMED, NAMED, 0n), '=ep'],
  ['=', sets(0n, 0n, 0n), '='],
  ['', sets(0n, 0n, 0n), '='],
  ['41=ep', sets(bit(41), bit(41), 0n), '= 41+ep'],
  ['63=ep', sets(bit(63), bit(63), 0n), '= 63+ep'],
  ['41,42=ep', sets(bit(41) | bit(42), bit(41) | bit(42), 0n), '= 41,42+ep'],
  ['0x10=ep', sets(bit(16), bit(16), 0n), 'cap_sys_module=ep'],
  ['010=ep', sets(bit(8), bit(8), 0n), 'cap_setpcap=ep'],
  ['all=ep cap_sys_admin-ep', sets(NAMED & ~bit(21), NAMED & ~bit(21), 0n), '=ep cap_sys_admin-ep'],
  ['all=i 41-i', sets(0n, 0n, NAMED), '=i'],
];

for (const [text, expected, shown] of GETCAP_EXAMPLES) {
  test(`parseCapText(${JSON.stringify(text)}) and getcap's text`, () => {
    assert.equal(parseCapText(text), expected);
    assert.is(formatCapText(expected), shown);
  });
}

test('effective bits that the file cannot carry as sets: cap_net_raw=e, cap_chown=p+e-p', () => {
  assert.equal(parseCapText('cap_net_raw=e'), sets(bit(13), 0n, 0n));
  assert.equal(parseCapText('cap_chown=p+e-p'), sets(bit(0), 0n, 0n));
  // What getcap shows after the file round trip: the effective bit alone is an empty set.
  assert.is(formatCapText(sets(0n, 0n, 0n)), '=');
});

test('clauses apply in order; =+ and =- clear first; white space of every C kind separates', () => {
  assert.equal(parseCapText('cap_chown=ep cap_chown=i'), sets(0n, 0n, bit(0)));
  assert.equal(parseCapText('cap_chown=ep cap_chown+i'), sets(bit(0), bit(0), bit(0)));
  assert.equal(parseCapText('cap_chown=eip cap_chown=-e'), sets(0n, 0n, 0n));
  assert.equal(parseCapText('cap_kill=i cap_kill=+p'), sets(0n, bit(5), 0n));
  assert.equal(parseCapText(' \t\n\v\f\rcap_kill=p\t'), sets(0n, bit(5), 0n));
  assert.equal(parseCapText('cap_kill,cap_chown+p-p+i'), sets(0n, 0n, bit(0) | bit(5)));
  assert.equal(parseCapText('= cap_kill+p'), sets(0n, bit(5), 0n));
  assert.equal(parseCapText('cap_kill=epie'), sets(bit(5), bit(5), bit(5)));
});

test("'all' replaces the list so far (libcap's forceall), later items add to it", () => {
  // Checked with setcap: '63,all=i' stores bits 0..40 only; 'all,63=i' also 63.
  assert.equal(parseCapText('63,all=i'), sets(0n, 0n, NAMED));
  assert.equal(parseCapText('all,63=i'), sets(0n, 0n, NAMED | bit(63)));
  assert.equal(parseCapText('cap_chown,all,41=p'), sets(0n, NAMED | bit(41), 0n));
});

test('cap_to_text writes clauses in libcap flag-number order (e=1, p=2, i=4), highest first', () => {
  // Checked with setcap: getcap prints 'cap_dac_override=ei cap_fsetid+ep' (ei is 5, ep is 3).
  assert.is(formatCapText(sets(bit(1) | bit(4), bit(4), bit(1))), 'cap_dac_override=ei cap_fsetid+ep');
});

test('cap_to_text: the base is the commonest state, ties prefer fewer flags', () => {
  // Checked with setcap 'cap_chown=p cap_kill=ip' f; getcap f: states are written from eip down to none.
  assert.is(formatCapText(sets(0n, bit(0) | bit(5), bit(5))), 'cap_kill=ip cap_chown+p');
  assert.is(formatCapText(sets(NAMED, NAMED, NAMED)), '=eip');
  assert.is(formatCapText(sets(NAMED, NAMED, bit(3))), '=ep cap_fowner+i');
  const half = (1n << 20n) - 1n;
  assert.is(formatCapText(sets(0n, half, 0n), {}).startsWith('='), false);
  const unnamed = ~NAMED & ((1n << 64n) - 1n);
  assert.is(
    formatCapText(sets(NAMED | unnamed, NAMED | unnamed, NAMED | unnamed)),
    `=eip ${Array.from({ length: 23 }, (_, i) => 41 + i).join(',')}+eip`,
  );
});

test('lastCap: all and a bare clause cover 0..lastCap; higher named bits print as names after', () => {
  const upTo37 = (1n << 38n) - 1n;
  assert.equal(parseCapText('all=p', { lastCap: 37 }), sets(0n, upTo37, 0n));
  assert.equal(parseCapText('=p', { lastCap: 37 }), sets(0n, upTo37, 0n));
  // libcap's (gperf) name lookup does not consult the kernel.
  assert.equal(parseCapText('cap_bpf=p', { lastCap: 37 }), sets(0n, bit(39), 0n));
  assert.is(formatCapText(sets(NAMED, NAMED, 0n), { lastCap: 37 }), '=ep cap_perfmon,cap_bpf,cap_checkpoint_restore+ep');
  assert.is(formatCapText(sets(0n, bit(39), 0n), { lastCap: 37 }), '= cap_bpf+p');
  assert.throws(() => parseCapText('=p', { lastCap: 64 }), (error: unknown) => error instanceof RangeError);
});

function refusal(text: string): CapTextError {
  try {
    parseCapText(text);
  } catch (error) {
    assert.instance(error, CapTextError);
    return error as CapTextError;
  }
  assert.unreachable(`${JSON.stringify(text)} was accepted`);
  throw new Error('unreachable');
}

/** text, position, token, a piece of the message. REFERENCE §3 lists the first five as rejected by setcap. */
const REFUSALS: Array<[string, number, string, string]> = [
  ['64=ep', 0, '64', 'capability number 64 at offset 0 is out of range (0..63)'],
  ['cap_foo=ep', 0, 'cap_foo', "unknown capability 'cap_foo' at offset 0 (did you mean cap_fowner?)"],
  ['cap_net_raw=ex', 13, 'x', "flag 'x' is not one of e, i, p at offset 13"],
  ['cap_chown', 9, '', "expected '=', '+' or '-' after the capability list at offset 9, found the end of the text"],
  ['cap_chown=p,cap_kill=e', 11, ',', "flag ',' is not one of e, i, p at offset 11"],
  ['cap_chown=ep cap_net_raw=ex', 26, 'x', "flag 'x' is not one of e, i, p at offset 26"],
  ['all=EP', 4, 'E', 'flags are lower case'],
  ['cap_net_bind_servce=ep', 0, 'cap_net_bind_servce', 'did you mean cap_net_bind_service'],
  ['net_bind_service=ep', 0, 'net_bind_service', 'did you mean cap_net_bind_service'],
  ['cap_chown2=p', 0, 'cap_chown2', "unknown capability 'cap_chown2'"],
  ['0x40=p', 0, '0x40', 'out of range'],
  ['99999999999999999999999=p', 0, '99999999999999999999999', 'out of range'],
  ['09=p', 0, '09', "malformed capability number '09'"],
  ['0x=p', 0, '0x', 'malformed capability number'],
  ['+ep', 0, '+', 'needs a capability list'],
  ['-ep', 0, '-', 'needs a capability list'],
  ['=+ep', 0, '=+', 'needs a capability list'],
  ['=e+p', 2, '+', 'needs a capability list'],
  ['cap_chown+', 10, '', 'must be followed by flags'],
  ['cap_chown+ ', 10, ' ', 'must be followed by flags'],
  ['cap_chown=p+', 12, '', 'must be followed by flags'],
  ['cap_chown=p+,', 12, ',', 'must be followed by flags'],
  ['cap_chown,=p', 10, '=', "expected a capability name after ','"],
  ['cap_chown,', 10, '', "expected a capability name after ','"],
  ['cap_chown:p', 9, ':', "expected '=', '+' or '-'"],
  ['= ep', 2, 'ep', "unknown capability 'ep' at offset 2 (white space ends a clause"],
  ['cap_chown=e p', 12, 'p', "unknown capability 'p' at offset 12 (white space ends a clause"],
  ['cap_chown = ep', 9, ' ', 'found white space (no white space inside a clause'],
  ['_=p', 0, '_', "unknown capability '_' at offset 0"],
  ['cap_chown=p\0', 11, '\0', 'NUL'],
  ['cap_chown=p é', 12, 'é', "expected '=', '+' or '-' at offset 12"],
];

for (const [text, position, token, message] of REFUSALS) {
  test(`refused: ${JSON.stringify(text)}`, () => {
    const error = refusal(text);
    assert.is(error.position, position, 'position');
    assert.is(error.token, token, 'token');
    assert.ok(error.message.includes(message), `message: ${error.message}`);
    assert.is(text.slice(error.position, error.position + error.token.length), error.token);
  });
}

test('formatCapText refuses values that are not 64-bit sets', () => {
  assert.throws(() => formatCapText(sets(1n << 64n, 0n, 0n)), (error: unknown) => error instanceof RangeError);
  assert.throws(() => formatCapText(sets(-1n, 0n, 0n)), (error: unknown) => error instanceof RangeError);
});

test('formatRootidSuffix: getcap -n prints the rootid as a C int, nothing for 0 and (uid_t)-1', () => {
  assert.is(formatRootidSuffix(1000), ' [rootid=1000]');
  assert.is(formatRootidSuffix(3000000000), ' [rootid=-1294967296]');
  assert.is(formatRootidSuffix(0), '');
  assert.is(formatRootidSuffix(0xffffffff), '');
  assert.is(formatRootidSuffix(undefined), '');
});

test.run();
