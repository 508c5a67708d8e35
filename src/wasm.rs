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

/// Reads an image archive pushed chunk by chunk (a `ReadableStream`'s
/// chunks, `Blob.slice`s, a Node stream): one pass, memory bounded by
/// metadata. Call `push` per chunk (and `progress` for a progress bar),
/// then `finish` for the reports.
#[wasm_bindgen(js_name = ImageReader)]
pub struct ImageReader {
    inner: Option<crate::image::Reader>,
}

/// What `ImageReader.finish` returns.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageReport {
    images: Vec<crate::image::ImageSummary>,
    inspect: crate::image::inspect::Inspect,
    history: Vec<crate::image::history::HistoryEntry>,
    analysis: crate::image::filetree::Analysis,
}

#[wasm_bindgen(js_class = ImageReader)]
impl ImageReader {
    /// `name` names the input in error messages.
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str) -> ImageReader {
        ImageReader {
            inner: Some(crate::image::Reader::new(
                name,
                crate::image::Limits::default(),
            )),
        }
    }

    /// Feeds the next chunk.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), JsError> {
        let r = self
            .inner
            .as_mut()
            .ok_or_else(|| JsError::new("ImageReader: push after finish"))?;
        r.push(chunk).map_err(|e| JsError::new(&e.to_string()))
    }

    /// `{bytes, members, layers, current}` so far.
    pub fn progress(&self) -> Result<JsValue, JsError> {
        let p = self
            .inner
            .as_ref()
            .map(|r| r.progress())
            .unwrap_or_default();
        to_js(&p)
    }

    /// The input ended: assembles the image (`index` picks one of several,
    /// from 0) and returns `{images, inspect, history, analysis}`.
    pub fn finish(&mut self, index: Option<usize>) -> Result<JsValue, JsError> {
        let r = self
            .inner
            .take()
            .ok_or_else(|| JsError::new("ImageReader: finish called twice"))?;
        let err = |e: crate::image::ImageError| JsError::new(&e.to_string());
        let (archive, _) = r.finish().map_err(err)?;
        let sel = crate::image::Selector {
            index,
            ..Default::default()
        };
        let image = archive.image(&sel, None).map_err(err)?;
        to_js(&ImageReport {
            images: archive.images().map_err(err)?,
            inspect: crate::image::inspect::inspect(&image),
            history: crate::image::history::history(&image, &[]).map_err(err)?,
            analysis: crate::image::filetree::analyze_image(&image),
        })
    }
}
