#!/usr/bin/env bash
# Start-up and memory, side by side in one run, setting one capability on one file:
#   the standalone (dist/setcap-static-linux-x64), the npm bundle under node, libcap's setcap, and
#   `node -e 0` (the runtime's floor). Wall time from hyperfine (-N: no shell), peak RSS from
#   /usr/bin/time (median of RUNS_RSS runs), ratios to `node -e 0`. Target: the standalone within 1.3x.
#   RUNS (default 30) and RUNS_RSS (default 5) set the counts.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
standalone=dist/setcap-static-linux-x64
bundle=dist/setcap-static.cjs
runs=${RUNS:-30}
runs_rss=${RUNS_RSS:-5}
text=cap_net_bind_service=ep

for tool in hyperfine /usr/bin/time setcap node; do
  command -v "$tool" >/dev/null || { echo "startup: $tool is missing (apt-get install hyperfine time libcap2-bin)" >&2; exit 1; }
done
[[ -x "$standalone" && -f "$bundle" ]] || { echo "startup: $standalone or $bundle missing: run npm run build" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target=$work/target
cp /bin/true "$target"

names=("standalone" "node bundle" "libcap setcap" "node -e 0")
commands=("$standalone $text $target" "node $bundle $text $target" "setcap $text $target" "node -e 0")

# Each command must work before it is timed (a failing command would time its error path).
for index in "${!commands[@]}"; do
  [[ ${names[$index]} == "node -e 0" ]] && continue
  setcap -r "$target" 2>/dev/null || true
  ${commands[$index]} || { echo "startup: '${commands[$index]}' failed" >&2; exit 1; }
  [[ $(getcap "$target") == "$target cap_net_bind_service=ep" ]] || { echo "startup: '${commands[$index]}' did not set $text" >&2; exit 1; }
done

hyperfine_args=(-N --warmup 3 --runs "$runs" --export-json "$work/wall.json" --style none)
for index in "${!commands[@]}"; do hyperfine_args+=(--command-name "${names[$index]}" "${commands[$index]}"); done
hyperfine "${hyperfine_args[@]}" >/dev/null 2>"$work/hyperfine.log" || { cat "$work/hyperfine.log" >&2; exit 1; }

for index in "${!commands[@]}"; do
  for ((run = 0; run < runs_rss; run++)); do
    /usr/bin/time -f %M -o "$work/rss" ${commands[$index]} >/dev/null
    cat "$work/rss"
  done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' > "$work/rss-$index"
done

node - "$work" "$standalone" "${#commands[@]}" <<'JS'
const fs = require('fs');
const [work, standalone, count] = process.argv.slice(2);
const wall = JSON.parse(fs.readFileSync(`${work}/wall.json`, 'utf8')).results;
const rows = wall.map((result, index) => ({
  name: result.command,
  meanMs: result.mean * 1000,
  sdMs: result.stddev * 1000,
  rssMiB: Number(fs.readFileSync(`${work}/rss-${index}`, 'utf8')) / 1024,
}));
const floor = rows.find((row) => row.name === 'node -e 0');
const pad = (text, width) => String(text).padEnd(width);
console.log(`${pad('command', 16)}${pad('wall (mean ± sd)', 22)}${pad('x node -e 0', 13)}${pad('peak RSS', 12)}x node -e 0`);
for (const row of rows) {
  console.log(pad(row.name, 16) + pad(`${row.meanMs.toFixed(1)} ± ${row.sdMs.toFixed(1)} ms`, 22) +
    pad((row.meanMs / floor.meanMs).toFixed(2), 13) + pad(`${row.rssMiB.toFixed(1)} MiB`, 12) +
    (row.rssMiB / floor.rssMiB).toFixed(2));
}
const size = fs.statSync(standalone).size;
console.log(`standalone size: ${size} bytes (${(size / 1048576).toFixed(1)} MiB)`);
const ratio = rows[0].meanMs / floor.meanMs;
console.log(`standalone wall time ${ratio.toFixed(2)}x node -e 0: ${ratio <= 1.3 ? 'within' : 'OVER'} the 1.3x target`);
JS
