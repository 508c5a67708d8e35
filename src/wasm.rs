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

// The TypeScript shapes of what the exports return, emitted into every
// target's generated .d.ts. Keep them in step with the serde structs they
// describe (tests/node/package.test.mjs compares both against real results).
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** A position in the source: 1-based line and column (columns count characters, not bytes). */
export interface Pos {
    line: number;
    col: number;
}

/** A range of source text, from `start` up to (not including) `end`. */
export interface Span {
    start: Pos;
    end: Pos;
}

/** A heredoc body read by an instruction (`RUN <<EOF`). */
export interface Heredoc {
    /** The delimiter word, quotes removed. */
    name: string;
    /** The body, each line with its line ending, without the delimiter line. */
    content: string;
    /** `3<<EOF` gives 3; `<<EOF` gives 0. */
    fileDescriptor: number;
}

/** One instruction, with the fields of BuildKit's parser node. */
export interface Instruction {
    /** The keyword, upper case (`RUN`). */
    cmd: string;
    /** `ONBUILD`'s trigger keyword, upper case; `null` for other instructions. */
    subCmd: string | null;
    /** The arguments were a JSON array (exec form). */
    json: boolean;
    /** The instruction text with continuations joined; heredoc bodies follow it. */
    original: string;
    /** First line of the instruction, 1-based. */
    startLine: number;
    /** Last line of the instruction (heredoc bodies included). */
    endLine: number;
    /** `--name=value` flags before the arguments, quotes removed. */
    flags: string[];
    /** The arguments as BuildKit splits them; for ENV and LABEL, triples of key, value and separator. */
    value: string[];
    heredocs: Heredoc[];
    /** From the keyword to the end of the last line. */
    span: Span;
}

/** How serious a diagnostic is: `error` means `docker build` refuses the file. */
export type Severity = "error" | "warning";

/** A problem found in the file, with where it is. */
export interface Diagnostic {
    severity: Severity;
    /** `syntax`, `instruction`, or a BuildKit check name such as `NoEmptyContinuation`. */
    code: string;
    message: string;
    span: Span;
}

/** A parser directive from the file's header (`# escape=`). */
export interface Directive {
    /** Lower case: `syntax`, `escape` or `check`. */
    name: string;
    value: string;
    span: Span;
}

/** What `parseDockerfile` returns. */
export interface ParsedDockerfile {
    instructions: Instruction[];
    /** Parse errors and warnings, then errors in instructions' arguments. */
    diagnostics: Diagnostic[];
    directives: Directive[];
    /** The escape character: a backslash, or a backtick by directive. */
    escape: string;
}
"#;

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
#[wasm_bindgen(js_name = parseDockerfile, unchecked_return_type = "ParsedDockerfile")]
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
