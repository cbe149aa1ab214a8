// getcap inside an image (docker/getcap.Dockerfile): `/setcap-static get /app` in a RUN prints, in the
// build log, the line libcap's getcap prints for a file carrying the same capability.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { builders, buildImageOrThrow, imageTag, libcapOracle, readExample, removeImages, toolImage } from './docker';

const CAP_TEXT = 'cap_net_bind_service=ep';

const test = suite('e2e: getcap in an image');

test.after(removeImages);

for (const builder of builders) {
  test(`${builder}: RUN ["/setcap-static", "get", "/app"] prints what libcap's getcap prints`, () => {
    const dockerfile = readExample('getcap.Dockerfile', `RUN ["/setcap-static", "${CAP_TEXT}", "/app"]`);
    const output = buildImageOrThrow({
      builder,
      dockerfile,
      context: { app: '/bin/busybox' },
      tag: imageTag(`getcap-${builder}`),
      buildArgs: { SETCAP_IMAGE: toolImage() },
    });
    const expected = libcapOracle(CAP_TEXT).getcapLine('/app');
    const lines = output.split('\n').map((line) => line.replace(/^#\d+ [\d.]+ /, '').trim());
    assert.ok(lines.includes(expected), `"${expected}" is not a line of the build log:\n${output}`);
  });
}

test.run();
