// The oracle: the real libcap 2.66 setcap/getcap on this machine, driven in
// batches from one python3 process (python has os.setxattr/os.getxattr,
// Node has neither). Needs root (setcap, security.* attributes), setcap,
// getcap and python3; fails with a message naming what is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** setcap TEXT FILE on a fresh empty file, then what is on disk and what getcap prints. */
export interface SetcapOutcome {
  text: string;
  exitCode: number;
  stderr: string;
  /** Hex of security.capability after the run, or null when there is none. */
  xattrHex: string | null;
  /** What `getcap FILE` printed after the file name, or null when it printed nothing. */
  getcapText: string | null;
}

/** Raw bytes written with os.setxattr, then read back and shown by `getcap -n`. */
export interface RawOutcome {
  hex: string;
  /** errno name when the kernel refused the write (EINVAL ...), else null. */
  writeError: string | null;
  /** Hex of what the kernel stored (it may convert, e.g. revision 3 with rootid 0 to revision 2). */
  storedHex: string | null;
  /** What `getcap -n FILE` printed after the file name, including " [rootid=N]". */
  getcapText: string | null;
}

const DRIVER = String.raw`
import errno, json, os, subprocess, sys
job = json.load(sys.stdin)
d = job["dir"]
def read(path):
    try:
        return os.getxattr(path, "security.capability").hex()
    except OSError:
        return None
def getcap(flags, paths):
    shown = {}
    for i in range(0, len(paths), 2000):
        out = subprocess.run(["getcap", *flags, *paths[i:i + 2000]], capture_output=True, check=True).stdout
        for line in out.decode("utf-8", "surrogateescape").splitlines():
            path, _, text = line.partition(" ")
            shown[path] = text
    return shown
texts, raws = [], []
for i, text in enumerate(job["texts"]):
    path = os.path.join(d, "t%06d" % i)
    open(path, "wb").close()
    run = subprocess.run(["setcap", text, path], capture_output=True)
    texts.append({"path": path, "exitCode": run.returncode,
                  "stderr": run.stderr.decode("utf-8", "replace"), "xattrHex": read(path)})
for i, raw in enumerate(job["raws"]):
    path = os.path.join(d, "r%06d" % i)
    open(path, "wb").close()
    error = None
    try:
        os.setxattr(path, "security.capability", bytes.fromhex(raw))
    except OSError as e:
        error = errno.errorcode.get(e.errno, str(e.errno))
    raws.append({"path": path, "writeError": error, "storedHex": read(path)})
shown = getcap([], [t["path"] for t in texts])
for t in texts:
    t["getcapText"] = shown.get(t["path"])
shown = getcap(["-n"], [r["path"] for r in raws])
for r in raws:
    r["getcapText"] = shown.get(r["path"])
json.dump({"texts": texts, "raws": raws}, sys.stdout)
`;

/** Strings setcap takes as options, not as capability text (progs/setcap.c compares whole arguments). */
export const SETCAP_OPTION_WORDS: ReadonlySet<string> = new Set(['-', '-r', '-q', '-v', '-h', '-n', '--license']);

/** Throws, naming what is missing, unless the oracle can run here. */
export function requireOracle(): void {
  if (process.getuid?.() !== 0) throw new Error('the libcap oracle needs root (setcap, security.capability): run as root');
  for (const tool of ['setcap', 'getcap', 'python3']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
    if (!found) throw new Error(`the libcap oracle needs ${tool}: apt-get install -y libcap2-bin python3`);
  }
}

/** The running kernel's highest capability, as the CLI reads it. */
export function kernelLastCap(): number {
  return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
}

/** Runs setcap on each text and writes each raw attribute, all in one scratch directory that is removed afterwards. */
export function runOracle(texts: readonly string[], raws: readonly string[] = []): { texts: SetcapOutcome[]; raws: RawOutcome[] } {
  requireOracle();
  for (const text of texts) {
    if (SETCAP_OPTION_WORDS.has(text) || text.includes('\0')) {
      throw new Error(`setcap would not see ${JSON.stringify(text)} as capability text`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'caps-oracle-'));
  try {
    const out = execFileSync('python3', ['-c', DRIVER], {
      input: JSON.stringify({ dir, texts, raws }),
      maxBuffer: 1 << 30,
      encoding: 'utf8',
    });
    const result = JSON.parse(out) as {
      texts: Array<Omit<SetcapOutcome, 'text'>>;
      raws: Array<Omit<RawOutcome, 'hex'>>;
    };
    return {
      texts: result.texts.map((t, i) => ({ ...t, text: texts[i]!, getcapText: t.getcapText ?? null })),
      raws: result.raws.map((r, i) => ({ ...r, hex: raws[i]!, getcapText: r.getcapText ?? null })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
