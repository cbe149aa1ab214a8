// The published image (the repository's Dockerfile, built by `npm run image`): FROM scratch, one layer
// holding exactly /setcap-static (the standalone from dist/, byte for byte), its OCI labels and entry point.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { builders, buildToolImage, docker, removeImages, repo, requireDaemonAndStandalone, savedLayers, standalone } from './docker';

const test = suite('e2e: published image');

test.after(removeImages);

for (const builder of builders) test(`${builder}: one layer, one file: /setcap-static, the standalone itself; OCI labels; entry point`, async () => {
  requireDaemonAndStandalone();
  const tag = buildToolImage(builder);
  const layers = await savedLayers(tag);
  assert.is(layers.length, 1);
  assert.equal(layers[0]!.map((entry) => `${entry.type} ${entry.path}`), ['file setcap-static']);

  const inspect = docker(['image', 'inspect', tag]);
  assert.is(inspect.status, 0, inspect.stderr);
  const [image] = JSON.parse(inspect.stdout) as Array<{ Config: { Entrypoint: string[]; Labels: Record<string, string> } }>;
  assert.equal(image!.Config.Entrypoint, ['/setcap-static']);
  const labels = image!.Config.Labels;
  for (const key of ['title', 'description', 'licenses', 'version', 'revision']) {
    assert.ok(labels[`org.opencontainers.image.${key}`], `label org.opencontainers.image.${key} missing`);
  }
  assert.is(labels['org.opencontainers.image.version'], JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);

  // The file in the image is the standalone, byte for byte.
  const digest = createHash('sha256').update(readFileSync(standalone)).digest('hex');
  assert.is(layers[0]![0]!.sha256, digest);
});

test.run();
