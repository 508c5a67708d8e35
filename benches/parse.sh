#!/usr/bin/env bash
# Dockerfile parse speed: native Rust, the wasm build under Node, and
# BuildKit's own Go parser, over every file of ../shared/corpus/dockerfiles,
# in one run, with the ratios.
#
#   benches/parse.sh [SECONDS]     (each measurement runs at least SECONDS, default 3)
#
#   LAYERKIT_WASM_PKG=pkg/nodejs benches/parse.sh   use an already built
#       `wasm-bindgen --target nodejs` package instead of building one
#   LAYERKIT_ORACLE_PYTHON=…                        a python with PyPI
#       `dockerfile` (default target/oracles/bin/python, from .ci/setup)
#
# Goals: native at least as fast as BuildKit's parser; the wasm build in
# Node within 2x of native for the same work (parse, typed instructions,
# result as plain objects). Results go to benches/RESULTS.md.
. "$(dirname "$0")/common.sh"

secs=${1:-3}
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\033[1m--> %s\033[0m\n' "$*" >&2; }
die() { printf 'parse.sh: error: %s\n' "$*" >&2; exit 1; }

python=${LAYERKIT_ORACLE_PYTHON:-$root/target/oracles/bin/python}
[ -x "$python" ] || die "$python is missing: run .ci/setup --deps-only (BuildKit's parser binding, PyPI dockerfile)"
command -v node >/dev/null || die "node is missing"

pkg=${LAYERKIT_WASM_PKG:-}
if [ -z "$pkg" ]; then
  want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    say "cargo install wasm-bindgen-cli $want (Cargo.lock's wasm-bindgen)"
    cargo install -q wasm-bindgen-cli --version "$want" --force
  fi
  say "building the wasm module (release profile) for Node"
  pkg=$root/target/bench/wasm-nodejs
  build_wasm_node "$pkg"
fi
# The bench-only module, built from a copy next to the root Cargo.lock's
# versions so that its wasm-bindgen matches the CLI.
say "building the bench-only wasm module (benches/wasm-parse)"
crate=$root/target/bench/wasm-parse-crate
mkdir -p "$crate"
cp benches/wasm-parse/Cargo.toml benches/wasm-parse/lib.rs "$crate/"
sed -i "s|path = \"../..\"|path = \"$root\"|" "$crate/Cargo.toml"
[ -f "$crate/Cargo.lock" ] || cp Cargo.lock "$crate/Cargo.lock"
CARGO_TARGET_DIR=$root/target cargo build -q --release --target wasm32-unknown-unknown \
  --manifest-path "$crate/Cargo.toml"
bench_pkg=$root/target/bench/wasm-parse
wasm-bindgen --target nodejs --out-dir "$bench_pkg" target/wasm32-unknown-unknown/release/layerkit_bench_wasm.wasm

results=$(mktemp)
trap 'rm -f "$results"' EXIT
say "native (cargo bench --bench parse)"
cargo bench -q --bench parse -- --json --seconds "$secs" >>"$results"
say "wasm in Node $(node --version) ($pkg)"
node benches/parse_wasm.mjs "$pkg" "$bench_pkg" "$secs" >>"$results"
say "BuildKit's parser ($("$python" -c 'import importlib.metadata as m; print("PyPI dockerfile", m.version("dockerfile"))'))"
"$python" benches/parse_buildkit.py "$secs" >>"$results"

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {(r["impl"], r["workload"]): r for r in rows}
first = rows[0]
print(f"\ncorpus: {first['files']} files, {first['bytes'] / 1024:.0f} KiB, {first['instructions']} instructions")
print("times per round over the whole corpus; ratios from the best rounds (the machine is shared)\n")
print(f"{'implementation':<34} {'best ms':>8} {'median ms':>10} {'rounds':>7} {'files/s':>9} {'MiB/s':>7}")
names = {
    ("native", "parse"): "native parse()",
    ("wasm", "parse"): "wasm parse() (Node)",
    ("native", "parse+instructions"): "native parse()+instructions()",
    ("wasm", "parse+instructions"): "wasm parse()+instructions()",
    ("native", "parseDockerfile"): "native parseDockerfile, JSON",
    ("wasm", "parseDockerfile"): "wasm parseDockerfile, JS objects",
    ("buildkit", "parse"): "BuildKit parse_string (Go+Py)",
}
for key, name in names.items():
    r = by[key]
    b = r["best_s"]
    print(f"{name:<34} {b * 1e3:8.2f} {r['median_s'] * 1e3:10.2f} {r['rounds']:7d} "
          f"{r['files'] / b:9.0f} {r['bytes'] / b / 2**20:7.1f}")
best = lambda impl, w: by[(impl, w)]["best_s"]
bk = best("buildkit", "parse")
nat = best("native", "parse")
print()
print(f"native parse() vs BuildKit:           {bk / nat:6.1f}x faster       (goal >= 1x: {'met' if bk >= nat else 'NOT MET'})")
for w in ("parse", "parse+instructions", "parseDockerfile"):
    r = best("wasm", w) / best("native", w)
    print(f"wasm vs native, {w + ':':<21} {r:6.2f}x the time     (goal <= 2x: {'met' if r <= 2 else 'NOT MET'})")
print(f"wasm parseDockerfile vs BuildKit:     {bk / best('wasm', 'parseDockerfile'):6.1f}x faster")
PY
