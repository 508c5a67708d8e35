#!/usr/bin/env bash
# The size of each shipped .wasm of the npm package (every module of
# wasm-pack.toml, every target): raw and gzip'd (gzip -9), after wasm-opt,
# against the module's `gzip-budget` in wasm-pack.toml when it has one.
# Exits 1 when a module is over its budget.
#
#   benches/wasm_size.sh            build pkg/ (.ci/package), then measure
#   benches/wasm_size.sh --no-build measure pkg/ as it is
. "$(dirname "$0")/common.sh"
[ "${1:-}" = "--no-build" ] || .ci/package >/dev/null 2>&1 || .ci/package
# module name and budget (0: none), one per line
modules=$(python3 -c '
import tomllib
for m in tomllib.load(open("wasm-pack.toml", "rb"))["module"]:
    print(m["name"], m.get("gzip-budget", 0))')
printf '%-12s %-8s %10s %10s  %s\n' module target raw gzip-9 budget
over=0
while read -r module budget; do
  for wasm in pkg/*/"${module}"_bg.wasm; do
    target=$(basename "$(dirname "$wasm")")
    raw=$(wc -c <"$wasm")
    gz=$(gzip -9c "$wasm" | wc -c)
    verdict="-"
    if [ "$budget" -gt 0 ]; then
      if [ "$gz" -le "$budget" ]; then verdict=ok; else verdict=OVER; over=1; fi
      verdict="$verdict ($((gz * 100 / budget))% of $((budget / 1000)) KB)"
    fi
    printf '%-12s %-8s %10s %10s  %s\n' "$module" "$target" "$raw" "$gz" "$verdict"
  done
done <<<"$modules"
exit $over
