// Differential test against the real libcap 2.66 on this machine.
//
// Texts: generated from the cap_from_text grammar, then mutated into
// near misses. For each, `setcap TEXT FILE` must accept or refuse as we
// do (refusing for the same reason: the text, or the effective rule);
// when it accepts, the bytes on disk must be encodeVfsCap's and `getcap`
// must print formatCapText of what decodeVfsCap reads from those bytes.
//
// Attributes: random revision 2 and 3 values (random bits, rootids)
// written raw with os.setxattr; `getcap -n` must print our decode+format
// plus the rootid suffix, and re-encoding must give the stored bytes.
// Malformed attributes must be refused by the kernel and by decodeVfsCap.
// Finally the text we print for each stored attribute goes back through
// `setcap`, which must write the attribute our model predicts.
//
// Seeded and deterministic: CAPS_DIFF_SEED=<n> replays another seed,
// CAPS_DIFF_TEXTS=<n> changes the number of texts.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CAP_NAMES } from '../../src/caps/names';
import { CapTextError, formatCapText, formatRootidSuffix, parseCapText } from '../../src/caps/text';
import { decodeVfsCap, encodeVfsCap, FileCapsError, fileCapsFromSets, setcapExplainsEffectiveRule, setsFromFileCaps } from '../../src/caps/vfs';
import { kernelLastCap, runOracle, SETCAP_OPTION_WORDS } from './libcap-oracle';

const SEED = Number(process.env.CAPS_DIFF_SEED ?? 20261204);
const TEXT_COUNT = Number(process.env.CAPS_DIFF_TEXTS ?? 6000);
const RAW_COUNT = 600;
const MALFORMED_COUNT = 150;

// ---- the grammar ------------------------------------------------------------

/** A word in lower, upper or mixed case (names, `all` and flags-free words are case-insensitive). */
const anyCase = (word: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(word) },
    { weight: 1, arbitrary: fc.constant(word.toUpperCase()) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
        .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')),
    },
  );

const capName = fc.constantFrom(...CAP_NAMES).chain(anyCase);

const capNumber = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 63 }).map(String) },
  { weight: 3, arbitrary: fc.integer({ min: 41, max: 63 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 63 }).map((n) => `0x${n.toString(16)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 63 }).map((n) => `0X${n.toString(16).toUpperCase()}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 63 }).map((n) => `0${n.toString(8)}`) },
);

const listItem = fc.oneof(
  { weight: 8, arbitrary: capName },
  { weight: 3, arbitrary: capNumber },
  { weight: 1, arbitrary: anyCase('all') },
);

const capList = fc.array(listItem, { minLength: 1, maxLength: 4 }).map((items) => items.join(','));

/** Flags, biased towards what files can carry (ep, p, i, eip ...). */
const flags = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('ep', 'pe', 'p', 'i', 'ip', 'eip', 'pie', 'ep') },
  { weight: 2, arbitrary: fc.constantFrom('e', '', 'ei', 'ie') },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('e', 'i', 'p'), { maxLength: 5 }).map((f) => f.join('')) },
);
const someFlags = flags.filter((f) => f.length > 0);

const moreActions = fc
  .array(fc.tuple(fc.constantFrom('+', '-'), someFlags), { maxLength: 2 })
  .map((actions) => actions.map(([op, f]) => op + f).join(''));

const listedClause = fc
  .tuple(capList, fc.constantFrom('=', '=', '+', '+', '-', '=+', '=-'), flags, moreActions)
  .map(([list, op, f, more]) => (op === '=' || f.length > 0 ? `${list}${op}${f}${more}` : `${list}${op}p${more}`));

const bareClause = flags.map((f) => `=${f}`);

const clause = fc.oneof({ weight: 5, arbitrary: listedClause }, { weight: 1, arbitrary: bareClause });

const whiteSpace = fc.array(fc.constantFrom(' ', ' ', ' ', '\t', '\n', '\r', '\v', '\f'), { minLength: 1, maxLength: 2 }).map((w) => w.join(''));

const validText = fc
  .tuple(
    fc.array(fc.tuple(clause, whiteSpace), { maxLength: 4 }),
    fc.option(whiteSpace, { nil: '' }),
    fc.option(whiteSpace, { nil: '' }),
  )
  .map(([clauses, lead, trail]) => lead + clauses.map(([c, w], i) => (i > 0 ? w : '') + c).join('') + trail);

// ---- mutations ----------------------------------------------------------------

