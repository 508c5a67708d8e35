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

#[macro_use]
mod wasm_common;

shared_tests!();

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
