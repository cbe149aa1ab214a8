// Shared by the end-to-end tests: the real Docker daemon, image builds from docker/*.Dockerfile, the layers
// of `docker save`, and libcap's bytes for the same capability text (the oracle).
//
// The daemon is started by test/run-all.sh, never here: without it every test fails, naming what is missing.
// Images and containers made here are named setcap-static-e2e-* (the daemon is shared) and removed by
// removeImages().
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import * as assert from 'uvu/assert';

/** Debian's 20.10 client: it does BuildKit with DOCKER_BUILDKIT=1 (the client 28 in /usr/local/bin has no buildx). */
export const DOCKER = '/usr/bin/docker';
export const XATTR_NAME_CAPS = 'security.capability';
export const PAX_XATTR_CAPS = `SCHILY.xattr.${XATTR_NAME_CAPS}`;

export const repo = join(__dirname, '..', '..');
export const standalone = join(repo, 'dist', 'setcap-static-linux-x64');

export type Builder = 'legacy' | 'buildkit';
export const builders: readonly Builder[] = ['legacy', 'buildkit'];

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout then stderr: the build log (BuildKit writes its progress to stderr). */
  output: string;
}

export function run(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): CommandResult {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: result.stdout + result.stderr };
}

export function docker(args: readonly string[], env?: NodeJS.ProcessEnv): CommandResult {
  return run(DOCKER, args, env);
}

/** Fails with what is missing: the client or the daemon. */
export function requireDaemon(): void {
  if (!existsSync(DOCKER)) throw new Error(`${DOCKER} is missing: apt-get install docker.io (test/run-all.sh does)`);
  const version = docker(['version', '--format', '{{.Server.Version}}']);
  if (version.status !== 0) {
    throw new Error(`the Docker daemon is not reachable (${DOCKER} version: ${version.stderr.trim()}); ` +
      'test/run-all.sh starts dockerd');
  }
}

/** Fails with what is missing: the client, the daemon, or the standalone executable (npm run build). */
export function requireDaemonAndStandalone(): void {
  requireDaemon();
  if (!existsSync(standalone)) throw new Error(`${standalone} is missing: run npm run build`);
}

const runId = `${process.pid}-${Date.now().toString(36)}`;
const madeImages = new Set<string>();

/** A tag unique to this test run: setcap-static-e2e-<what>:<run>. */
export function imageTag(what: string): string {
  const tag = `setcap-static-e2e-${what}:${runId}`;
  madeImages.add(tag);
  return tag;
}

export interface BuildRequest {
  builder: Builder;
  /** Dockerfile text (an example from docker/, possibly adjusted by the test). */
  dockerfile: string;
  /** Files of the build context: name -> file to copy. */
  context: Record<string, string>;
  /** More files of the build context: name -> contents. */
  contextText?: Record<string, string>;
  tag: string;
  buildArgs?: Record<string, string>;
  /** --platform (BuildKit sets TARGETARCH from it). */
  platform?: string;
}

