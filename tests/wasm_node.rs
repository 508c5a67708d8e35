//! The npm package's exports, run as wasm in Node by wasm-bindgen-test:
//!
//!   CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!     cargo test --target wasm32-unknown-unknown --test wasm_node
//!
//! Natively this file is empty.
#![cfg(target_arch = "wasm32")]

#[macro_use]
mod wasm_common;

shared_tests!();
