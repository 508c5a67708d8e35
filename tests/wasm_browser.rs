//! The npm package's exports, run as wasm in headless Chromium by
//! wasm-bindgen-test (chromedriver on PATH; browser flags in webdriver.json):
//!
//!   CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!     cargo test --target wasm32-unknown-unknown --test wasm_browser
//!
//! Natively this file is empty.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

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

/// In a page the result is a plain object a script can use directly.
#[wasm_bindgen_test]
fn result_is_a_plain_object_in_the_page() {
    let v = layerkit::wasm::parse_dockerfile("FROM scratch\n").expect("no exception");
    let proto = js_sys::Object::get_prototype_of(&v);
    let plain = js_sys::Object::get_prototype_of(&js_sys::Object::new());
    assert!(js_sys::Object::is(&proto, &plain), "not a plain object");
    assert!(js_sys::Array::is_array(
        &js_sys::Reflect::get(&v, &"instructions".into()).expect("has instructions")
    ));
}
