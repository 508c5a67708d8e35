#!/usr/bin/env bash
# Fuzzes the Dockerfile parser for N seconds (default 60).
#
#   fuzz/run.sh [SECONDS] [extra libFuzzer flags…]
#
# Seeds fuzz/corpus/dockerfile (gitignored) from the shared corpus — the
# real Dockerfiles and BuildKit's own parser test files — then runs the
# `dockerfile` target with cargo-fuzz. Only a stable toolchain is needed:
# RUSTC_BOOTSTRAP=1 lets it take cargo-fuzz's nightly flags. The crate has
# no unsafe code, so it is built without AddressSanitizer (about twice the
# executions per second); overflow checks and debug assertions stay on.
# Crashes land in fuzz/artifacts/dockerfile/; reproduce one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -s none dockerfile fuzz/artifacts/dockerfile/<file>
set -euo pipefail

secs=${1:-60}
shift || true
fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz")
shared=$root/../shared/corpus
corpus=$fuzz/corpus/dockerfile

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

mkdir -p "$corpus"
for f in "$shared"/dockerfiles/*; do
  cp -n "$f" "$corpus/$(basename "$f")"
done
for dir in testfiles testfiles-negative; do
  for case in "$shared"/buildkit-parser/"$dir"/*/; do
    cp -n "$case/Dockerfile" "$corpus/buildkit-$dir-$(basename "$case")"
  done
done
cp -n "$shared/buildkit-parser/testfile-line/Dockerfile" "$corpus/buildkit-testfile-line"

cd "$root"
export RUSTC_BOOTSTRAP=1
exec cargo fuzz run --sanitizer none dockerfile "$corpus" -- \
  -dict="$fuzz/dockerfile.dict" -max_len=65536 -timeout=10 \
  -max_total_time="$secs" -print_final_stats=1 "$@"
