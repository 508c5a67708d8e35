//! Bench-only exports: how fast the parser itself runs in wasm, with only
//! a count crossing back to JS.

use wasm_bindgen::prelude::*;

/// `parse()`: the syntax tree; returns the number of instructions.
#[wasm_bindgen(js_name = parseCount)]
pub fn parse_count(source: &str) -> usize {
    layerkit::dockerfile::parse(source).nodes.len()
}

/// `parse()` and `instructions()`; returns the number of typed items.
#[wasm_bindgen(js_name = parseTypedCount)]
pub fn parse_typed_count(source: &str) -> usize {
    layerkit::dockerfile::parse(source).instructions().items.len()
}
