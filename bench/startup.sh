#!/usr/bin/env bash
# Start-up and memory, side by side in one run, setting one capability on one file:
#   the standalone (dist/setcap-static-linux-x64), the npm bundle under node, libcap's setcap, and
#   `node -e 0` (the runtime's floor). Wall time from hyperfine (-N: no shell), peak RSS from
#   /usr/bin/time (median of RUNS_RSS runs), ratios to `node -e 0`. Target: the standalone within 1.3x.
#   The runs are split into ROUNDS hyperfine rounds, each timing every command in turn, so that a change of
#   machine load during the run hits all commands alike; the ratios are of medians.
#   RUNS (total per command, default 50), ROUNDS (default 5) and RUNS_RSS (default 5) set the counts.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
standalone=dist/setcap-static-linux-x64
bundle=dist/setcap-static.cjs
runs=${RUNS:-50}
rounds=${ROUNDS:-5}
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

for ((round = 0; round < rounds; round++)); do
  hyperfine_args=(-N --warmup 2 --runs $(((runs + rounds - 1) / rounds)) --export-json "$work/wall-$round.json" --style none)
  for index in "${!commands[@]}"; do hyperfine_args+=(--command-name "${names[$index]}" "${commands[$index]}"); done
  hyperfine "${hyperfine_args[@]}" >/dev/null 2>"$work/hyperfine.log" || { cat "$work/hyperfine.log" >&2; exit 1; }
done

for index in "${!commands[@]}"; do
  for ((run = 0; run < runs_rss; run++)); do
    /usr/bin/time -f %M -o "$work/rss" ${commands[$index]} >/dev/null
    cat "$work/rss"
  done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' > "$work/rss-$index"
done

node - "$work" "$standalone" "$rounds" <<'JS'
const fs = require('fs');
const [work, standalone, rounds] = process.argv.slice(2);
const times = new Map();
for (let round = 0; round < Number(rounds); round++) {
  for (const result of JSON.parse(fs.readFileSync(`${work}/wall-${round}.json`, 'utf8')).results) {
    times.set(result.command, [...(times.get(result.command) ?? []), ...result.times]);
  }
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const rows = [...times].map(([name, samples], index) => {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const sd = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / samples.length);
  return {
    name,
    runs: samples.length,
    medianMs: median(samples) * 1000,
    meanMs: mean * 1000,
    sdMs: sd * 1000,
    rssMiB: Number(fs.readFileSync(`${work}/rss-${index}`, 'utf8')) / 1024,
  };
});
const floor = rows.find((row) => row.name === 'node -e 0');
const pad = (text, width) => String(text).padEnd(width);
console.log(`${pad('command', 15)}${pad('wall median', 13)}${pad('mean ± sd', 20)}${pad('x node -e 0', 13)}${pad('peak RSS', 12)}x node -e 0`);
for (const row of rows) {
  console.log(pad(row.name, 15) + pad(`${row.medianMs.toFixed(1)} ms`, 13) +
    pad(`${row.meanMs.toFixed(1)} ± ${row.sdMs.toFixed(1)} ms`, 20) +
    pad((row.medianMs / floor.medianMs).toFixed(2), 13) + pad(`${row.rssMiB.toFixed(1)} MiB`, 12) +
    (row.rssMiB / floor.rssMiB).toFixed(2));
}
const size = fs.statSync(standalone).size;
console.log(`${rows[0].runs} runs each in ${rounds} rounds; standalone size: ${size} bytes (${(size / 1048576).toFixed(1)} MiB)`);
const ratio = rows[0].medianMs / floor.medianMs;
console.log(`standalone wall time ${ratio.toFixed(2)}x node -e 0 (medians): ${ratio <= 1.3 ? 'within' : 'OVER'} the 1.3x target`);
JS
