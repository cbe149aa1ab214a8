// The pack flow on the real daemon, legacy builder and BuildKit: `FROM scratch` + `ADD app.tar /`
// (docker/pack/Dockerfile) gives one layer holding the file once, with libcap's bytes in its pax
// header, and the capability works at run time. Then the rewrite mode as a daemonless tool would
// use it: `docker export` | pack --input - | `docker import`.
//
// Busybox picks its applet from argv[0] ("/app nc" answers "app: applet not found"), so the
// application is installed as /nc, as in REFERENCE §1.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { libcapBytes, once, pythonTarMembers, runPack, scratchDir, type TarMember } from '../pack/helpers';

const DOCKER = '/usr/bin/docker';
const BUSYBOX = '/bin/busybox';
const CAP_TEXT = 'cap_net_bind_service=ep';
const PAX_KEY = 'SCHILY.xattr.security.capability';
const repo = path.join(__dirname, '..', '..');
const runId = `${process.pid}-${Date.now().toString(36)}`;
const images = new Set<string>();
const containers = new Set<string>();

function docker(args: string[], options: { env?: NodeJS.ProcessEnv; input?: Buffer } = {}) {
  const result = spawnSync(DOCKER, args, { env: { ...process.env, ...options.env }, input: options.input, maxBuffer: 1 << 28 });
  if (result.error) throw new Error(`${DOCKER} ${args.join(' ')}: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, output: result.stdout.toString('utf8') + result.stderr.toString('utf8') };
}

function requireDaemon(): void {
  if (!fs.existsSync(DOCKER)) throw new Error(`${DOCKER} is missing: apt-get install docker.io (test/run-all.sh does)`);
  const version = docker(['version', '--format', '{{.Server.Version}}']);
  if (version.status !== 0) throw new Error(`the Docker daemon is not reachable: ${version.output.trim()} (test/run-all.sh starts dockerd)`);
  if (!fs.existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install busybox-static`);
}

function tag(what: string): string {
  const name = `setcap-static-pack-${what}:${runId}`;
  images.add(name);
  return name;
}

const dir = scratchDir('e2e');

function build(builder: 'legacy' | 'buildkit', tarFile: string, name: string): string {
  const context = path.join(dir, `context-${name}`);
  fs.mkdirSync(context);
  fs.copyFileSync(path.join(repo, 'docker/pack/Dockerfile'), path.join(context, 'Dockerfile'));
  fs.copyFileSync(tarFile, path.join(context, 'app.tar'));
  const image = tag(name);
  const args = ['build', '--tag', image, ...(builder === 'buildkit' ? ['--progress', 'plain'] : []), context];
  const result = docker(args, { env: { DOCKER_BUILDKIT: builder === 'buildkit' ? '1' : '0' } });
  assert.is(result.status, 0, `docker build (${builder}):\n${result.output}`);
  return image;
}

/** `docker save`: each layer tar's size and its entries (read by Python's tarfile: pax values byte-exact). */
function savedLayers(image: string): { size: number; members: TarMember[] }[] {
  const out = path.join(dir, `save-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(out);
  const saved = docker(['save', '--output', path.join(out, 'image.tar'), image]);
  assert.is(saved.status, 0, saved.output);
  assert.is(spawnSync('tar', ['-xf', path.join(out, 'image.tar'), '-C', out]).status, 0);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
  return manifest[0]!.Layers.map((layer) => ({ size: fs.statSync(path.join(out, layer)).size, members: pythonTarMembers(path.join(out, layer)) }));
}

/** Port 80 as uid 1000 with the unprivileged port floor put back to 1024 (Docker lowers it to 0). */
function bindPort80(image: string): string {
  const result = docker(['run', '--rm', '--user', '1000:1000', '--network', 'none', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=1024',
    image, '/nc', '-l', '-p', '80', '-w', '1']);
  return result.output;
}

let appTar = '';
let controlTar = '';

test.before.each(once(() => {
  requireDaemon();
  appTar = path.join(dir, 'app.tar');
  const packed = runPack(['--output', appTar, CAP_TEXT, `${BUSYBOX}:/nc`], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  assert.is(packed.status, 0, packed.stderr);
  // The control: the same file in a tar without the capability record.
  const stage = path.join(dir, 'stage');
  fs.mkdirSync(stage);
  fs.copyFileSync(BUSYBOX, path.join(stage, 'nc'));
  controlTar = path.join(dir, 'control.tar');
  assert.is(spawnSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '-cf', controlTar, '-C', stage, 'nc']).status, 0);
}));

for (const builder of ['legacy', 'buildkit'] as const) {
  test(`${builder}: ADD app.tar gives one layer, the file once, libcap's bytes, and the capability works`, () => {
    const image = build(builder, appTar, `app-${builder}`);
    const layers = savedLayers(image);
    assert.is(layers.length, 1, 'one layer');
    const files = layers[0]!.members.filter((member) => member.type === '0' || member.type === '\u0000');
    assert.equal(files.map((member) => member.name), ['nc'], 'the file once, nothing else');
    assert.is(files[0]!.size, fs.statSync(BUSYBOX).size);
    assert.is(files[0]!.pax[PAX_KEY], libcapBytes(CAP_TEXT, dir), 'libcap bytes in the layer');
    const overhead = layers[0]!.size - fs.statSync(BUSYBOX).size;
    assert.ok(overhead <= 4096, `layer holds ${overhead} bytes beyond the application`);
    const output = bindPort80(image);
    assert.ok(output.includes('nc: timed out'), `with the capability: ${output}`);
  });

  test(`${builder}: the control image without the capability cannot bind port 80`, () => {
    const image = build(builder, controlTar, `control-${builder}`);
    const output = bindPort80(image);
    assert.ok(output.includes('bind: Permission denied'), `without the capability: ${output}`);
  });
}

test('rewrite mode: docker export | pack --input - --output - | docker import, then the capability works', () => {
  const control = build('legacy', controlTar, 'export-source');
  const name = `setcap-static-pack-export-${runId}`;
  const created = docker(['create', '--name', name, control, '/nc']);
  assert.is(created.status, 0, created.output);
  containers.add(name);
  const exported = docker(['export', name]);
  assert.is(exported.status, 0, exported.output);
  const exportTar = path.join(dir, 'export.tar');
  fs.writeFileSync(exportTar, exported.stdout);
  const rewritten = runPack(['--input', '-', '--output', '-', CAP_TEXT, '/nc'], { stdinFile: exportTar });
  assert.is(rewritten.status, 0, rewritten.stderr);
  // Every entry docker export wrote (/.dockerenv, /etc/hosts ... ) is still there, only /nc gained a record.
  const rewrittenTar = path.join(dir, 'rewritten.tar');
  fs.writeFileSync(rewrittenTar, rewritten.stdout);
  const before = pythonTarMembers(exportTar);
  const after = pythonTarMembers(rewrittenTar);
  assert.equal(after.map((member) => member.name), before.map((member) => member.name));
  assert.is(after.find((member) => member.name === 'nc')!.pax[PAX_KEY], libcapBytes(CAP_TEXT, dir));
  const image = tag('imported');
  const imported = docker(['import', '-', image], { input: rewritten.stdout });
  assert.is(imported.status, 0, imported.output);
  const output = bindPort80(image);
  assert.ok(output.includes('nc: timed out'), `imported image: ${output}`);
});

test.after(() => {
  if (containers.size > 0) docker(['rm', '--force', ...containers]);
  if (images.size > 0) docker(['rmi', '--force', ...images]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
