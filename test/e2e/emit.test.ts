// The emit flow (docker/emit/Dockerfile) on the real daemon, legacy builder and BuildKit: a setter
// emitted here runs in a FROM scratch RUN, the layer carries libcap's bytes, the setter is gone, the
// capability works at run time; a failing setter fails the RUN with its exit status and stays.
//
// The test program is Debian's static busybox, which picks its applet from its own file name, so
// the example's /app is renamed /nc here (the setter is emitted for /nc accordingly).
// Images are named setcap-static-e2e-* and removed at the end. The daemon is started by
// test/run-all.sh, never here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { emitMain } from '../../src/emit/cli';
import { scratchDir } from '../scratch';
import {
  assertLibcapCapability,
  bindPort80,
  builders,
  buildImage,
  imageTag,
  readExampleAsNc,
  removeImages,
  requireDaemon,
  savedLayers,
  topEntry,
  type Builder,
} from './docker';

const CAP_TEXT = 'cap_net_bind_service=ep';
const BUSYBOX = '/bin/busybox';

const test = suite('e2e: emit flow');

const work = scratchDir('emit-e2e');

function requireDaemonAndBusybox(): void {
  requireDaemon();
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install busybox-static`);
}

/** An amd64 setter (this daemon's platform) for CAPS PATH pairs. */
function emitSetter(name: string, ...pairs: string[]): string {
  const output = join(work, name);
  let stderr = '';
  const status = emitMain(['--arch', 'linux/amd64', '--output', output, ...pairs], {}, { stdout: () => {}, stderr: (text) => void (stderr += text) });
  assert.is(status, 0, stderr);
  return output;
}

function emitDockerfile(): string {
  return readExampleAsNc('emit/Dockerfile', 'RUN ["/!set"]');
}

function build(builder: Builder, what: string, dockerfile: string, setter: string) {
  const tag = imageTag(`emit-${what}-${builder}`);
  const result = buildImage({ builder, dockerfile, context: { app: BUSYBOX, setter }, tag });
  return { tag, result };
}

test.before(requireDaemonAndBusybox);
test.after(removeImages);

for (const builder of builders) {
  test(`${builder}: the RUN layer carries libcap's bytes, /!set is gone, port 80 binds as uid 1000`, async () => {
    const setter = emitSetter('setter', CAP_TEXT, '/nc');
    const { tag: image, result } = build(builder, 'flow', emitDockerfile(), setter);
    assert.is(result.status, 0, `docker build (${builder}) failed:\n${result.output}`);

    const layers = await savedLayers(image);
    const nc = topEntry(layers, 'nc');
    assert.ok(nc, 'nc is in no layer');
    assert.is(nc.layer, layers.length - 1, 'the capability is in the RUN layer');
    assertLibcapCapability(nc.entry, CAP_TEXT);
    const whiteout = topEntry(layers, '.wh.!set');
    assert.ok(whiteout && whiteout.layer === layers.length - 1, 'the RUN layer deletes /!set (whiteout)');

    const bound = bindPort80(image);
    assert.match(bound.output, 'nc: timed out', `expected the listener to bind and time out:\n${bound.output}`);
  });

  test(`${builder}: control without the RUN: bind: Permission denied`, () => {
    const setter = emitSetter('setter', CAP_TEXT, '/nc');
    const withoutRun = emitDockerfile().replace('RUN ["/!set"]\n', '');
    const { tag: image, result } = build(builder, 'control', withoutRun, setter);
    assert.is(result.status, 0, `docker build (${builder}) failed:\n${result.output}`);
    const denied = bindPort80(image);
    assert.match(denied.output, 'bind: Permission denied', `expected the bind to fail without the capability:\n${denied.output}`);
  });

  test(`${builder}: a setter for a missing path fails the RUN with status 2 (ENOENT)`, () => {
    const setter = emitSetter('setter-missing', CAP_TEXT, '/missing');
    const { result } = build(builder, 'missing', emitDockerfile(), setter);
    assert.is.not(result.status, 0, 'the build succeeded');
    const said = builder === 'legacy' ? 'returned a non-zero code: 2' : 'exit code: 2';
    assert.match(result.output, said, `expected the RUN to fail with status 2:\n${result.output}`);
  });
}

test.run();
