// The helper in a FROM-scratch-like root: no /tmp, /dev/shm or /run, / (a tmpfs) the only
// writable place, /proc mounted, /dev/null present, run by the fully static Node that
// `pkg linuxstatic` ships (../shared/node-base), in a private mount namespace. The root's
// listing must be the same before and after: the helper leaves no file anywhere.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireRoot, requireTool, scratchDir } from './helpers';

const REPO = resolve(__dirname, '../..');
const NODE_BASE = '/work/shared/node-base/node-v20.19.2-linuxstatic-x64.xz';
const netBind = '0100000200040000000000000000000000000000';

test('FROM scratch-like root: set, get, remove work and leave the root exactly as it was', () => {
  requireRoot();
  requireTool('unshare', ['--version'], 'util-linux');
  if (process.arch !== 'x64') assert.unreachable('the static Node base here is x86_64');
  if (!existsSync(NODE_BASE)) assert.unreachable(`${NODE_BASE} is missing: the static Node base (see ../shared/node-base/README.md)`);
  const work = scratchDir('scratch');
  execFileSync('sh', ['-c', `xz -dc '${NODE_BASE}' > '${work}/node' && chmod 755 '${work}/node'`]);
  execFileSync(join(REPO, 'node_modules/.bin/esbuild'), [
    join(__dirname, 'fixtures/scratch-main.ts'),
    '--bundle',
    '--platform=node',
    '--target=node20',
    '--format=cjs',
    `--outfile=${work}/main.cjs`,
    '--log-level=error',
  ]);
  const script = `
set -e
root='${work}/root'
mkdir "$root"
mount -t tmpfs -o mode=755 none "$root"
cp '${work}/node' '${work}/main.cjs' "$root/"
mkdir "$root/proc" "$root/dev"
touch "$root/dev/null" "$root/target"
mount --bind /dev/null "$root/dev/null"
mount -t proc proc "$root/proc"
list() { (cd "$root" && find . -xdev | sort | tr '\\n' ' '); echo; }
list
env -i "$(command -v chroot)" "$root" /node /main.cjs set /target ${netBind}
/usr/bin/python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "security.capability").hex())' "$root/target"
env -i "$(command -v chroot)" "$root" /node /main.cjs get /target
env -i "$(command -v chroot)" "$root" /node /main.cjs remove /target
env -i "$(command -v chroot)" "$root" /node /main.cjs get /missing
list
umount "$root/proc"
env -i "$(command -v chroot)" "$root" /node /main.cjs get /target
`;
  const out = execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script]).toString().trim().split('\n');
  assert.is(out.length, 8, out.join('\n'));
  const [before, set, bytes, get, remove, missing, after, noProc] = out as [string, string, string, string, string, string, string, string];
  assert.is(before.trim(), '. ./dev ./dev/null ./main.cjs ./node ./proc ./target');
  assert.equal(JSON.parse(set), { ok: true, outcomes: [{ op: { kind: 'set', path: '/target', value: netBind }, mode: 0o100644, previous: null }], rolledBack: false });
  assert.is(bytes, netBind);
  assert.is(JSON.parse(get).outcomes[0].previous, netBind);
  assert.ok(JSON.parse(remove).ok);
  assert.equal(JSON.parse(missing).outcomes[0].error, { stage: 'open', errno: 2, code: 'ENOENT' });
  assert.is(after.trim(), before.trim());
  assert.equal(JSON.parse(noProc), { thrown: 'NativeError: /proc is not mounted: the helper program is run from /proc/self/fd (mount proc, as Docker does)' });
});

test.run();
