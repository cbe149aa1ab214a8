#!/usr/bin/env bash
# Time to set a capability on 10,000 files in one invocation: setcap-static (the esbuild bundle
# of src/cli/bin.ts, one helper run) against libcap's setcap (the same 20,000 arguments), and the
# number of processes each exec'd (strace). Usage: bash bench/many-files.sh [FILES]
set -euo pipefail
files=${1:-10000}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /var/tmp/setcap-static-bench-many-XXXXXX)
trap 'rm -rf "$work"' EXIT

bundle=$work/setcap-static.cjs
"$repo/node_modules/.bin/esbuild" "$repo/src/cli/bin.ts" --bundle --platform=node --target=node20 \
  --format=cjs --outfile="$bundle" --log-level=error

mkdir "$work/files"
args=()
for ((i = 0; i < files; i++)); do
  : >"$work/files/f$i"
  args+=(cap_net_bind_service=ep "files/f$i")
done
cd "$work"

clear_caps() {
  python3 -c "import os
for n in os.listdir('files'):
    try: os.removexattr('files/'+n, 'security.capability')
    except OSError: pass"
}

measure() { # label, command... (the pairs follow)
  local label=$1; shift
  clear_caps
  local start end
  start=$(date +%s%N)
  "$@" "${args[@]}"
  end=$(date +%s%N)
  local ms=$(((end - start) / 1000000))
  local set
  set=$(getcap -r files | wc -l)
  clear_caps
  local execs
  execs=$(strace -f -qq -e trace=execve -o /dev/stdout "$@" "${args[@]}" 2>/dev/null | grep -c ' = 0$' || true)
  printf '%-14s %6d files set of %d  %6d ms  %d successful execve (the command itself included)\n' "$label" "$set" "$files" "$ms" "$execs"
}

measure setcap-static node "$bundle"
measure libcap-setcap setcap
