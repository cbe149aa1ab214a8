// The BuildKit flow (docker/buildkit.Dockerfile): the capability is set in a throw-away stage and survives
// COPY --from, so the final image is one layer holding the program once and nothing of the tool. The same
// Dockerfile under the legacy builder loses the capability: that is why the drop-in flow exists, and it
// shows this test can fail.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  assertLibcapCapability,
  bindPort80,
  buildImageOrThrow,
  imageTag,
  PAX_XATTR_CAPS,
  readExampleAsNc,
  removeImages,
  savedLayers,
  toolImage,
  topEntry,
  type Builder,
} from './docker';

const CAP_TEXT = 'cap_net_bind_service=ep';

const test = suite('e2e: BuildKit flow');

function build(builder: Builder): string {
  const tag = imageTag(`buildkit-flow-${builder}`);
  const dockerfile = readExampleAsNc('buildkit.Dockerfile', `RUN ["/setcap-static", "${CAP_TEXT}", "/build/app"]`);
  buildImageOrThrow({ builder, dockerfile, context: { app: '/bin/busybox' }, tag, buildArgs: { SETCAP_IMAGE: toolImage() } });
  return tag;
}

test.after(removeImages);

test(`buildkit: one layer, the program once with libcap's bytes for ${CAP_TEXT}, no tool`, async () => {
  const tag = build('buildkit');
  const layers = await savedLayers(tag);
  assert.is(layers.length, 1, `expected one layer, got ${layers.length}`);
  const files = layers[0]!.filter((entry) => entry.type === 'file');
  assert.equal(files.map((entry) => entry.path), ['nc']);
  assertLibcapCapability(files[0]!, CAP_TEXT);

  const bound = bindPort80(tag);
  assert.match(bound.output, 'nc: timed out', `expected the listener to bind and time out:\n${bound.output}`);
});

test('legacy: the same Dockerfile loses the capability on COPY --from (REFERENCE §1)', async () => {
  const tag = build('legacy');
  const layers = await savedLayers(tag);
  const app = topEntry(layers, 'nc');
  assert.ok(app, 'nc is in no layer');
  assert.is(app.entry.pax[PAX_XATTR_CAPS], undefined, 'the legacy builder kept the capability: REFERENCE §1 no longer holds');
});

test.run();