export function buildImage(request: BuildRequest): CommandResult {
  const dir = mkdtempSync(join(tmpdir(), 'setcap-static-e2e-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), request.dockerfile);
    for (const [name, source] of Object.entries(request.context)) copyFileSync(source, join(dir, name));
    for (const [name, text] of Object.entries(request.contextText ?? {})) writeFileSync(join(dir, name), text);
    // --no-cache: a cached RUN prints nothing, and the tests read what the tool printed.
    const args = ['build', '--no-cache', '--tag', request.tag, '--file', join(dir, 'Dockerfile')];
    if (request.builder === 'buildkit') args.push('--progress', 'plain');
    if (request.platform) args.push('--platform', request.platform);
    for (const [name, value] of Object.entries(request.buildArgs ?? {})) args.push('--build-arg', `${name}=${value}`);
    args.push(dir);
    return docker(args, { DOCKER_BUILDKIT: request.builder === 'buildkit' ? '1' : '0' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Like buildImage, but a failed build throws with the build log. */
export function buildImageOrThrow(request: BuildRequest): string {
  const result = buildImage(request);
  if (result.status !== 0) throw new Error(`docker build (${request.builder}) failed:\n${result.output}`);
  return result.output;
}

/** The published image (the repository's Dockerfile, from dist/), under an e2e tag. */
export function buildToolImage(builder: Builder = 'legacy'): string {
  const tag = imageTag(builder === 'legacy' ? 'tool' : `tool-${builder}`);
  const result = run('bash', [join(repo, 'build', 'image.sh')], { IMAGE: tag, DOCKER, DOCKER_BUILDKIT: builder === 'buildkit' ? '1' : '0' });
  if (result.status !== 0) throw new Error(`npm run image failed:\n${result.output}`);
  return tag;
}

let sharedToolImage: string | undefined;

/** The published image built once for the flows that copy the tool from it (SETCAP_IMAGE), until removeImages(). */
export function toolImage(): string {
  requireDaemonAndStandalone();
  sharedToolImage ??= buildToolImage();
  return sharedToolImage;
}

/** An example from docker/; `line`, when given, must still be in it (the test is built around that line). */
export function readExample(name: string, line?: string): string {
  const example = readFileSync(join(repo, 'docker', name), 'utf8');
  if (line !== undefined) assert.ok(example.includes(line), 'the example RUN line changed');
  return example;
}

/**
 * An example whose /app is renamed /nc: the test program is Debian's static busybox, which picks its
 * applet from its own file name.
 */
export function readExampleAsNc(name: string, line: string): string {
  return readExample(name, line).replaceAll('/app', '/nc');
}

export function removeImages(): void {
  if (madeImages.size > 0) docker(['rmi', '--force', ...madeImages]);
  madeImages.clear();
  sharedToolImage = undefined;
}

/**
 * The runtime proof (REFERENCE §1): /nc listens on port 80 as uid 1000, with the unprivileged port
 * floor put back to 1024 (Docker lowers it to 0). "nc: timed out" means it bound the port.
 */
export function bindPort80(tag: string): CommandResult {
  return docker([
    'run', '--rm', '--user', '1000:1000', '--network', 'none',
    '--sysctl', 'net.ipv4.ip_unprivileged_port_start=1024',
    '--entrypoint', '/nc', tag, '-l', '-p', '80', '-w', '1',
  ]);
}

export interface LayerEntry {
  /** Path without a leading "./" or "/". */
  path: string;
  type: string;
  size: number;
  pax: Record<string, string>;
  /** sha256 of the contents (hex), for regular files. */
  sha256?: string;
}

/** The layers of an image as `docker save` writes them, bottom first, each a list of its tar entries. */
export async function savedLayers(tag: string): Promise<LayerEntry[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'setcap-static-e2e-save-'));
  try {
    const archive = join(dir, 'image.tar');
    const saved = docker(['save', '--output', archive, tag]);
    if (saved.status !== 0) throw new Error(`docker save ${tag}: ${saved.stderr}`);
    const files = new Map<string, Buffer>();
    for await (const entry of createReadStream(archive).pipe(extract())) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      files.set(entry.header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
    }
    const manifestFile = files.get('manifest.json');
    if (!manifestFile) throw new Error(`docker save ${tag}: no manifest.json`);
    const manifest = JSON.parse(manifestFile.toString('utf8')) as Array<{ Layers: string[] }>;
    const layers: LayerEntry[][] = [];
    for (const layerName of manifest[0]?.Layers ?? []) {
      const layer = files.get(layerName);
      if (!layer) throw new Error(`docker save ${tag}: layer ${layerName} missing`);
      layers.push(await layerEntries(layer));
    }
    return layers;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function layerEntries(layer: Buffer): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const reader = extract();
  reader.end(layer);
  for await (const entry of reader) {
    const { header } = entry;
    const hash = createHash('sha256');
    for await (const chunk of entry) hash.update(chunk as Buffer);
    entries.push({
      path: header.name.replace(/^\.?\//, '').replace(/\/$/, ''),
      type: header.type ?? 'file',
      size: header.size ?? 0,
      pax: { ...(header.pax ?? {}) },
      ...(header.type === 'file' ? { sha256: hash.digest('hex') } : {}),
    });
  }
  return entries;
}

/** The entry for `path` in the highest layer that mentions it (what the container sees), with its layer index. */
export function topEntry(layers: LayerEntry[][], path: string): { layer: number; entry: LayerEntry } | undefined {
  for (let index = layers.length - 1; index >= 0; index--) {
    const entry = layers[index]!.find((candidate) => candidate.path === path);
    if (entry) return { layer: index, entry };
  }
  return undefined;
}

/**
 * A PAX record's value as bytes. tar-stream decodes PAX values as UTF-8 strings; the round trip is exact
 * for bytes that form valid UTF-8 (all capability words below 0x80 per byte, as in these tests) and
 * shows U+FFFD otherwise, which is refused here rather than compared.
 */
export function paxBytes(value: string): Buffer {
  if (value.includes('\ufffd')) throw new Error('PAX value is not valid UTF-8: tar-stream cannot return its bytes');
  return Buffer.from(value, 'utf8');
}

/** A layer entry carries, as its PAX record, exactly the bytes libcap's setcap writes for `capText`. */
export function assertLibcapCapability(entry: LayerEntry, capText: string): void {
  const value = entry.pax[PAX_XATTR_CAPS];
  assert.ok(value !== undefined, `${entry.path} has no ${PAX_XATTR_CAPS}`);
  assert.is(paxBytes(value).toString('hex'), libcapOracle(capText).bytes.toString('hex'));
}

/** What libcap's setcap writes for `text` on a scratch file here (read back raw), and what its getcap prints. */
export function libcapOracle(text: string): { bytes: Buffer; getcapLine: (path: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'setcap-static-e2e-oracle-'));
  try {
    const file = join(dir, 'f');
    writeFileSync(file, '');
    const set = run('setcap', [text, file]);
    if (set.status !== 0) throw new Error(`libcap setcap ${text}: ${set.output}`);
    const read = run('python3', ['-c', `import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], '${XATTR_NAME_CAPS}').hex())`, file]);
    if (read.status !== 0) throw new Error(`reading ${XATTR_NAME_CAPS}: ${read.stderr}`);
    const got = run('getcap', [file]);
    const rest = got.stdout.trim().slice(file.length);
    if (!got.stdout.startsWith(file) || rest.length === 0) throw new Error(`libcap getcap printed: ${got.output}`);
    return { bytes: Buffer.from(read.stdout, 'hex'), getcapLine: (path) => path + rest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The standalone's complaint, run here with the same arguments: its stderr lines minus any "program: " prefix. */
export function standaloneComplaint(args: readonly string[]): { status: number | null; lines: string[] } {
  const result = run(standalone, args);
  const lines = result.stderr
    .split('\n')
    .map((line) => line.replace(/^[^\s:]*setcap-static[^\s:]*: /, '').trim())
    .filter((line) => line.length > 0);
  return { status: result.status, lines };
}
