//! Every corpus Dockerfile (`../shared/corpus/dockerfiles`, 390 real files)
//! parsed by us and by BuildKit's Go parser through its Python binding
//! (PyPI `dockerfile`, installed by `.ci/setup` into `target/oracles`):
//! the JSON must agree field by field.
//!
//! Where the binding loses information, the comparison says so:
//! - it wraps BuildKit v0.12, whose ENV/LABEL nodes have no separator
//!   element, so ours (key, value, `=`/`""` triples, as current BuildKit
//!   gives them) are compared with every third element dropped;
//! - it passes strings through C, so a NUL byte would truncate them (no
//!   corpus file has one; such a file would be reported, not compared);
//! - for `ONBUILD` it reads heredocs from the trigger node, while BuildKit
//!   attaches them to the `ONBUILD` node itself, so it shows none there;
//! - it returns keywords as written and `None` for empty strings; ours are
//!   upper case, so keywords are compared after upper-casing.

use std::path::{Path, PathBuf};
use std::process::Command;

use layerkit::dockerfile::parse_bytes;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn oracle_python() -> PathBuf {
    if let Some(p) = std::env::var_os("LAYERKIT_ORACLE_PYTHON") {
        return p.into();
    }
    root().join("target/oracles/bin/python")
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = root().join("../shared/corpus/dockerfiles");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn oracle(files: &[PathBuf]) -> serde_json::Map<String, Value> {
    let py = oracle_python();
    assert!(
        py.exists(),
        "{} is missing: run `.ci/setup --deps-only` to install BuildKit's parser binding",
        py.display()
    );
    let out = Command::new(&py)
        .arg(root().join("tests/oracle/buildkit_parse.py"))
        .args(files)
        .output()
        .expect("running the BuildKit parser oracle");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).expect("oracle JSON") {
        Value::Object(m) => m,
        _ => panic!("oracle output is not an object"),
    }
}

fn upper(v: &Value) -> Value {
    match v {
        Value::Null => Value::String(String::new()),
        Value::String(s) => Value::String(s.to_uppercase()),
        other => other.clone(),
    }
}

/// Our node as the binding would show it.
fn as_binding(ours: &Value) -> Value {
    let mut o = ours.clone();
    let cmd = ours["subCmd"]
        .as_str()
        .or(ours["cmd"].as_str())
        .unwrap_or("");
    if cmd == "ENV" || cmd == "LABEL" {
        let vals = ours["value"].as_array().unwrap();
        let kept: Vec<Value> = vals
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 2)
            .map(|(_, v)| v.clone())
            .collect();
        o["value"] = Value::Array(kept);
    }
    if !ours["subCmd"].is_null() && !ours["heredocs"].as_array().unwrap().is_empty() {
        let text = ours["original"].as_str().unwrap();
        o["original"] = Value::String(text.split('\n').next().unwrap().to_string());
        o["heredocs"] = Value::Array(Vec::new());
    }
    o
}

fn normalise_binding(theirs: &Value) -> Value {
    let mut t = theirs.clone();
    t["cmd"] = upper(&theirs["cmd"]);
    t["subCmd"] = match &theirs["subCmd"] {
        Value::Null => Value::Null,
        v => upper(v),
    };
    if theirs["original"].is_null() {
        t["original"] = Value::String(String::new());
    }
    t
}

fn compare(path: &Path, theirs: &Value) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    if bytes.contains(&0) {
        return vec![format!(
            "{}: has a NUL byte; the binding cannot show it",
            path.display()
        )];
    }
    let df = parse_bytes(&bytes);
    let mut diffs = Vec::new();
    if let Some(err) = theirs.get("error") {
        if df.is_ok() {
            diffs.push(format!(
                "{}: BuildKit fails ({err}) but we parse it",
                path.display()
            ));
        }
        return diffs;
    }
    if let Some(e) = df.first_error() {
        diffs.push(format!(
            "{}: BuildKit parses it but we fail: {e}",
            path.display()
        ));
        return diffs;
    }
    let ours: Vec<Value> = df
        .to_json()
        .iter()
        .map(|n| serde_json::to_value(n).unwrap())
        .collect();
    let theirs = theirs.as_array().unwrap();
    if ours.len() != theirs.len() {
        diffs.push(format!(
            "{}: {} instructions, BuildKit has {}",
            path.display(),
            ours.len(),
            theirs.len()
        ));
    }
    for (o, t) in ours.iter().zip(theirs) {
        let o = as_binding(o);
        let t = normalise_binding(t);
        for field in [
            "cmd",
            "subCmd",
            "json",
            "original",
            "startLine",
            "endLine",
            "flags",
            "value",
            "heredocs",
        ] {
            if o[field] != t[field] {
                diffs.push(format!(
                    "{} line {}: {field}: ours {} BuildKit {}",
                    path.display(),
                    t["startLine"],
                    o[field],
                    t[field]
                ));
            }
        }
    }
    diffs
}

