#!/usr/bin/env bash
# The size of the shipped .wasm per target of the npm package: raw and
# gzip'd (gzip -9), after wasm-opt, against the 300 KB gzip'd budget.
#
#   benches/wasm_size.sh            build pkg/ (.ci/package), then measure
#   benches/wasm_size.sh --no-build measure pkg/ as it is
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ "${1:-}" = "--no-build" ] || .ci/package >/dev/null 2>&1 || .ci/package
budget=$((300 * 1000))
printf '%-8s %10s %10s %s\n' target raw gzip-9 budget
over=0
for wasm in pkg/*/layerkit_bg.wasm; do
  target=$(basename "$(dirname "$wasm")")
  raw=$(wc -c <"$wasm")
  gz=$(gzip -9c "$wasm" | wc -c)
  verdict=ok
  [ "$gz" -le "$budget" ] || { verdict=OVER; over=1; }
  printf '%-8s %10s %10s %s\n' "$target" "$raw" "$gz" "$verdict ($((gz * 100 / budget))% of 300 KB)"
done
exit $over
