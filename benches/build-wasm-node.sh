#!/usr/bin/env bash
# Builds the library for wasm32 and wraps it for Node with wasm-bindgen:
# target/wasm-node/layerkit.js (+ layerkit_bg.wasm). Used by the lint
# benchmark and the Node lint test when no packaged build is given.
. "$(dirname "$0")/common.sh"
build_wasm_node target/wasm-node
echo "target/wasm-node/layerkit.js ($(stat -c %s target/wasm-node/layerkit_bg.wasm) bytes of wasm)"
