#!/usr/bin/env bash
# What each Dockerfile flow costs in the final image, with Debian's static busybox as the application:
# every flow is built by the real daemon, saved (`docker save`), and its layer tars measured: how many
# layers, and how many bytes they hold beyond the application itself; ratios are to the drop-in flow.
#   (a) drop-in RUN        docker/dropin.Dockerfile   legacy builder, tool image from dist/ (npm run build)
#   (b) pack + ADD         docker/pack/Dockerfile     legacy builder and BuildKit, tar from `pack`
#   (c) BuildKit COPY      docker/buildkit.Dockerfile BuildKit, tool image from dist/
#   (d) emit               docker/emit/Dockerfile     legacy builder, setter from `setcap-static emit` (dist/)
# Images are tagged setcap-static-pack-bench-* and removed at the end. Usage: bash bench/flows.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
docker=/usr/bin/docker
app=/bin/busybox
standalone=${STANDALONE:-$repo/dist/setcap-static-linux-x64}
caps=cap_net_bind_service=ep
run_id=$$-$(date +%s)
work=$(mktemp -d /var/tmp/setcap-static-pack-bench-XXXXXX)
images=()
cleanup() {
  if ((${#images[@]} > 0)); then "$docker" rmi --force "${images[@]}" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if ! "$docker" version >/dev/null 2>&1; then
  echo "flows: the Docker daemon is not reachable with $docker (test/run-all.sh starts dockerd)" >&2
  exit 1
fi
[[ -x $app ]] || { echo "flows: $app is missing (apt-get install busybox-static)" >&2; exit 1; }
app_size=$(stat -c %s "$app")

# tag WHAT: sets $image (not echoed: a $(...) subshell would not record it for the clean-up).
tag() { image="setcap-static-pack-bench-$1:$run_id"; images+=("$image"); }

# build BUILDER TAG DOCKERFILE [--build-arg ...]: context = the Dockerfile, the app, and $work/extra/*
# (app.tar for pack, the setter for emit).
build() {
  local builder=$1 image=$2 dockerfile=$3; shift 3
  local context=$work/context-${image//[:\/]/-}
  mkdir -p "$context"
  cp "$dockerfile" "$context/Dockerfile"
  cp "$app" "$context/app"
  cp -a "$work/extra/." "$context/"
  local buildkit=0; [[ $builder == buildkit ]] && buildkit=1
  if ! DOCKER_BUILDKIT=$buildkit "$docker" build --quiet --tag "$image" "$@" "$context" >"$work/build.log" 2>&1; then
    echo "flows: docker build ($builder, $dockerfile) failed:" >&2
    cat "$work/build.log" >&2
    exit 1
  fi
}

# measure IMAGE: "LAYERS BYTES CAPS": BYTES the sum of the saved layer tars, CAPS whether /app in the
# topmost layer holding it carries the pax record SCHILY.xattr.security.capability (yes/NO).
measure() {
  local out=$work/save-${1//[:\/]/-}
  mkdir -p "$out"
  "$docker" save --output "$out/image.tar" "$1"
  tar -xf "$out/image.tar" -C "$out"
  python3 - "$out" <<'EOF'
import json, os, sys
out = sys.argv[1]
import tarfile
layers = json.load(open(os.path.join(out, 'manifest.json')))[0]['Layers']
caps = 'NO'
for layer in reversed(layers):
    with tarfile.open(os.path.join(out, layer)) as t:
        app = [m for m in t.getmembers() if m.name.lstrip('./') == 'app']
    if app:
        caps = 'yes' if 'SCHILY.xattr.security.capability' in app[-1].pax_headers else 'NO'
        break
print(len(layers), sum(os.path.getsize(os.path.join(out, layer)) for layer in layers), caps)
EOF
}

rows=()
dropin_beyond=''
# row LABEL BUILDER IMAGE | row LABEL BUILDER '' REASON
row() {
  local label=$1 builder=$2 image=$3 reason=${4:-}
  if [[ -z $image ]]; then
    rows+=("$(printf '%-22s %-9s %7s %14s %14s %10s %5s' "$label" "$builder" '-' '-' '-' '-' '-')  $reason")
    return
  fi
  local layers bytes caps_kept beyond ratio
  read -r layers bytes caps_kept < <(measure "$image")
  beyond=$((bytes - app_size))
  [[ $label == '(a) drop-in RUN' ]] && dropin_beyond=$beyond
  if [[ -n $dropin_beyond && $dropin_beyond -gt 0 ]]; then
    ratio=$(python3 -c "print(f'{$beyond / $dropin_beyond:.5f}')")
  else
    ratio='n/a'
  fi
  rows+=("$(printf '%-22s %-9s %7d %14d %14d %10s %5s' "$label" "$builder" "$layers" "$bytes" "$beyond" "$ratio" "$caps_kept")")
}

# The tool image the RUN flows copy from: the published Dockerfile, built from dist/.
mkdir -p "$work/extra"
tool_image=''
if [[ -x $standalone ]]; then
  tag tool
  tool_image=$image
  IMAGE=$tool_image DOCKER=$docker DOCKER_BUILDKIT=0 bash "$repo/build/image.sh" >"$work/tool.log" 2>&1 || {
    echo "flows: npm run image failed:" >&2; cat "$work/tool.log" >&2; exit 1; }
fi

# tool_flow LABEL BUILDER WHAT DOCKERFILE: a flow whose Dockerfile copies the tool image above
# (SETCAP_IMAGE); without a standalone in dist/ there is no tool image and the row says so.
tool_flow() {
  local label=$1 builder=$2 what=$3 dockerfile=$4
  if [[ -z $tool_image ]]; then
    row "$label" "$builder" '' 'n/a (run npm run build)'
    return
  fi
  tag "$what"
  build "$builder" "$image" "$dockerfile" --build-arg "SETCAP_IMAGE=$tool_image"
  row "$label" "$builder" "$image"
}

# (a) drop-in RUN, legacy builder.
tool_flow '(a) drop-in RUN' legacy dropin "$repo/docker/dropin.Dockerfile"

# (b) pack + ADD: the tar from the standalone's `pack` when it has one, else from the sources.
if [[ -x $standalone ]] && "$standalone" pack --help >/dev/null 2>&1; then
  pack=("$standalone" pack)
else
  pack=("$repo/node_modules/.bin/tsx" "$repo/src/pack/cli-entry.ts")
fi
SOURCE_DATE_EPOCH=0 "${pack[@]}" --output "$work/extra/app.tar" "$caps" "$app:/app"
for builder in legacy buildkit; do
  tag "pack-$builder"
  build "$builder" "$image" "$repo/docker/pack/Dockerfile"
  row '(b) pack + ADD' "$builder" "$image"
done
rm -f "$work/extra/app.tar"

# (c) BuildKit COPY --from.
tool_flow '(c) BuildKit COPY' buildkit buildkit "$repo/docker/buildkit.Dockerfile"

# (d) emit: `setcap-static emit` (the cross-arch RUN): a setter generated on the host, run by
# docker/emit/Dockerfile's RUN. Measured when the standalone answers `emit --help`.
if [[ -x $standalone ]] && "$standalone" emit --help >/dev/null 2>&1 && [[ -f $repo/docker/emit/Dockerfile ]]; then
  "$standalone" emit --arch amd64 --output "$work/extra/setter" "$caps" /app
  tag emit
  build legacy "$image" "$repo/docker/emit/Dockerfile"
  row '(d) emit' legacy "$image"
  rm -f "$work/extra/setter"
else
  row '(d) emit' legacy '' 'n/a (emit not built)'
fi

echo "application: $app, $app_size bytes; capability $caps"
printf '%-22s %-9s %7s %14s %14s %10s %5s\n' flow builder layers 'layer bytes' 'beyond app' 'vs drop-in' caps
printf '%s\n' "${rows[@]}"
