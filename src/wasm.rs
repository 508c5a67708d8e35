//! The npm package's API: thin wasm-bindgen wrappers. Each export converts
//! its arguments, calls one core function and converts the result to plain
//! JS objects (camelCase fields, `null` for absent values).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::dockerfile::{self, Diagnostic, Directive, NodeJson};

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// What `parseDockerfile` returns.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Parsed {
    /// One entry per instruction, with its span.
    instructions: Vec<NodeJson>,
    /// Parse errors and warnings, then errors in instructions.
    diagnostics: Vec<Diagnostic>,
    directives: Vec<Directive>,
    escape: char,
}

/// Parses a Dockerfile as BuildKit does. Never throws for bad input:
/// problems are in `diagnostics`.
#[wasm_bindgen(js_name = parseDockerfile)]
pub fn parse_dockerfile(source: &str) -> Result<JsValue, JsError> {
    let df = dockerfile::parse(source);
    let typed = df.instructions();
    let instructions = df
        .nodes
        .iter()
        .map(|n| NodeJson {
            span: Some(n.span),
            ..n.to_json()
        })
        .collect();
    let mut diagnostics = df.diagnostics.clone();
    diagnostics.extend(typed.diagnostics);
    to_js(&Parsed {
        instructions,
        diagnostics,
        directives: df.directives.clone(),
        escape: df.escape,
    })
}

/// The layerkit version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
