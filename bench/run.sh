#!/usr/bin/env bash
# npm run bench: every bench/*.sh and bench/*.ts but this one, in turn. Exit non-zero if any failed.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
failed=()
for bench in bench/*.sh bench/*.ts; do
  [[ -e "$bench" && "$bench" != bench/run.sh ]] || continue
  echo "== $bench"
  case "$bench" in
    *.sh) bash "$bench" ;;
    *.ts) npx tsx "$bench" ;;
  esac || failed+=("$bench")
  echo
done
if ((${#failed[@]} > 0)); then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
