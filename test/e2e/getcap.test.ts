// getcap inside an image (docker/getcap.Dockerfile): `/setcap-static get /app` in a RUN prints, in the
// build log, the line libcap's getcap prints for a file carrying the same capability.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  builders,
  buildImageOrThrow,
  buildToolImage,
  imageTag,
  libcapOracle,
  readExample,
  removeImages,
  requireDaemonAndStandalone,
} from './docker';

const CAP_TEXT = 'cap_net_bind_service=ep';

const test = suite('e2e: getcap in an image');

let toolImage: string | undefined;
function tool(): string {
  requireDaemonAndStandalone();
  toolImage ??= buildToolImage();
  return toolImage;
}

test.after(removeImages);

for (const builder of builders) {
  test(`${builder}: RUN ["/setcap-static", "get", "/app"] prints what libcap's getcap prints`, () => {
    const dockerfile = readExample('getcap.Dockerfile');
    assert.ok(dockerfile.includes(`RUN ["/setcap-static", "${CAP_TEXT}", "/app"]`), 'the example RUN line changed');
    const output = buildImageOrThrow({
      builder,
      dockerfile,
      context: { app: '/bin/busybox' },
      tag: imageTag(`getcap-${builder}`),
      buildArgs: { SETCAP_IMAGE: tool() },
    });
    const expected = libcapOracle(CAP_TEXT).getcapLine('/app');
    const lines = output.split('\n').map((line) => line.replace(/^#\d+ [\d.]+ /, '').trim());
    assert.ok(lines.includes(expected), `"${expected}" is not a line of the build log:\n${output}`);
  });
}

test.run();
