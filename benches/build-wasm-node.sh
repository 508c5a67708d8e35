#!/usr/bin/env bash
# Builds the library for wasm32 and wraps it for Node with wasm-bindgen:
# target/wasm-node/layerkit.js (+ layerkit_bg.wasm). Used by the lint
# benchmark and the Node lint test when no packaged build is given.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build -q --release --target wasm32-unknown-unknown --lib
wasm-bindgen --target nodejs --out-dir target/wasm-node \
  target/wasm32-unknown-unknown/release/layerkit.wasm
echo "target/wasm-node/layerkit.js ($(stat -c %s target/wasm-node/layerkit_bg.wasm) bytes of wasm)"
