// The published image (the repository's Dockerfile, built by `npm run image`): FROM scratch, one layer
// holding exactly /setcap-static (the standalone from dist/, byte for byte), its OCI labels and entry point.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { builders, buildImage, buildToolImage, imageTag, type Builder, docker, removeImages, repo, requireDaemonAndStandalone, savedLayers, standalone } from './docker';

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

// The executable is chosen by TARGETARCH. BuildKit (20.10) lets an ARG default override the platform's value,
// so the Dockerfile keeps its default in the expansion; this checks the choice with stand-in files per arch.
const choices: Array<{ builder: Builder; platform?: string; buildArgs?: Record<string, string>; expected: string }> = [
  { builder: 'legacy', expected: 'amd64' },
  { builder: 'legacy', buildArgs: { TARGETARCH: 'arm64' }, expected: 'arm64' },
  { builder: 'buildkit', platform: 'linux/amd64', expected: 'amd64' },
  { builder: 'buildkit', platform: 'linux/arm64', expected: 'arm64' },
];
for (const choice of choices) {
  const how = choice.platform ? `--platform ${choice.platform}` : choice.buildArgs ? '--build-arg TARGETARCH=arm64' : 'no platform';
  test(`${choice.builder}, ${how}: the Dockerfile copies dist/setcap-static-linux-${choice.expected}`, async () => {
    requireDaemonAndStandalone();
    const tag = imageTag(`arch-${choice.builder}-${choice.expected}`);
    const result = buildImage({
      builder: choice.builder,
      dockerfile: readFileSync(join(repo, 'Dockerfile'), 'utf8').replaceAll('COPY dist/', 'COPY '),
      context: {},
      contextText: { 'setcap-static-linux-amd64': 'amd64\n', 'setcap-static-linux-arm64': 'arm64\n' },
      tag,
      ...(choice.buildArgs ? { buildArgs: choice.buildArgs } : {}),
      ...(choice.platform ? { platform: choice.platform } : {}),
    });
    assert.is(result.status, 0, result.output);
    const layers = await savedLayers(tag);
    const file = layers.flat().find((entry) => entry.path === 'setcap-static');
    assert.ok(file, 'no /setcap-static in the image');
    assert.is(file.sha256, createHash('sha256').update(`${choice.expected}\n`).digest('hex'));
  });
}

test.run();
