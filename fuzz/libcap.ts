// Differential fuzzer: our capability text and bytes against the real libcap 2.66 setcap/getcap.
//
// For every generated text, libcap decides: setcap accepts it or refuses it; when it accepts,
// the kernel holds the bytes it wrote (read back raw with python3 os.getxattr) and getcap prints
// the text cap_to_text gives for them. We then check, per text:
//   - parseCapText + fileCapsFromSets accept exactly the texts setcap accepts,
//   - encodeVfsCap of the result equals libcap's bytes (revision 2, or 3 under `setcap -n ROOTID`),
//   - formatCapText(setsFromFileCaps(decodeVfsCap(libcap's bytes))) equals getcap's text.
//
// Speed: setcap takes many CAPS FILE pairs in one run and stops at the first failure, leaving the
// earlier files set and the later ones untouched. Texts our parser accepts go in one run; when
// the run fails, getcap tells how far it got, that text is recorded as refused, and the run
// resumes after it. Texts our parser refuses go one per run, where the exit status alone decides
// (our opinion only orders the work; the verdict is always libcap's). Chunks run concurrently,
// one per core, each in its own directory on /dev/shm.
//
// Usage: npm run fuzz [-- --cases N --seed S]   (or FUZZ_CASES / FUZZ_SEED); exit 1 on any mismatch.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { CapTextError, formatCapText, formatRootidSuffix, parseCapText } from '../src/caps/text';
import { decodeVfsCap, encodeVfsCap, fileCapsFromSets, FileCapsError, setsFromFileCaps } from '../src/caps/vfs';
import { generateAttributes, generateTexts } from './generate';

/** What libcap did with one text. */
export type LibcapVerdict = { accepted: false } | { accepted: true; bytes: string; getcap: string };

/** What our code did with one text. */
export type OurVerdict =
  | { accepted: false; reason: string }
  | { accepted: true; bytes: string }
  | { crashed: string };

export interface Mismatch {
  text: string;
  rootid?: number;
  what: string;
  libcap: string;
  ours: string;
}

export interface FuzzReport {
  cases: number;
  /** Raw revision 2/3 attributes written with os.setxattr and printed by getcap -n. */
  attributes: number;
  accepted: number;
  refused: number;
  mismatches: Mismatch[];
  setcapRuns: number;
  seconds: number;
}

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    if (input !== undefined && child.stdin) {
      child.stdin.on('error', reject);
      child.stdin.end(input);
    }
  });
}

/** Debian's python3 when present (a pyenv-style shim on PATH costs ~100 ms per start); $PYTHON overrides. */
const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const READ_XATTRS_PY = `
import os, sys
for p in sys.stdin.read().split('\\n'):
    if not p: continue
    try: print(os.getxattr(p, 'security.capability').hex())
    except OSError: print('-')
`;

/** Raw security.capability of each path as hex, or null when it has none. */
async function readCapabilityXattrs(paths: string[]): Promise<(string | null)[]> {
  const result = await run(PYTHON, ['-c', READ_XATTRS_PY], paths.join('\n') + '\n');
  if (result.status !== 0) throw new Error(`python3 os.getxattr failed: ${result.stderr}`);
  const lines = result.stdout.split('\n').slice(0, paths.length);
  return lines.map((line) => (line === '-' ? null : line));
}

