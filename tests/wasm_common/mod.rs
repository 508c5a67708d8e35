//! The checks both wasm test files run, once in Node (`wasm_node.rs`) and
//! once in headless Chromium (`wasm_browser.rs`): each calls an export of the
//! npm package as JS would and looks at the plain JS object it returns,
//! read back through `JSON.stringify`.

use serde_json::{json, Value};
use wasm_bindgen::JsValue;

use layerkit::wasm::{parse_dockerfile, version};

/// Declares every check below as a `#[wasm_bindgen_test]` of the file that
/// invokes it (after `#[macro_use] mod wasm_common;`), under its own name.
macro_rules! shared_tests {
    () => {
        shared_tests!(
            parses_instructions_with_spans,
            broken_file_gives_diagnostics,
            odd_inputs_never_throw,
            version_is_the_crate_version,
        );
    };
    ($($name:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            fn $name() {
                wasm_common::$name();
            }
        )*
    };
}

/// The export's result as JSON. Panics (fails the test) if it threw.
fn parse(source: &str) -> Value {
    let result = match parse_dockerfile(source) {
        Ok(v) => v,
        Err(e) => panic!("parseDockerfile threw: {:?}", JsValue::from(e)),
    };
    let text: String = js_sys::JSON::stringify(&result)
        .expect("the result is JSON-serializable")
        .into();
    serde_json::from_str(&text).expect("JSON.stringify gave JSON")
}

fn span(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({"start": {"line": l1, "col": c1}, "end": {"line": l2, "col": c2}})
}

/// A file with a directive, ONBUILD, a heredoc with a flag, JSON form and a
/// non-ASCII character: every field of every instruction, with its span.
pub fn parses_instructions_with_spans() {
    let src = "# escape=\\\n\
               FROM alpine:3.20 AS base\n  \
               ONBUILD RUN echo \"h\u{e9}llo\"\n\
               RUN --mount=type=cache,target=/root/.cache <<EOF\n\
               echo one\n\
               EOF\n\
               CMD [\"echo\", \"done\"]\n";
    let got = parse(src);

    assert_eq!(got["escape"], json!("\\"));
    assert_eq!(
        got["diagnostics"],
        json!([]),
        "a valid file has no diagnostics"
    );
    assert_eq!(
        got["directives"],
        json!([{"name": "escape", "value": "\\", "span": span(1, 1, 1, 11)}])
    );

    let ins = got["instructions"]
        .as_array()
        .expect("instructions is an array");
    assert_eq!(ins.len(), 4, "{ins:#?}");
    assert_eq!(
        ins[0],
        json!({
            "cmd": "FROM", "subCmd": null, "json": false,
            "original": "FROM alpine:3.20 AS base",
            "startLine": 2, "endLine": 2, "flags": [],
            "value": ["alpine:3.20", "AS", "base"], "heredocs": [],
            "span": span(2, 1, 2, 25),
        })
    );
    // Indented: the span starts at the keyword; columns count characters
    // (the é is one), not UTF-8 bytes.
    assert_eq!(
        ins[1],
        json!({
            "cmd": "ONBUILD", "subCmd": "RUN", "json": false,
            "original": "ONBUILD RUN echo \"h\u{e9}llo\"",
            "startLine": 3, "endLine": 3, "flags": [],
            "value": ["echo \"h\u{e9}llo\""], "heredocs": [],
            "span": span(3, 3, 3, 27),
        })
    );
    assert_eq!(
        ins[2],
        json!({
            "cmd": "RUN", "subCmd": null, "json": false,
            "original": "RUN --mount=type=cache,target=/root/.cache <<EOF\necho one\nEOF\n",
            "startLine": 4, "endLine": 6,
            "flags": ["--mount=type=cache,target=/root/.cache"],
            "value": ["<<EOF"],
            "heredocs": [{"name": "EOF", "content": "echo one\n", "fileDescriptor": 0}],
            "span": span(4, 1, 6, 4),
        })
    );
    assert_eq!(
        ins[3],
        json!({
            "cmd": "CMD", "subCmd": null, "json": true,
            "original": "CMD [\"echo\", \"done\"]",
            "startLine": 7, "endLine": 7, "flags": [],
            "value": ["echo", "done"], "heredocs": [],
            "span": span(7, 1, 7, 21),
        })
    );
}

/// A broken file gives diagnostics with their lines, and still the
/// instructions that could be read; nothing throws.
pub fn broken_file_gives_diagnostics() {
    let src = "FROM alpine\n\
               COPY onlyone\n  \
               ENV a\n\
               HEALTHCHECK --interval=oops CMD true\n\
               RUN <<EOF\n\
               never closed\n";
    let got = parse(src);

    let mut diags: Vec<(u64, u64, String, String, String)> = got["diagnostics"]
        .as_array()
        .expect("diagnostics is an array")
        .iter()
        .map(|d| {
            (
                d["span"]["start"]["line"].as_u64().expect("a line"),
                d["span"]["start"]["col"].as_u64().expect("a column"),
                d["severity"].as_str().expect("a severity").to_owned(),
                d["code"].as_str().expect("a code").to_owned(),
                d["message"].as_str().expect("a message").to_owned(),
            )
        })
        .collect();
    diags.sort();
    let at: Vec<(u64, u64, &str, &str)> = diags
        .iter()
        .map(|(l, c, s, code, _)| (*l, *c, s.as_str(), code.as_str()))
        .collect();
    assert_eq!(
        at,
        [
            (2, 1, "error", "instruction"),
            (3, 3, "error", "syntax"),
            (4, 1, "error", "instruction"),
            (5, 1, "error", "syntax"),
        ],
        "{diags:#?}"
    );
    assert!(
        diags[0].4.contains("COPY requires at least two arguments"),
        "{diags:#?}"
    );
    assert!(
        diags[1].4.contains("ENV must have two arguments"),
        "{diags:#?}"
    );
    assert!(
        diags[2].4.contains("invalid duration \"oops\""),
        "{diags:#?}"
    );
    assert!(diags[3].4.contains("unterminated heredoc"), "{diags:#?}");

    let cmds: Vec<&str> = got["instructions"]
        .as_array()
        .expect("instructions is an array")
        .iter()
        .map(|i| i["cmd"].as_str().expect("cmd is a string"))
        .collect();
    assert_eq!(cmds, ["FROM", "COPY", "HEALTHCHECK", "RUN"]);
}

/// Inputs no Dockerfile looks like still give a result, never an exception.
pub fn odd_inputs_never_throw() {
    for src in [
        "",
        "\n\n",
        "\u{feff}",
        "\\\n",
        "RUN \\",
        "\0\0\0",
        "FROM\u{2028}x",
    ] {
        let got = parse(src);
        assert!(got["instructions"].is_array(), "{src:?}: {got}");
        assert!(got["diagnostics"].is_array(), "{src:?}: {got}");
    }
}

pub fn version_is_the_crate_version() {
    assert_eq!(version(), env!("CARGO_PKG_VERSION"));
}
