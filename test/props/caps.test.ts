// Properties of the pure capability model, checked with fast-check over arbitrary sets.
// The round trips are the contract getcap/setcap rely on: what formatCapText prints,
// parseCapText reads back to the same cap_t; what encodeVfsCap writes, decodeVfsCap reads back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { CapTextError, formatCapText, parseCapText, type CapSets } from '../../src/caps/text';
import { decodeVfsCap, encodeVfsCap, fileCapsFromSets, FileCapsError, setsFromFileCaps, type FileCaps } from '../../src/caps/vfs';

const U64_MAX = (1n << 64n) - 1n;

/** Any 64-bit set, biased towards the edges: empty, the 41 named caps, the unnamed 41..63, full. */
const capSet = fc.oneof(
  fc.bigInt({ min: 0n, max: U64_MAX }),
  fc.constantFrom(0n, (1n << 41n) - 1n, U64_MAX, U64_MAX ^ ((1n << 41n) - 1n), 1n << 40n, 1n << 41n, 1n << 63n),
  fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 6 }).map((bits) => bits.reduce((set, bit) => set | (1n << BigInt(bit)), 0n)),
);

const capSets: fc.Arbitrary<CapSets> = fc.record({ effective: capSet, permitted: capSet, inheritable: capSet });

/** Sets a file can hold: effective empty or exactly permitted|inheritable (libcap's rule). */
const fileableSets: fc.Arbitrary<CapSets> = fc
  .record({ permitted: capSet, inheritable: capSet, effective: fc.boolean() })
  .map(({ permitted, inheritable, effective }) => ({ permitted, inheritable, effective: effective ? permitted | inheritable : 0n }));

/** A uid the kernel accepts as a rootid: 1..2^32-2 ((uid_t)-1 is "no user"; 0 means no namespace, revision 2). */
const rootid = fc.oneof(fc.constant(1), fc.constant(0xfffffffe), fc.integer({ min: 1, max: 0xfffffffe }));

const fileCaps: fc.Arbitrary<FileCaps> = fc.record(
  { permitted: capSet, inheritable: capSet, effective: fc.boolean(), rootid },
  { requiredKeys: ['permitted', 'inheritable', 'effective'] },
);

const RUNS = { numRuns: 3000 };

test('parseCapText(formatCapText(s)) == s for any three sets over 0..63', () => {
  fc.assert(
    fc.property(capSets, (sets) => {
      const text = formatCapText(sets);
      assert.equal({ ...parseCapText(text) }, { ...sets }, `text ${JSON.stringify(text)}`);
    }),
    RUNS,
  );
});

test('formatCapText is canonical: formatting the parsed text gives the same text', () => {
  fc.assert(
    fc.property(capSets, (sets) => {
      const text = formatCapText(sets);
      assert.is(formatCapText(parseCapText(text)), text);
    }),
    RUNS,
  );
});

test('decodeVfsCap(encodeVfsCap(c)) == c: revision 2 without rootid, 3 with a non-zero rootid', () => {
  fc.assert(
    fc.property(fileCaps, (caps) => {
      const bytes = encodeVfsCap(caps);
      const namespaced = caps.rootid !== undefined && caps.rootid !== 0;
      assert.is(bytes.length, namespaced ? 24 : 20);
      const decoded = decodeVfsCap(bytes);
      assert.is(decoded.revision, namespaced ? 3 : 2);
      const expected: FileCaps & { revision: number } = {
        permitted: caps.permitted,
        inheritable: caps.inheritable,
        effective: caps.effective,
        revision: namespaced ? 3 : 2,
        ...(namespaced ? { rootid: caps.rootid } : {}),
      };
      assert.equal({ ...decoded }, expected);
    }),
    RUNS,
  );
});

test('encodeVfsCap(decodeVfsCap(b)) == b for canonical revision 2 and 3 bytes', () => {
  const canonical = fc
    .record({
      revision: fc.constantFrom(2, 3),
      effective: fc.boolean(),
      words: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 4, maxLength: 4 }),
      rootid: fc.integer({ min: 1, max: 0xfffffffe }),
    })
    .map(({ revision, effective, words, rootid }) => {
      const bytes = Buffer.alloc(revision === 3 ? 24 : 20);
      bytes.writeUInt32LE((revision << 24) | (effective ? 1 : 0), 0);
      words.forEach((w, i) => bytes.writeUInt32LE(w, 4 + 4 * i));
      if (revision === 3) bytes.writeUInt32LE(rootid, 20);
      return new Uint8Array(bytes);
    });
  fc.assert(
    fc.property(canonical, (bytes) => {
      assert.equal(Buffer.from(encodeVfsCap(decodeVfsCap(bytes))).toString('hex'), Buffer.from(bytes).toString('hex'));
    }),
    RUNS,
  );
});