/** getcap's text per path (the part after "PATH "), for paths that carry a capability. */
async function getcapTexts(paths: string[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  if (paths.length === 0) return texts;
  const result = await run('getcap', paths);
  for (const line of result.stdout.split('\n')) {
    if (!line) continue;
    const space = line.indexOf(' ');
    texts.set(line.slice(0, space), line.slice(space + 1));
  }
  return texts;
}

/** Decides each text with the real setcap, writing into fresh files under `dir`. */
export async function libcapVerdicts(
  texts: string[],
  ourGuess: boolean[],
  dir: string,
  rootid: number | undefined,
  counters: { setcapRuns: number },
): Promise<LibcapVerdict[]> {
  const paths = texts.map((_, i) => join(dir, String(i).padStart(6, '0')));
  for (const p of paths) writeFileSync(p, '');
  const accepted: boolean[] = texts.map(() => false);
  const prefix = rootid === undefined ? [] : ['-n', String(rootid)];

  // Texts we expect libcap to accept: one run, resumed after each refusal.
  let pending = texts.map((_, i) => i).filter((i) => ourGuess[i]);
  while (pending.length > 0) {
    const args = [...prefix];
    for (const i of pending) args.push(texts[i] as string, paths[i] as string);
    counters.setcapRuns++;
    const result = await run('setcap', args);
    if (result.status === 0) {
      for (const i of pending) accepted[i] = true;
      break;
    }
    const set = await getcapTexts(pending.map((i) => paths[i] as string));
    const stop = pending.findIndex((i) => !set.has(paths[i] as string));
    if (stop < 0) throw new Error(`setcap exited ${result.status} but set every file: ${result.stderr}`);
    for (const i of pending.slice(0, stop)) accepted[i] = true;
    pending = pending.slice(stop + 1);
  }

  // Texts we expect libcap to refuse: one run each, the exit status decides.
  const singles = texts.map((_, i) => i).filter((i) => !ourGuess[i]);
  for (const i of singles) {
    counters.setcapRuns++;
    const result = await run('setcap', [...prefix, texts[i] as string, paths[i] as string]);
    accepted[i] = result.status === 0;
  }

  const bytes = await readCapabilityXattrs(paths);
  const shown = await getcapTexts(paths.filter((_, i) => accepted[i]));
  return texts.map((text, i) => {
    const hex = bytes[i] ?? null;
    if (!accepted[i]) {
      if (hex !== null) throw new Error(`setcap refused ${JSON.stringify(text)} but the file holds ${hex}`);
      return { accepted: false };
    }
    const getcap = shown.get(paths[i] as string);
    if (hex === null || getcap === undefined) throw new Error(`setcap accepted ${JSON.stringify(text)} but the file has no capability`);
    return { accepted: true, bytes: hex, getcap };
  });
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Our verdict for one text: parse, apply the file effective rule, encode. */
export function ourVerdict(text: string, rootid?: number): OurVerdict {
  try {
    const sets = parseCapText(text);
    const fileCaps = fileCapsFromSets(sets);
    return { accepted: true, bytes: hex(encodeVfsCap(rootid === undefined ? fileCaps : { ...fileCaps, rootid })) };
  } catch (error) {
    if (error instanceof CapTextError || error instanceof FileCapsError) return { accepted: false, reason: error.message };
    return { crashed: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

/** Compares one text's verdicts; returns what differs. */
export function compareVerdicts(text: string, rootid: number | undefined, libcap: LibcapVerdict, ours: OurVerdict): Mismatch[] {
  const base = { text, ...(rootid === undefined ? {} : { rootid }) };
  if ('crashed' in ours) return [{ ...base, what: 'our code threw an unexpected error', libcap: libcap.accepted ? 'accepted' : 'refused', ours: ours.crashed }];
  if (!libcap.accepted) {
    return ours.accepted ? [{ ...base, what: 'accepted what setcap refuses', libcap: 'refused', ours: `accepted, bytes ${ours.bytes}` }] : [];
  }
  if (!ours.accepted) return [{ ...base, what: 'refused what setcap accepts', libcap: `accepted, bytes ${libcap.bytes}`, ours: `refused: ${ours.reason}` }];
  const found: Mismatch[] = [];
  if (ours.bytes !== libcap.bytes) found.push({ ...base, what: 'bytes differ', libcap: libcap.bytes, ours: ours.bytes });
  let shown: string;
  try {
    shown = formatCapText(setsFromFileCaps(decodeVfsCap(Buffer.from(libcap.bytes, 'hex'))));
  } catch (error) {
    shown = `threw ${error instanceof Error ? error.message : String(error)}`;
  }
  if (shown !== libcap.getcap) found.push({ ...base, what: `getcap text differs for bytes ${libcap.bytes}`, libcap: libcap.getcap, ours: shown });
  return found;
}

const WRITE_XATTRS_PY = `
import os, sys
lines = sys.stdin.read().split('\\n')
for line in lines:
    if not line: continue
    p, v = line.split(' ')
    open(p, 'w').close()
    os.setxattr(p, 'security.capability', bytes.fromhex(v))
`;

/** Writes each attribute raw on its own file, then returns getcap -n's text per file (null: no line). */
async function getcapOfAttributes(attributes: string[], dir: string): Promise<(string | null)[]> {
  const paths = attributes.map((_, i) => join(dir, String(i).padStart(6, '0')));
  const written = await run(PYTHON, ['-c', WRITE_XATTRS_PY], attributes.map((a, i) => `${paths[i]} ${a}`).join('\n') + '\n');
  if (written.status !== 0) throw new Error(`python3 os.setxattr failed: ${written.stderr}`);
  const result = await run('getcap', ['-n', ...paths]);
  const texts = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) texts.set(line.slice(0, space), line.slice(space + 1));
  }
  return paths.map((p) => texts.get(p) ?? null);
}

/** getcap -n's text for stored bytes against formatCapText + formatRootidSuffix of decodeVfsCap, and the re-encoding. */
export function compareAttribute(hexBytes: string, getcap: string | null): Mismatch[] {
  const base = { text: `raw attribute ${hexBytes}` };
  let ours: string;
  let reencoded = '';
  try {
    const caps = decodeVfsCap(Buffer.from(hexBytes, 'hex'));
    ours = formatCapText(setsFromFileCaps(caps)) + formatRootidSuffix(caps.rootid);
    reencoded = hex(encodeVfsCap(caps));
  } catch (error) {
    ours = `threw ${error instanceof Error ? error.message : String(error)}`;
  }
  const found: Mismatch[] = [];
  if (ours !== getcap) found.push({ ...base, what: 'getcap -n text differs', libcap: String(getcap), ours });
  if (reencoded && reencoded !== hexBytes) found.push({ ...base, what: 're-encoding differs from the stored bytes', libcap: hexBytes, ours: reencoded });
  return found;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `cases` generated texts from `seed` through libcap and our code. One chunk in eight
 * runs under `setcap -n ROOTID` (revision 3 bytes). `concurrency` chunks run at once.
 */
export async function runFuzz(options: { cases: number; seed: number; attributes?: number; concurrency?: number; chunkSize?: number }): Promise<FuzzReport> {
  const started = Date.now();
  const texts = generateTexts(options.seed, options.cases);
  const chunks = chunk(texts, options.chunkSize ?? 500);
  const concurrency = options.concurrency ?? Math.max(2, cpus().length);
  const root = mkdtempSync('/dev/shm/setcap-static-fuzz-');
  const counters = { setcapRuns: 0 };
  const report: FuzzReport = { cases: texts.length, attributes: 0, accepted: 0, refused: 0, mismatches: [], setcapRuns: 0, seconds: 0 };
  try {
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const index = next++;
        const group = chunks[index] as string[];
        const rootid = index % 8 === 7 ? 1 + ((options.seed + index * 7919) % 70000) : undefined;
        const ours = group.map((text) => ourVerdict(text, rootid));
        const guess = ours.map((v) => 'accepted' in v && v.accepted);
        const dir = join(root, String(index));
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir);
        const libcap = await libcapVerdicts(group, guess, dir, rootid, counters);
        rmSync(dir, { recursive: true, force: true });
        group.forEach((text, i) => {
          const verdict = libcap[i] as LibcapVerdict;
          if (verdict.accepted) report.accepted++;
          else report.refused++;
          report.mismatches.push(...compareVerdicts(text, rootid, verdict, ours[i] as OurVerdict));
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));

    // Raw attributes: what getcap -n prints for stored bytes, against decode + format.
    const attributes = generateAttributes(options.seed, options.attributes ?? Math.ceil(options.cases / 5));
    const rawChunks = chunk(attributes, 2000);
    let nextRaw = 0;
    const rawWorker = async () => {
      while (nextRaw < rawChunks.length) {
        const index = nextRaw++;
        const group = rawChunks[index] as string[];
        const dir = join(root, `raw-${index}`);
        mkdirSync(dir);
        const shown = await getcapOfAttributes(group, dir);
        rmSync(dir, { recursive: true, force: true });
        group.forEach((hexBytes, i) => {
          report.attributes++;
          report.mismatches.push(...compareAttribute(hexBytes, shown[i] ?? null));
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, rawWorker));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  report.setcapRuns = counters.setcapRuns;
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

function option(name: string, env: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const raw = at >= 0 ? process.argv[at + 1] : process.env[env];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    process.stderr.write(`fuzz: --${name} (or ${env}) must be a non-negative integer, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return value;
}

/** The summary line and the first mismatches, as `npm run fuzz` prints them. */
export function formatReport(report: FuzzReport, show = 20): string {
  const lines = [
    `fuzz: ${report.cases} cases, ${report.mismatches.length} mismatches ` +
      `(texts: libcap accepted ${report.accepted}, refused ${report.refused}, ${report.setcapRuns} setcap runs; ` +
      `raw attributes through getcap -n: ${report.attributes}; ${report.seconds.toFixed(1)} s)`,
  ];
  for (const m of report.mismatches.slice(0, show)) {
    lines.push(`  ${JSON.stringify(m.text)}${m.rootid === undefined ? '' : ` (-n ${m.rootid})`}: ${m.what}\n    libcap: ${m.libcap}\n    ours:   ${m.ours}`);
  }
  if (report.mismatches.length > show) lines.push(`  ... and ${report.mismatches.length - show} more`);
  return lines.join('\n');
}

if (require.main === module) {
  const cases = option('cases', 'FUZZ_CASES', 50000);
  const seed = option('seed', 'FUZZ_SEED', 1);
  runFuzz({ cases, seed }).then(
    (report) => {
      process.stdout.write(formatReport(report) + '\n');
      process.exit(report.mismatches.length === 0 ? 0 : 1);
    },
    (error) => {
      process.stderr.write(`fuzz: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
