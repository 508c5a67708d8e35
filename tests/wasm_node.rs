//! The npm package's exports, run as wasm in Node by wasm-bindgen-test:
//!
//!   CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!     cargo test --target wasm32-unknown-unknown --test wasm_node
//!
//! Natively this file is empty.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test;

mod wasm_common;

#[wasm_bindgen_test]
fn parses_instructions_with_spans() {
    wasm_common::parses_instructions_with_spans();
}

#[wasm_bindgen_test]
fn broken_file_gives_diagnostics() {
    wasm_common::broken_file_gives_diagnostics();
}

#[wasm_bindgen_test]
fn odd_inputs_never_throw() {
    wasm_common::odd_inputs_never_throw();
}

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    wasm_common::version_is_the_crate_version();
}
