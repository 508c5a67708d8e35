//! BuildKit's own parser conformance cases (`../shared/corpus/buildkit-parser`):
//! our dump must be byte-identical to each case's `result`, the negative
//! cases must fail, and line numbers must match `testfile-line`.

use std::path::PathBuf;

use layerkit::dockerfile::parse_bytes;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/buildkit-parser")
}

fn cases(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e} (is ../shared beside the project?)"))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn every_testfile_dumps_byte_identical() {
    let mut failures = Vec::new();
    let all = cases("testfiles");
    assert_eq!(all.len(), 33);
    for case in &all {
        let src = std::fs::read(case.join("Dockerfile")).unwrap();
        let want = std::fs::read_to_string(case.join("result")).unwrap();
        let df = parse_bytes(&src);
        if let Some(e) = df.first_error() {
            failures.push(format!("{}: unexpected error {e}", case.display()));
            continue;
        }
        let got = df.dump();
        if got != want {
            failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{got}",
                case.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn every_negative_testfile_fails() {
    for case in cases("testfiles-negative") {
        let src = std::fs::read(case.join("Dockerfile")).unwrap();
        let df = parse_bytes(&src);
        let e = df.first_error();
        assert!(e.is_some(), "{} parsed without error", case.display());
        assert!(e.unwrap().span.start.line >= 1);
    }
}

#[test]
fn line_numbers_match() {
    let src = std::fs::read(corpus().join("testfile-line/Dockerfile")).unwrap();
    let df = parse_bytes(&src);
    assert!(df.is_ok());
    let lines: Vec<(u32, u32)> = df
        .nodes
        .iter()
        .map(|n| (n.start_line, n.end_line))
        .collect();
    assert_eq!(lines, [(5, 5), (11, 12), (17, 31)]);
}