test('decodeVfsCap on arbitrary bytes: a FileCapsError or a revision whose size matches', () => {
  const sizes: Record<number, number> = { 1: 12, 2: 20, 3: 24 };
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 32 }),
    fc.record({ rev: fc.integer({ min: 0, max: 4 }), len: fc.constantFrom(0, 4, 11, 12, 13, 19, 20, 21, 23, 24, 25) }).chain(({ rev, len }) =>
      fc.uint8Array({ minLength: len, maxLength: len }).map((b) => {
        if (len >= 4) b[3] = rev;
        return b;
      }),
    ),
  );
  fc.assert(
    fc.property(bytes, (input) => {
      let decoded;
      try {
        decoded = decodeVfsCap(input);
      } catch (error) {
        assert.instance(error, FileCapsError, `threw ${String(error)} for ${Buffer.from(input).toString('hex')}`);
        assert.ok((error as Error).message.length > 0);
        return;
      }
      assert.is(input.length, sizes[decoded.revision], `revision ${decoded.revision} from ${input.length} bytes`);
      assert.is(input[3], decoded.revision);
    }),
    RUNS,
  );
});

test('fileCapsFromSets accepts effective ⊇ permitted|inheritable, keeping one effective bit', () => {
  const extra = fc.record({ sets: fileableSets, extra: capSet }).map(({ sets, extra }) => ({ ...sets, effective: sets.permitted | sets.inheritable | extra }));
  fc.assert(
    fc.property(extra, (sets) => {
      const caps = fileCapsFromSets(sets);
      assert.is(caps.effective, sets.effective !== 0n);
      assert.is(caps.permitted, sets.permitted);
      assert.is(caps.inheritable, sets.inheritable);
    }),
    RUNS,
  );
});

test('setsFromFileCaps(fileCapsFromSets(s)) == s when effective is empty or permitted|inheritable', () => {
  fc.assert(
    fc.property(fileableSets, (sets) => {
      assert.equal({ ...setsFromFileCaps(fileCapsFromSets(sets)) }, { ...sets });
    }),
    RUNS,
  );
});

// libcap's cap_set_file refuses a non-empty effective set that misses a permitted or inheritable
// bit, and tolerates extra effective bits (`cap_chown=ep cap_kill=e` stores cap_chown=ep): checked
// against setcap 2.66 here; the differential fuzzer covers it from text.
test('fileCapsFromSets refuses a non-empty effective set missing a permitted|inheritable bit', () => {
  const unfileable = capSets.filter((s) => s.effective !== 0n && ((s.permitted | s.inheritable) & ~s.effective) !== 0n);
  fc.assert(
    fc.property(unfileable, (sets) => {
      assert.throws(() => fileCapsFromSets(sets), (error: unknown) => error instanceof FileCapsError);
    }),
    RUNS,
  );
});

test('parseCapText on arbitrary strings: a CapTextError naming a position inside the text, or sets', () => {
  const alphabet = fc.constantFrom(...'=+-,eipEIPalcp_ 0123456789xn\t\n'.split(''), 'cap_chown', 'all', 'cap_net_raw', '\u212a', '\u00a0');
  const texts = fc.oneof(fc.string(), fc.array(alphabet, { maxLength: 12 }).map((parts) => parts.join('')));
  fc.assert(
    fc.property(texts, (text) => {
      try {
        const sets = parseCapText(text);
        for (const set of [sets.effective, sets.permitted, sets.inheritable]) assert.ok(set >= 0n && set <= U64_MAX);
      } catch (error) {
        assert.instance(error, CapTextError, `threw ${String(error)} for ${JSON.stringify(text)}`);
        const e = error as CapTextError;
        assert.ok(e.message.length > 0);
        assert.ok(e.position >= 0 && e.position <= text.length, `position ${e.position} outside ${JSON.stringify(text)}`);
      }
    }),
    RUNS,
  );
});

test.run();
