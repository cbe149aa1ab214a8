#!/usr/bin/env bash
# npm run demo: from a fresh Debian 12 machine (root): install what is missing, build the standalone, give a
# sample program a capability with it, and show that libcap's getcap reads back what our getcap mode reads.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

missing=()
for package in libcap2-bin xz-utils busybox-static python3 file; do
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null) == installed ]] || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
[[ -d node_modules ]] || npm ci --no-audit --no-fund
# pkg's base: a locally built one when pkg was not pointed elsewhere and one exists; else pkg downloads.
if [[ -z "${PKG_CACHE_PATH:-}" && -z "${PKG_NODE_PATH:-}" ]] && cache=$(bash build/pkg-base-offline.sh); then
  export PKG_CACHE_PATH=$cache
fi
npm run build

standalone=dist/setcap-static-linux-x64
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sample=$work/nc
cp /bin/busybox "$sample"
text=cap_net_bind_service=ep

echo
echo "\$ file $standalone"
file --brief "$standalone"
echo "\$ $standalone $text $sample"
"$standalone" "$text" "$sample"
echo "\$ $standalone get $sample          # our getcap mode"
ours=$("$standalone" get "$sample")
echo "$ours"
echo "\$ getcap $sample                              # libcap 2.66"
theirs=$(getcap "$sample")
echo "$theirs"
# The raw attribute, against what libcap's setcap writes for the same text on a copy.
reference=$work/nc.libcap
cp /bin/busybox "$reference"
setcap "$text" "$reference"
read_caps() { python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'security.capability').hex())" "$1"; }
echo "security.capability: standalone $(read_caps "$sample"), libcap $(read_caps "$reference")"
if [[ "$ours" == "$theirs" && $(read_caps "$sample") == $(read_caps "$reference") ]]; then
  echo "demo: the standalone and libcap agree (text and bytes)"
else
  echo "demo: MISMATCH between the standalone and libcap" >&2
  exit 1
fi