const JUNK_CHARS = 'eipEIPxa_=+-, \t,0123456789cC';
const JUNK_TAILS = [',', '+', '-', '=', 'x', ' x', ' cap_', ',all', '=+', '+E', '\u00e9', '#'];
const BAD_NUMBERS = ['64', '0x40', '0100', '99', '08', '0x', '1e', '4294967297', '077777777777777777777777'];
const BAD_NAMES = ['cap_foo', 'cap_net_bind_servce', 'net_raw', 'cap_chown_', 'cap_chownx', 'cap', 'alll', 'al', 'cap_sys_admin2'];

/** One edit, chosen and placed by the three numbers (so it is reproducible from the seed). */
function mutate(text: string, [kind, where, what]: [number, number, number]): string {
  const at = text.length === 0 ? 0 : where % (text.length + 1);
  switch (kind % 8) {
    case 0: // insert a character
      return text.slice(0, at) + JUNK_CHARS[what % JUNK_CHARS.length] + text.slice(at);
    case 1: // delete a character
      return text.slice(0, at) + text.slice(at + 1);
    case 2: // replace a character
      return text.slice(0, at) + JUNK_CHARS[what % JUNK_CHARS.length] + text.slice(at + 1);
    case 3: // trailing junk
      return text + JUNK_TAILS[what % JUNK_TAILS.length];
    case 4: { // a bad flag
      const spots = [...text.matchAll(/[eip]/g)].map((m) => m.index!);
      if (spots.length === 0) return text + '=x';
      const spot = spots[where % spots.length]!;
      return text.slice(0, spot) + 'xEPIa'[what % 5] + text.slice(spot + 1);
    }
    case 5: { // a bad number
      const spots = [...text.matchAll(/\b(0[xX][0-9a-fA-F]+|\d+)\b/g)];
      const bad = BAD_NUMBERS[what % BAD_NUMBERS.length]!;
      if (spots.length === 0) return `${bad}=p ${text}`;
      const spot = spots[where % spots.length]!;
      return text.slice(0, spot.index) + bad + text.slice(spot.index! + spot[0].length);
    }
    case 6: { // an unknown or misspelt name
      const spots = [...text.matchAll(/[A-Za-z_]{3,}/g)];
      const bad = BAD_NAMES[what % BAD_NAMES.length]!;
      if (spots.length === 0) return `${bad}=p`;
      const spot = spots[where % spots.length]!;
      return text.slice(0, spot.index) + bad + text.slice(spot.index! + spot[0].length);
    }
    default: // cut the text short
      return text.slice(0, at);
  }
}

const edit = fc.tuple(fc.nat(), fc.nat(), fc.nat());
const mutatedText = fc
  .tuple(validText, fc.array(edit, { minLength: 1, maxLength: 3 }))
  .map(([text, edits]) => edits.reduce(mutate, text));

const setcapText = (arb: fc.Arbitrary<string>): fc.Arbitrary<string> => arb.filter((t) => !SETCAP_OPTION_WORDS.has(t));

// ---- raw attributes -------------------------------------------------------------

const U64 = (1n << 64n) - 1n;
const capSet = fc.oneof(
  fc.bigInt({ min: 0n, max: U64 }),
  fc.constantFrom(0n, (1n << 41n) - 1n, U64, U64 ^ ((1n << 41n) - 1n), 1n << 13n, 1n << 63n),
  fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 4 }).map((bits) => bits.reduce((s, b) => s | (1n << BigInt(b)), 0n)),
);

function attributeHex(revision: 2 | 3, effective: boolean, permitted: bigint, inheritable: bigint, rootid: number): string {
  const bytes = Buffer.alloc(revision === 3 ? 24 : 20);
  bytes.writeUInt32LE((revision << 24) | (effective ? 1 : 0), 0);
  bytes.writeUInt32LE(Number(permitted & 0xffffffffn), 4);
  bytes.writeUInt32LE(Number(inheritable & 0xffffffffn), 8);
  bytes.writeUInt32LE(Number(permitted >> 32n), 12);
  bytes.writeUInt32LE(Number(inheritable >> 32n), 16);
  if (revision === 3) bytes.writeUInt32LE(rootid, 20);
  return bytes.toString('hex');
}

const rootid = fc.oneof(
  fc.constantFrom(0, 1, 1000, 0x7fffffff, 0x80000000, 0xfffffffe),
  fc.integer({ min: 1, max: 0xfffffffe }),
);

