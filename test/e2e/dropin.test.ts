// The drop-in flow (docker/dropin.Dockerfile) on the real daemon, legacy builder and BuildKit: the final
// layer carries libcap's bytes, the tool is gone, the capability works at run time, and bad input fails
// the RUN with the tool's message in the build log.
//
// The test program is Debian's static busybox as /nc (readExampleAsNc; the only change to the example
// besides the failure variants).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  assertLibcapCapability,
  bindPort80,
  builders,
  buildImage,
  docker,
  imageTag,
  readExampleAsNc,
  removeImages,
  savedLayers,
  standaloneComplaint,
  toolImage,
  topEntry,
  type Builder,
} from './docker';

const CAP_TEXT = 'cap_net_bind_service=ep';
const BUSYBOX = '/bin/busybox';

const test = suite('e2e: drop-in flow');

function dropinDockerfile(): string {
  return readExampleAsNc('dropin.Dockerfile', `RUN ["/!setcap-static", "${CAP_TEXT}", "/app"]`);
}

function build(builder: Builder, what: string, dockerfile: string) {
  const tag = imageTag(`${what}-${builder}`);
  const result = buildImage({ builder, dockerfile, context: { app: BUSYBOX }, tag, buildArgs: { SETCAP_IMAGE: toolImage() } });
  return { tag, result };
}

test.after(removeImages);

for (const builder of builders) {
  test(`${builder}: the final layer carries libcap's bytes for ${CAP_TEXT}, the tool is gone`, async () => {
    const { tag, result } = build(builder, 'dropin', dropinDockerfile());
    assert.is(result.status, 0, result.output);

    const layers = await savedLayers(tag);
    const app = topEntry(layers, 'nc');
    assert.ok(app, 'nc is in no layer');
    assert.is(app.layer, layers.length - 1, 'the capability is set in the last layer (the RUN)');
    assertLibcapCapability(app.entry, CAP_TEXT);

    // Self-delete: the RUN layer whites the tool out, and a container's filesystem does not have it.
    const whiteout = topEntry(layers, '.wh.!setcap-static');
    assert.ok(whiteout && whiteout.layer === layers.length - 1, 'no whiteout for /!setcap-static in the RUN layer');
    const container = docker(['create', tag]);
    assert.is(container.status, 0, container.output);
    const id = container.stdout.trim();
    try {
      const listing = docker(['export', id]);
      assert.is(listing.status, 0, listing.stderr);
      assert.not.ok(listing.stdout.includes('!setcap-static'), 'the exported filesystem still holds the tool');
      const exported = docker(['cp', `${id}:/!setcap-static`, '-']);
      assert.is.not(exported.status, 0, 'docker cp found /!setcap-static in the final filesystem');
    } finally {
      docker(['rm', '--force', id]);
    }
  });

  test(`${builder}: uid 1000 binds port 80 with the capability, and is refused without it`, () => {
    const { tag, result } = build(builder, 'dropin', dropinDockerfile());
    assert.is(result.status, 0, result.output);
    const bound = bindPort80(tag);
    assert.match(bound.output, 'nc: timed out', `expected the listener to bind and time out:\n${bound.output}`);

    const withoutCapability = dropinDockerfile().replace(/^RUN \["\/!setcap-static".*\n/m, '');
    assert.is.not(withoutCapability, dropinDockerfile());
    const control = build(builder, 'control', withoutCapability);
    assert.is(control.result.status, 0, control.result.output);
    const refused = bindPort80(control.tag);
    assert.match(refused.output, 'bind: Permission denied', `the control bound port 80:\n${refused.output}`);
  });

  test(`${builder}: a misspelt capability fails the RUN with the tool's message`, () => {
    const misspelt = 'cap_net_bind_servic=ep';
    const { result } = build(builder, 'misspelt', dropinDockerfile().replace(CAP_TEXT, misspelt));
    assert.is.not(result.status, 0, `the build succeeded:\n${result.output}`);
    const complaint = standaloneComplaint([misspelt, BUSYBOX]);
    assert.is.not(complaint.status, 0);
    assert.ok(complaint.lines.length > 0, 'the standalone printed nothing on stderr');
    assert.ok(complaint.lines.some((line) => line.includes('cap_net_bind_servic')), `message names no token: ${complaint.lines}`);
    for (const line of complaint.lines) assert.ok(result.output.includes(line), `"${line}" not in the build log:\n${result.output}`);
  });

  test(`${builder}: a missing target fails the RUN with the tool's message`, () => {
    const missing = '/setcap-static-e2e-missing';
    const { result } = build(builder, 'missing', dropinDockerfile().replace('"/nc"]', `"${missing}"]`));
    assert.is.not(result.status, 0, `the build succeeded:\n${result.output}`);
    const complaint = standaloneComplaint([CAP_TEXT, missing]);
    assert.is.not(complaint.status, 0);
    assert.ok(complaint.lines.some((line) => line.includes(missing)), `message names no path: ${complaint.lines}`);
    for (const line of complaint.lines) assert.ok(result.output.includes(line), `"${line}" not in the build log:\n${result.output}`);
  });
}

test.run();
