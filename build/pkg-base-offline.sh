#!/usr/bin/env bash
# Lays out a pkg cache holding a locally built linuxstatic Node base, so that
# `pkg -t node20-linuxstatic-x64` works with no network (pkg normally downloads its base from GitHub).
#
#   export PKG_CACHE_PATH=$(bash build/pkg-base-offline.sh)
#
# Inputs (environment):
#   NODE_BASE_DIR   folder holding node-v<version>-linuxstatic-x64.xz (default: ../shared/node-base,
#                   then /work/shared/node-base). Build one with ../shared/node-base/recipe.sh.
#   PKG_CACHE_PATH  where to lay the cache out (default: .cache/pkg in the repository).
# Prints the cache path on stdout, progress on stderr. Idempotent: an intact cache is left as is.
#
# pkg looks for a local base at $PKG_CACHE_PATH/v<pkg-fetch major.minor>/built-v<node>-linuxstatic-x64,
# and, when it generates bytecode, runs a host "fabricator" built-v<node>-linux-x64 (the same file here,
# hard-linked). pkg-fetch maps `node20` to the highest v20.* key of its patches.json, so both names are
# read from the installed pkg-fetch rather than hard-coded.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fetch_dir="$repo/node_modules/@yao-pkg/pkg-fetch"
major=${SETCAP_STATIC_NODE_MAJOR:-20}

if [[ ! -f "$fetch_dir/package.json" ]]; then
  echo "pkg-base-offline: $fetch_dir is missing: run npm ci first" >&2
  exit 1
fi

base_dir=${NODE_BASE_DIR:-}
if [[ -z "$base_dir" ]]; then
  for candidate in "$repo/../shared/node-base" /work/shared/node-base; do
    if [[ -d "$candidate" ]]; then base_dir=$candidate; break; fi
  done
fi
shopt -s nullglob
bases=("$base_dir"/node-v"$major".*-linuxstatic-x64.xz)
if [[ -z "$base_dir" || ${#bases[@]} -eq 0 ]]; then
  echo "pkg-base-offline: no node-v$major.*-linuxstatic-x64.xz found (NODE_BASE_DIR=${base_dir:-unset});" \
    "build one with ../shared/node-base/recipe.sh or let pkg download its base (network)" >&2
  exit 1
fi
base_xz=${bases[-1]}

# pkg-fetch's cache folder is v<major>.<minor> of its own version; its node20 is the highest v20.* patch key.
fetch_tag=$(node -p "'v' + require('$fetch_dir/package.json').version.split('.').slice(0, 2).join('.')")
node_version=$(node -p "Object.keys(require('$fetch_dir/patches/patches.json'))
  .filter((v) => v.startsWith('v$major.'))
  .map((v) => v.slice(1).split('.').map(Number))
  .sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
  .map((v) => 'v' + v.join('.')).pop()")

cache=${PKG_CACHE_PATH:-$repo/.cache/pkg}
mkdir -p "$cache/$fetch_tag"
cache=$(cd "$cache" && pwd)
static="$cache/$fetch_tag/built-$node_version-linuxstatic-x64"
fabricator="$cache/$fetch_tag/built-$node_version-linux-x64"

expected_size=$(xz --robot --list "$base_xz" | awk '$1 == "totals" { print $5 }')
if [[ ! -x "$static" || $(stat -c %s "$static") != "$expected_size" ]]; then
  echo "pkg-base-offline: unpacking $base_xz -> $static" >&2
  xz -dc "$base_xz" > "$static.partial"
  chmod 755 "$static.partial"
  mv -f "$static.partial" "$static"
fi
if [[ ! "$fabricator" -ef "$static" ]]; then
  ln -f "$static" "$fabricator"
fi
echo "pkg-base-offline: $(basename "$base_xz") serves pkg-fetch $fetch_tag node$major ($node_version)" >&2
echo "$cache"
