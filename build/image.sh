#!/usr/bin/env bash
# npm run image: the published FROM scratch image, built by the local daemon from dist/ (npm run build first).
#   IMAGE       tag to give it (default setcap-static:latest)
#   DOCKER      client to use (default /usr/bin/docker when present: Debian's 20.10 client, which does BuildKit
#               with DOCKER_BUILDKIT=1; the builder is whatever DOCKER_BUILDKIT says, the Dockerfile suits both)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
image=${IMAGE:-setcap-static:latest}
docker=${DOCKER:-$( [[ -x /usr/bin/docker ]] && echo /usr/bin/docker || echo docker )}
arch=$(uname -m)
case "$arch" in x86_64) docker_arch=amd64 ;; aarch64) docker_arch=arm64 ;; *) docker_arch=$arch ;; esac
if [[ ! -x "dist/setcap-static-linux-$docker_arch" ]]; then
  echo "image: dist/setcap-static-linux-$docker_arch is missing: run npm run build first" >&2
  exit 1
fi
version=$(node -p "require('./package.json').version")
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
"$docker" build --tag "$image" --build-arg "VERSION=$version" --build-arg "REVISION=$revision" .
echo "image: $image, $("$docker" image inspect -f '{{.Size}}' "$image") bytes"
