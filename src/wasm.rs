//! The npm package's API: thin wasm-bindgen wrappers. Each export converts
//! its arguments, calls one core function and converts the result to plain
//! JS objects (camelCase fields, `null` for absent values).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::dockerfile::{self, Diagnostic, Directive, NodeJson};

#[cfg(feature = "image")]
mod assemble;
#[cfg(feature = "image")]
mod image;
#[cfg(feature = "image")]
pub use image::ImageReader;

/// A result as plain JS objects: JSON text parsed by the engine, which is
/// smaller and no slower than building objects field by field.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(value).map_err(|e| JsError::new(&e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| JsError::new("JSON.parse failed"))
}

/// An options argument: `None` for `undefined` or `null`, else the value
/// read through its JSON form; errors name `what`.
fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
) -> Result<Option<T>, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let text: String = js_sys::JSON::stringify(&value)
        .map_err(|_| JsError::new(&format!("{what}: not representable as JSON")))?
        .into();
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| JsError::new(&format!("{what}: {e}")))
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

#[wasm_bindgen(typescript_custom_section)]
const LINT_TYPES: &str = r#"
/** How serious a finding is. */
export type LintSeverity = "error" | "warning" | "info" | "style";

/** One text replacement. Offsets are JS string indices (UTF-16 units):
 *  `source.slice(0, start) + text + source.slice(end)` applies it. Lines
 *  and columns are 1-based; columns count Unicode code points. */
export interface LintEdit {
  line: number; column: number; endLine: number; endColumn: number;
  start: number; end: number; text: string;
}

/** A change that resolves a finding; edits do not overlap. */
export interface LintFix { title: string; edits: LintEdit[]; }

/** A problem found by `lint`. `code` is a hadolint code (`DL3006`), a
 *  BuildKit check name (`FromAsCasing`) or `DL1000` for a parse error. */
export interface LintFinding {
  code: string; severity: LintSeverity; message: string;
  line: number; column: number; endLine: number; endColumn: number;
  fix?: LintFix;
}

/** Settings, as in `.hadolint.yaml` (the same keys), plus the build
 *  context's `.dockerignore` text for `CopyIgnoredFile`. */
export interface LintConfig {
  ignored?: string[];
  override?: { error?: string[]; warning?: string[]; info?: string[]; style?: string[] };
  trustedRegistries?: string[];
  "failure-threshold"?: LintSeverity | "none";
  "label-schema"?: Record<string, "text" | "url" | "spdx" | "hash" | "rfc3339" | "semver" | "email">;
  "strict-labels"?: boolean;
  "disable-ignore-pragma"?: boolean;
  dockerignore?: string;
}

/** A rule of the catalog. */
export interface LintRule {
  code: string; name: string; origin: "hadolint" | "buildkit" | "layerkit";
  severity: LintSeverity; enabled: boolean; summary: string; description: string;
  bad: string; good: string; fixable: boolean; url: string;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `lint`'s optional settings.
    #[wasm_bindgen(typescript_type = "LintConfig")]
    pub type LintConfigArg;
}

/// Lints a Dockerfile: hadolint's rules and BuildKit's build checks, after
/// variable expansion. Never throws for bad Dockerfiles (parse errors are
/// `DL1000` findings); throws for an invalid `config`, naming the key.
#[wasm_bindgen(js_name = lint, unchecked_return_type = "LintFinding[]")]
pub fn lint(source: &str, config: Option<LintConfigArg>) -> Result<JsValue, JsError> {
    use crate::lint::{lint_with, Config, Inputs};
    let mut value: serde_json::Value =
        from_js(config.map_or(JsValue::UNDEFINED, Into::into), "config")?
            .unwrap_or(serde_json::Value::Null);
    let dockerignore = match value.as_object_mut().and_then(|m| m.remove("dockerignore")) {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(_) => {
            return Err(JsError::new(
                "config: `dockerignore`: expected the text of a .dockerignore",
            ))
        }
        None => None,
    };
    let config = Config::from_value(&value, "config").map_err(|e| JsError::new(&e.to_string()))?;
    let df = dockerfile::parse(source);
    let inputs = Inputs {
        dockerignore: dockerignore.as_deref(),
    };
    let mut findings = lint_with(&df, &config, &inputs);
    // Byte offsets to JS string indices.
    let utf16 = |byte: usize| -> usize {
        source
            .get(..byte)
            .map_or(byte, |s| s.chars().map(char::len_utf16).sum())
    };
    if !source.is_ascii() {
        for f in findings.iter_mut() {
            for e in f.fix.iter_mut().flat_map(|x| x.edits.iter_mut()) {
                e.start = utf16(e.start);
                e.end = utf16(e.end);
            }
        }
    }
    to_js(&findings)
}

/// The rule catalog: code, name, origin, default severity, docs, examples.
#[wasm_bindgen(js_name = rules, unchecked_return_type = "LintRule[]")]
pub fn rules() -> Result<JsValue, JsError> {
    to_js(&crate::lint::rules::ALL)
}