const wellFormedAttribute = fc
  .tuple(fc.constantFrom<2 | 3>(2, 3), fc.boolean(), capSet, capSet, rootid)
  .map(([revision, effective, permitted, inheritable, id]) => attributeHex(revision, effective, permitted, inheritable, id));

/** Attributes neither the kernel nor decodeVfsCap accept: wrong sizes, revisions or flags. */
const malformedAttribute = fc
  .tuple(fc.constantFrom(0, 2, 3, 4, 0xff), fc.integer({ min: 0, max: 0xffffff }), fc.constantFrom(3, 4, 8, 12, 16, 20, 24, 28), fc.nat())
  .map(([revision, flagBits, size, fill]) => {
    const bytes = Buffer.alloc(size, fill & 0xff);
    const magic = ((revision << 24) | flagBits) >>> 0;
    if (size >= 4) bytes.writeUInt32LE(magic, 0);
    else bytes.set(Buffer.from([magic & 0xff, (magic >> 8) & 0xff, (magic >> 16) & 0xff]).subarray(0, size));
    return bytes.toString('hex');
  })
  .filter((hex) => {
    const bytes = Buffer.from(hex, 'hex');
    if (bytes.length < 4) return true;
    const magic = bytes.readUInt32LE(0) & ~1;
    const fits = (magic === 0x02000000 && bytes.length === 20) || (magic === 0x03000000 && bytes.length === 24);
    return !fits;
  });

// ---- our side -------------------------------------------------------------------

type Verdict =
  | { kind: 'accepted'; hex: string; sets: ReturnType<typeof parseCapText> }
  | { kind: 'text refused'; message: string }
  | { kind: 'effective rule'; message: string };

function ours(text: string, lastCap: number): Verdict {
  let sets;
  try {
    sets = parseCapText(text, { lastCap });
  } catch (error) {
    if (error instanceof CapTextError) return { kind: 'text refused', message: error.message };
    throw error;
  }
  try {
    return { kind: 'accepted', hex: Buffer.from(encodeVfsCap(fileCapsFromSets(sets))).toString('hex'), sets };
  } catch (error) {
    if (error instanceof FileCapsError) return { kind: 'effective rule', message: error.message };
    throw error;
  }
}

function libcapVerdict(exitCode: number, stderr: string): Verdict['kind'] | 'other failure' {
  if (exitCode === 0) return 'accepted';
  if (stderr.startsWith('fatal error: Invalid argument')) return 'text refused';
  // cap_set_file's EINVAL: libcap's effective rule (the only reason it refuses
  // sets for a regular file). setcap explains it with a NOTE only sometimes:
  // its check stops at the first mismatching bit before it has seen any
  // effective bit, e.g. for '=p 55=ip+ie'.
  if (stderr.includes('Invalid file')) return 'effective rule';
  return 'other failure';
}

// ---- the test --------------------------------------------------------------------

