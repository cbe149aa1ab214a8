// Shared machinery for the fault matrix and the user-namespace tests: a byte-exact snapshot of a
// directory tree (contents, modes, symlink targets, security.capability read raw with python3
// os.getxattr), and a runner that executes the tool in a private mount namespace whose
// /tmp and /dev/shm are fresh tmpfs mounts, so anything the tool leaves there is seen exactly
// (other engineers' tests writing to the real /tmp at the same time cannot disturb the check).
// The bundle, scratch space outside /tmp and raw attribute access are the ones every suite shares
// (test/tool-bundle.ts, test/scratch.ts, test/raw-xattr.ts), re-exported here.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { PYTHON } from '../raw-xattr';
import { toolBundle } from '../tool-bundle';

export { REPO, toolBundle } from '../tool-bundle';
export { atExit, scratchDir, SCRATCH_ROOT } from '../scratch';
export { PYTHON, readCapability, writeCapability } from '../raw-xattr';

/**
 * `count` empty files DIR/files/f00000, f00001, ... and the setcap arguments giving each `capText`,
 * relative to DIR (`capText files/f00000 capText files/f00001 ...`).
 */
export function emptyFiles(dir: string, count: number, capText: string): string[] {
  mkdirSync(join(dir, 'files'));
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `files/f${String(i).padStart(5, '0')}`;
    writeFileSync(join(dir, name), '');
    args.push(capText, name);
  }
  return args;
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const SNAPSHOT_PY = String.raw`
import hashlib, json, os, stat, sys
root = sys.argv[1]
out = {}
for dirpath, dirnames, filenames in os.walk(root):
    for name in sorted(dirnames + filenames):
        p = os.path.join(dirpath, name)
        rel = os.path.relpath(p, root)
        st = os.lstat(p)
        entry = {'mode': oct(st.st_mode), 'uid': st.st_uid, 'size': st.st_size}
        if stat.S_ISLNK(st.st_mode):
            entry['link'] = os.readlink(p)
        elif stat.S_ISREG(st.st_mode):
            with open(p, 'rb') as f:
                entry['sha256'] = hashlib.sha256(f.read()).hexdigest()
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            entry['rdev'] = st.st_rdev
        try:
            entry['xattr'] = os.getxattr(p, 'security.capability', follow_symlinks=False).hex()
        except OSError as e:
            entry['xattr'] = None if e.errno in (61, 95) else 'errno %d' % e.errno
        out[rel] = entry
    dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
print(json.dumps(out, sort_keys=True))
`;

export type TreeSnapshot = Record<string, { mode: string; size: number; sha256?: string; link?: string; xattr: string | null; rdev?: number }>;

/** Every entry under `dir` with its type, mode, contents hash, link target and raw security.capability. */
export function snapshotTree(dir: string): TreeSnapshot {
  return JSON.parse(execFileSync(PYTHON, ['-c', SNAPSHOT_PY, dir], { encoding: 'utf8', maxBuffer: 256 << 20 }));
}

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Entries the run left in its private /tmp and /dev/shm. */
  stray: string[];
  /** The run was killed by the timeout (a hang). */
  timedOut: boolean;
}

export interface ToolRunOptions {
  cwd: string;
  /** Commands put in front of `node BUNDLE` (setpriv ..., unshare --user ...). */
  prefix?: string[];
  /** Shell lines run inside the namespace before the tool (extra mounts). */
  setup?: string;
  /** Seconds before the tool is killed and the run counts as a hang. */
  timeout?: number;
  env?: NodeJS.ProcessEnv;
}

const RUN_SH = String.raw`
set -u
# The tool's stdout and stderr are this script's; its status goes to fd 3 and the stray listing
# to fd 4 (pipes to the test: nothing is open for writing on a filesystem the setup remounts).
mount -t tmpfs -o mode=1777 setcap-static-test-tmp /tmp || exit 97
mount -t tmpfs -o mode=1777 setcap-static-test-shm /dev/shm || exit 97
eval "$SETUP" || exit 98
cd "$RUN_CWD" || exit 98
timeout -s KILL "$RUN_TIMEOUT" "$@" </dev/null
echo $? >&3
cd /
find /tmp /dev/shm -mindepth 1 >&4
`;

/**
 * Runs `node BUNDLE ...args` in a private mount namespace (fresh /tmp and /dev/shm), in `cwd`,
 * with a timeout; returns its exit status, output, and whatever it left in /tmp and /dev/shm.
 */