#[test]
fn corpus_matches_buildkit_field_by_field() {
    let files = corpus_files();
    assert_eq!(files.len(), 390, "the shared corpus has 390 Dockerfiles");
    let theirs = oracle(&files);
    let mut diffs = Vec::new();
    for f in &files {
        let key = f.to_string_lossy().to_string();
        let t = theirs
            .get(&key)
            .unwrap_or_else(|| panic!("oracle has no entry for {key}"));
        diffs.extend(compare(f, t));
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// Cases the corpus lacks (heredocs, escapes, odd flags), written here, also
/// compared with BuildKit.
#[test]
fn edge_cases_match_buildkit() {
    let dir = std::env::temp_dir().join(format!("layerkit-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: &[&str] = &[
        "FROM a\nRUN <<EOF\necho hi\nEOF\n",
        "FROM a\nRUN <<EOF bash\nset -e\nEOF\nRUN x\n",
        "FROM a\nCOPY <<A <<\"B\" /dst/\none\nA\ntwo $x\nB\n",
        "FROM a\nRUN 3<<-EOF cat\n\tindented\n\tEOF\n",
        "FROM a\nONBUILD RUN <<EOF\nx\nEOF\n",
        "FROM a\nRUN [\"sh\", \"-c\", \"echo <<EOF\"]\n",
        "# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo `\n\nCOPY a\\ b\n",
        "# syntax=docker/dockerfile:1\n# escape=\\\nFROM a\n",
        "#escape=`\n#escape=\\\nFROM a\n",
        "FROM a\nRUN a \\\n\n  b\n",
        "FROM a\nENV A=1 B=\"2 3\" C=4\\ 5\nLABEL x y z\n",
        "FROM a\nCOPY --chown=1:1 --chmod=755 -- a b\nADD --checksum=sha256:x http://a /b\n",
        "FROM a\nHEALTHCHECK --interval=5s CMD [\"a\", \"b\"]\nHEALTHCHECK NONE\n",
        "FROM a\nCMD [\"a\", 'b']\nENTRYPOINT [ ]\nVOLUME [\"/a\", \"/b\"]\n",
        "FROM a\r\nRUN a \\\r\n  b\r\n",
        "\u{feff}FROM a\nonbuild add . /\n",
        "FROM a\nRUN echo \\\\\nRUN echo next\n",
        "FROM a\nEXPOSE 80/tcp\t443\nUSER  a  b \n",
        "FROM a\nCOPY --from=b \"/a b\" c\nRUN --mount=type=cache,target=/x apt-get update\n",
        "FROM a\nARG A B=2 \"C=3 4\"\nSTOPSIGNAL SIGTERM\nWORKDIR /x\nMAINTAINER me\n",
        "FROM a\nRUN <<EOF\nunterminated\n",
        "FROM a\nENV onlykey\n",
        "FROM a\nCMD [1]\n",
        "#\n",
        "FROM a\nRUN echo <<-'EOF' <<EOF2\nx\nEOF\ny\nEOF2\n",
        "FROM a\nSHELL [\"pwsh\", \"-c\"]\nRUN echo `\n",
    ];
    let mut files = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let p = dir.join(format!("case{i:02}"));
        std::fs::write(&p, c).unwrap();
        files.push(p);
    }
    let theirs = oracle(&files);
    let mut diffs = Vec::new();
    for (f, src) in files.iter().zip(cases) {
        let d = compare(f, &theirs[&f.to_string_lossy().to_string()]);
        diffs.extend(d.into_iter().map(|d| format!("{d}\n  input: {src:?}")));
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
