#!/usr/bin/env bash
# npm test: the whole suite from a bare Debian 12 machine (as root), set-up included, each step idempotent:
#   1. Debian packages that are missing (build/debian-packages.txt), with apt-get
#   2. dockerd, when `docker version` cannot reach a daemon (log: /var/log/setcap-static-dockerd.log)
#   3. npm ci, when node_modules is missing
#   4. the offline pkg base, when pkg has no base of its own set (PKG_CACHE_PATH / PKG_NODE_PATH unset) and a
#      locally built one exists (NODE_BASE_DIR, ../shared/node-base): the same base every run, no download;
#      without one, pkg downloads its base (network)
#   5. npm run build, then every uvu test under test/
# Ends with exactly one line `tests: N passed, N failed`; skipped tests count as failed (nothing may skip:
# a test lacking something fails naming it). Exit status non-zero on any failure.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
say() { echo "run-all: $*" >&2; }
setup_failures=0

# 1. Debian packages.
mapfile -t packages < <(grep -v '^\s*#' build/debian-packages.txt | grep -v '^\s*$')
missing=()
for package in "${packages[@]}"; do
  if [[ $(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null) != installed ]]; then missing+=("$package"); fi
done
if ((${#missing[@]} > 0)); then
  say "installing ${missing[*]}"
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; }; then
    say "apt-get install failed"; setup_failures=$((setup_failures + 1))
  fi
fi

# 2. The Docker daemon (Debian's docker.io; the 20.10 client at /usr/bin/docker does BuildKit).
if ! /usr/bin/docker version >/dev/null 2>&1; then
  dockerd_log=/var/log/setcap-static-dockerd.log
  say "starting dockerd (log: $dockerd_log)"
  setsid nohup dockerd >"$dockerd_log" 2>&1 < /dev/null &
  for ((second = 0; second < 60; second++)); do
    /usr/bin/docker version >/dev/null 2>&1 && break
    sleep 1
  done
  if ! /usr/bin/docker version >/dev/null 2>&1; then
    say "dockerd did not come up within 60 s; its log ends:"; tail -n 20 "$dockerd_log" >&2
    setup_failures=$((setup_failures + 1))
  fi
fi

# 3. Node dependencies.
if [[ ! -d node_modules ]]; then
  say "npm ci"
  npm ci --no-audit --no-fund || { say "npm ci failed"; exit 1; }
fi

# 4. pkg's base: the locally built one when there is one and pkg was not told otherwise.
if [[ -z "${PKG_CACHE_PATH:-}" && -z "${PKG_NODE_PATH:-}" ]]; then
  if cache=$(bash build/pkg-base-offline.sh); then
    export PKG_CACHE_PATH=$cache
    say "PKG_CACHE_PATH=$PKG_CACHE_PATH (offline base)"
  else
    say "no local pkg base: pkg will download its own"
  fi
fi

# 5. Build, then the tests.
if ! npm run build; then
  say "npm run build failed"; setup_failures=$((setup_failures + 1))
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# npx uvu -r tsx/cjs test '\.test\.ts$', run as node directly so that the time limit reaches uvu itself: a hung
# test must not eat CI's 90 minutes.
limit=${SETCAP_STATIC_TEST_TIMEOUT:-2700}
timeout --kill-after=30 "$limit" \
  node node_modules/uvu/bin.js -r tsx/cjs test '\.test\.ts$' 2>&1 | tee "$log"
uvu_status=${PIPESTATUS[0]}
if ((uvu_status == 124 || uvu_status == 137)); then say "the tests did not finish within $limit s (SETCAP_STATIC_TEST_TIMEOUT)"; fi

plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
total=$(grep -oP '^\s*Total:\s*\K\d+' <<<"$plain" | tail -n 1)
passed=$(grep -oP '^\s*Passed:\s*\K\d+' <<<"$plain" | tail -n 1)
skipped=$(grep -oP '^\s*Skipped:\s*\K\d+' <<<"$plain" | tail -n 1)
if [[ -z "$total" || -z "$passed" || -z "$skipped" ]]; then
  # No summary (killed, crashed): count the suites that finished, "(passed / total)", plus one for the rest.
  read -r passed total < <(grep -oP '\(\K\d+ / \d+(?=\)\s*$)' <<<"$plain" | awk '{ p += $1; t += $3 } END { print p + 0, t + 0 }')
  say "uvu printed no summary (exit $uvu_status): $passed of $total tests in finished suites passed, one more failure for the rest"
  total=$((total + 1)) skipped=0
fi
# uvu's Total leaves out skipped tests; a throwing before-hook leaves Passed < Total with exit 0.
failed=$((total - passed + skipped))
if ((uvu_status != 0 && failed == 0)); then failed=1; fi
if ((skipped > 0)); then say "$skipped skipped test(s) counted as failed"; fi
if ((setup_failures > 0)); then say "$setup_failures set-up step(s) failed (see above)"; fi

echo "tests: $passed passed, $failed failed"
((failed == 0 && setup_failures == 0))