export function runTool(args: readonly string[], options: ToolRunOptions): ToolRun {
  const timeout = options.timeout ?? 30;
  const command = [...(options.prefix ?? []), process.execPath, toolBundle(), ...args];
  const run = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', RUN_SH, 'run', ...command], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...(options.env ?? cleanEnv()), SETUP: options.setup ?? ':', RUN_CWD: options.cwd, RUN_TIMEOUT: String(timeout) },
    timeout: (timeout + 30) * 1000,
    maxBuffer: 64 << 20,
  });
  const [, stdout, stderr, status, stray] = run.output as (string | null)[];
  const statusText = (status ?? '').trim();
  if (statusText === '') {
    assert.unreachable(`could not run the tool in a mount namespace (runner status ${run.status}, ${run.error?.message ?? ''}): ${stderr}`);
  }
  return {
    status: statusText === '137' ? null : Number(statusText),
    stdout: stdout ?? '',
    stderr: stderr ?? '',
    stray: (stray ?? '').split('\n').filter(Boolean),
    timedOut: statusText === '137',
  };
}

/** The environment a user would have: PATH and HOME, no TMPDIR, no NODE_OPTIONS from the test runner. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };
}

/** No hang, the exact stderr, the exit status, nothing on stdout, nothing left in /tmp or /dev/shm, no stack trace. */
export function assertFailure(run: ToolRun, expected: { status: number; stderr: string }): void {
  assert.not.ok(run.timedOut, 'the tool hung and was killed by the timeout');
  assert.not.match(run.stderr, /\n\s+at .+[(:]\d+|node:internal|TypeError|ReferenceError/, `a stack trace or internal error in stderr:\n${run.stderr}`);
  assert.is(run.stderr, expected.stderr);
  assert.is(run.status, expected.status, `exit status (stderr: ${run.stderr})`);
  assert.is(run.stdout, '');
  assert.equal(run.stray, [], 'files left in /tmp or /dev/shm');
}

/** Two snapshots are identical; on difference, names the entries that changed. */
export function assertUnchanged(before: TreeSnapshot, after: TreeSnapshot, where: string): void {
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
  assert.equal(
    changed.map((key) => ({ key, before: before[key], after: after[key] })),
    [],
    `${where} changed`,
  );
}

/** Prints why a test cannot run on this kernel and returns true; the caller returns. Only for conditions the kernel cannot provide. */
export function skip(name: string, reason: string): true {
  console.log(`SKIP ${name}: ${reason}`);
  return true;
}

export interface FaultCase {
  /** Directories whose whole tree must be the same after the run. */
  watch: string[];
  args: string[];
  cwd: string;
  expected: { status: number; stderr: string };
  prefix?: string[];
  setup?: string;
  timeout?: number;
}

/**
 * One row of the fault matrix: snapshot the watched trees and the tool, run it, and check the
 * exact message and status, no hang, no stack trace, nothing in /tmp or /dev/shm, and that
 * neither the trees nor the tool changed.
 */
export function checkFault(fault: FaultCase): ToolRun {
  const toolHash = sha256(toolBundle());
  const before = fault.watch.map((dir) => snapshotTree(dir));
  const run = runTool(fault.args, { cwd: fault.cwd, prefix: fault.prefix, setup: fault.setup, timeout: fault.timeout });
  assertFailure(run, fault.expected);
  fault.watch.forEach((dir, i) => assertUnchanged(before[i]!, snapshotTree(dir), dir));
  assert.is(sha256(toolBundle()), toolHash, 'the tool itself changed');
  return run;
}

/**
 * The one known difference, left for the lead to decide: libcap's `setcap -v` reads the file with
 * cap_get_file(), which follows symlinks, and takes a file it cannot read (missing, a directory, a
 * device) as having no capabilities, so `setcap -v = missing` prints "missing: OK" and exits 0.
 * Ours refuses such a target with a message, like every other command does. A divergence is
 * accepted only for a command line with -v where libcap exits 0, ours exits 1 naming one of the
 * odd targets, and nothing changed; every other difference fails the test.
 */
export const ODD_TARGETS = ['missing', 'dir', 'd', 'link', 'dangling', 'null', 'sock', 'file/', 'f/', 'f/x', 'n'.repeat(256)];
export function isVerifyDivergence(argv: readonly string[], stderr: string): boolean {
  return argv.includes('-v') && ODD_TARGETS.some((target) => stderr.startsWith(`setcap-static: ${target}: `));
}