test(`differential against libcap 2.66 setcap/getcap (seed ${SEED})`, () => {
  const lastCap = kernelLastCap();
  const validCount = Math.ceil(TEXT_COUNT / 2);
  const texts = [
    ...fc.sample(setcapText(validText), { seed: SEED, numRuns: validCount }),
    ...fc.sample(setcapText(mutatedText), { seed: SEED + 1, numRuns: TEXT_COUNT - validCount }),
  ];
  const wellFormed = fc.sample(wellFormedAttribute, { seed: SEED + 2, numRuns: RAW_COUNT });
  const malformed = fc.sample(malformedAttribute, { seed: SEED + 3, numRuns: MALFORMED_COUNT });

  const started = Date.now();
  const oracle = runOracle(texts, [...wellFormed, ...malformed]);
  const mismatches: string[] = [];
  const tally = new Map<string, number>();
  const count = (key: string): void => void tally.set(key, (tally.get(key) ?? 0) + 1);
  const printed: Array<{ text: string; hex: string }> = [];

  for (const outcome of oracle.texts) {
    const mine = ours(outcome.text, lastCap);
    const theirs = libcapVerdict(outcome.exitCode, outcome.stderr);
    count(`setcap ${theirs}`);
    const label = JSON.stringify(outcome.text);
    if (mine.kind !== theirs) {
      const detail = mine.kind === 'accepted' ? mine.hex : mine.message;
      mismatches.push(`${label}: libcap ${theirs} (exit ${outcome.exitCode}, ${outcome.stderr.split('\n')[0]}), ours ${mine.kind} (${detail})`);
      continue;
    }
    if (mine.kind === 'effective rule') {
      const noted = outcome.stderr.includes('NOTE: Under Linux, effective file capabilities');
      const predicted = setcapExplainsEffectiveRule(parseCapText(outcome.text, { lastCap }));
      if (noted !== predicted) mismatches.push(`${label}: setcap NOTE ${noted ? 'shown' : 'not shown'}, ours predicts ${predicted ? 'shown' : 'not shown'}`);
    }
    if (mine.kind !== 'accepted') continue;
    if (outcome.xattrHex !== mine.hex) {
      mismatches.push(`${label}: bytes libcap ${outcome.xattrHex}, ours ${mine.hex}`);
      continue;
    }
    const shown = formatCapText(setsFromFileCaps(decodeVfsCap(Buffer.from(outcome.xattrHex, 'hex'))), { lastCap });
    if (outcome.getcapText !== shown) {
      mismatches.push(`${label}: getcap ${JSON.stringify(outcome.getcapText)}, ours ${JSON.stringify(shown)}`);
    }
  }

  oracle.raws.forEach((outcome, i) => {
    const isMalformed = i >= wellFormed.length;
    const label = `attribute ${outcome.hex}`;
    if (isMalformed) {
      count('malformed attribute refused');
      let decoded = true;
      try {
        decodeVfsCap(Buffer.from(outcome.hex, 'hex'));
      } catch (error) {
        if (!(error instanceof FileCapsError)) throw error;
        decoded = false;
      }
      if (outcome.writeError === null || decoded) {
        mismatches.push(`${label}: kernel ${outcome.writeError ?? 'stored it'}, decodeVfsCap ${decoded ? 'accepted it' : 'refused it'}`);
      }
      return;
    }
    if (outcome.writeError !== null || outcome.storedHex === null) {
      // The kernel refuses only what it must: nothing generated here is malformed.
      mismatches.push(`${label}: the kernel refused it (${outcome.writeError})`);
      return;
    }
    count('attribute stored');
    const stored = Buffer.from(outcome.storedHex, 'hex');
    const caps = decodeVfsCap(stored);
    const shown = formatCapText(setsFromFileCaps(caps), { lastCap }) + formatRootidSuffix(caps.rootid);
    if (outcome.getcapText !== shown) {
      mismatches.push(`${label} (stored ${outcome.storedHex}): getcap -n ${JSON.stringify(outcome.getcapText)}, ours ${JSON.stringify(shown)}`);
    }
    const again = Buffer.from(encodeVfsCap(caps)).toString('hex');
    if (again !== outcome.storedHex) {
      mismatches.push(`${label}: stored ${outcome.storedHex}, encodeVfsCap(decodeVfsCap(stored)) ${again}`);
    }
    // The cap_t getcap builds; an effective bit with no capabilities is an
    // empty cap_t, printed '=' and written back without the bit.
    const sets = setsFromFileCaps(caps);
    printed.push({ text: formatCapText(sets, { lastCap }), hex: Buffer.from(encodeVfsCap(fileCapsFromSets(sets))).toString('hex') });
  });

  // What we print must be text libcap reads back to the same attribute
  // (without the rootid, which is not part of the text).
  const reread = runOracle(printed.map((p) => p.text));
  reread.texts.forEach((outcome, i) => {
    count('printed text re-read by setcap');
    if (outcome.exitCode !== 0 || outcome.xattrHex !== printed[i]!.hex) {
      mismatches.push(`printed ${JSON.stringify(outcome.text)}: setcap exit ${outcome.exitCode} wrote ${outcome.xattrHex}, expected ${printed[i]!.hex}`);
    }
  });

  const cases = oracle.texts.length + oracle.raws.length + reread.texts.length;
  const breakdown = [...tally].sort().map(([key, n]) => `${key}: ${n}`).join(', ');
  console.log(`differential: ${cases} cases, ${mismatches.length} mismatches (seed ${SEED}, lastCap ${lastCap}, ${Date.now() - started} ms)`);
  console.log(`  ${breakdown}`);
  for (const line of mismatches.slice(0, 20)) console.log(`  MISMATCH ${line}`);
  assert.ok(oracle.texts.length >= 5000, `only ${oracle.texts.length} texts`);
  assert.is(mismatches.length, 0, `${mismatches.length} mismatches, first: ${mismatches[0]}`);
});

test.run();
