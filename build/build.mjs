// npm run build: the esbuild bundles, then the standalone static executables (pkg linuxstatic).
//
//   dist/setcap-static.cjs          the CLI, one CommonJS file for `node` (the npm bin)
//   dist/index.cjs                  the library (src/index.ts), dependencies left to npm
//   dist/setcap-static-linux-x64    the CLI + a fully static Node: runs in an empty root
//   dist/setcap-static-linux-amd64  hard link to the above under Docker's architecture name (Dockerfile)
//   dist/setcap-static-linux-arm64  (+ -aarch64 link) when an arm64 base is available
//
// pkg's own environment is honoured as is: PKG_CACHE_PATH / PKG_NODE_PATH point it at local bases
// (build/pkg-base-offline.sh lays one out with no network); without them pkg downloads its base.
// SETCAP_STATIC_NODE picks the Node major of the base (default node20); SETCAP_STATIC_ARCHES
// (comma-separated: x64,arm64) forces the architectures instead of detecting them.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolve as resolveDns } from 'node:dns/promises';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(repo, 'dist');
const require = createRequire(import.meta.url);

const cliEntry = join(repo, 'src/cli/bin.ts');
const libraryEntry = join(repo, 'src/index.ts');
const cliBundle = join(dist, 'setcap-static.cjs');
const nodeMajor = process.env.SETCAP_STATIC_NODE ?? 'node20';

// pkg's architecture names, and Docker's (TARGETARCH) for the same machine.
const dockerArchOf = { x64: 'amd64', arm64: 'arm64' };

// Chosen by measurement (README "Size and start-up"): bytecode's start-up gain is within the noise,
// it adds 112 kB and needs a host "fabricator" per target architecture (no arm64 from x86_64);
// compressing a 58 kB payload in a 41 MiB file saves nothing and costs a decompression at every start.
const pkgOptions = ['--no-bytecode', '--public', '--no-native-build'];

async function bundle() {
  if (!existsSync(cliEntry)) {
    throw new Error(`build: ${cliEntry} is missing (the CLI entry point)`);
  }
  mkdirSync(dist, { recursive: true });
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    legalComments: 'none',
  };
  await build({
    ...common,
    entryPoints: [cliEntry],
    outfile: cliBundle,
    minify: true,
    banner: { js: '#!/usr/bin/env node' },
  });
  chmodSync(cliBundle, 0o755);
  await build({
    ...common,
    entryPoints: [libraryEntry],
    outfile: join(dist, 'index.cjs'),
    packages: 'external',
  });
}

/** A base for `arch` is usable when pkg's cache or PKG_NODE_PATH holds one, or pkg can download it. */
async function baseAvailability(arch) {
  if (process.env.PKG_NODE_PATH) {
    return arch === 'x64'
      ? { ok: true, how: `PKG_NODE_PATH=${process.env.PKG_NODE_PATH}` }
      : { ok: false, why: 'PKG_NODE_PATH names one base, used for x64 only' };
  }
  const fetchVersion = require('@yao-pkg/pkg-fetch/package.json').version;
  const tag = 'v' + fetchVersion.split('.').slice(0, 2).join('.');
  const cacheRoot = process.env.PKG_CACHE_PATH ?? join(process.env.HOME ?? '/root', '.pkg-cache');
  const major = nodeMajor.replace(/^node/, '');
  const patches = Object.keys(require('@yao-pkg/pkg-fetch/patches/patches.json'));
  const nodeVersion = patches
    .filter((v) => v.startsWith(`v${major}.`))
    .map((v) => v.slice(1).split('.').map(Number))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
    .map((v) => 'v' + v.join('.'))
    .pop();
  for (const kind of ['built', 'fetched']) {
    const file = join(cacheRoot, tag, `${kind}-${nodeVersion}-linuxstatic-${arch}`);
    if (existsSync(file)) return { ok: true, how: file };
  }
  try {
    await resolveDns('github.com');
    return { ok: true, how: 'pkg downloads it from GitHub' };
  } catch {
    return {
      ok: false,
      why: `no ${nodeVersion} linuxstatic-${arch} base in ${join(cacheRoot, tag)} and github.com is unreachable` +
        (arch === 'x64' ? ' (offline: export PKG_CACHE_PATH=$(bash build/pkg-base-offline.sh))' : ''),
    };
  }
}

function packageStandalone(arch) {
  const output = join(dist, `setcap-static-linux-${arch}`);
  rmSync(output, { force: true });
  const pkgBin = require.resolve('@yao-pkg/pkg/lib-es5/bin.js');
  const run = spawnSync(
    process.execPath,
    [pkgBin, ...pkgOptions, '-t', `${nodeMajor}-linuxstatic-${arch}`, '-o', output, cliBundle],
    { cwd: repo, stdio: 'inherit' },
  );
  if (run.status !== 0 || !existsSync(output)) {
    throw new Error(`build: pkg failed for linuxstatic-${arch} (exit ${run.status ?? run.signal})`);
  }
  const dockerName = join(dist, `setcap-static-linux-${dockerArchOf[arch]}`);
  if (dockerName !== output) {
    rmSync(dockerName, { force: true });
    linkSync(output, dockerName);
  }
  if (arch === 'arm64') {
    const unameName = join(dist, 'setcap-static-linux-aarch64');
    rmSync(unameName, { force: true });
    linkSync(output, unameName);
  }
  return output;
}

async function main() {
  await bundle();
  console.log(`build: ${cliBundle} (${statSync(cliBundle).size} bytes), ${join(dist, 'index.cjs')}`);
  const requested = process.env.SETCAP_STATIC_ARCHES?.split(',').filter(Boolean);
  for (const arch of requested ?? ['x64', 'arm64']) {
    if (!(arch in dockerArchOf)) throw new Error(`build: unknown architecture "${arch}" (x64, arm64)`);
    const availability = await baseAvailability(arch);
    if (!availability.ok) {
      if (requested || arch === 'x64') throw new Error(`build: cannot build linuxstatic-${arch}: ${availability.why}`);
      console.log(`build: skipping linuxstatic-${arch}: ${availability.why}`);
      continue;
    }
    const output = packageStandalone(arch);
    console.log(`build: ${output} (${statSync(output).size} bytes, base: ${availability.how})`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
