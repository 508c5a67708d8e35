//! `layerkit lint` as a user runs it: formats, exit codes, configs, fixes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::layerkit as bin;
use support::run_with_input;

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("layerkit-lint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin()
        .args(["lint"])
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn json_output_and_exit_codes() {
    let d = scratch("json");
    std::fs::write(d.join("Dockerfile"), "FROM debian\nRUN a\nRUN b\n").unwrap();
    let out = run(&d, &["-f", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "DL3006 is a warning, over the default threshold"
    );
    let v = json(&out);
    assert_eq!(codes(&v), ["DL3006", "DL3059"]);
    let f = &v[0];
    assert_eq!(f["file"], "Dockerfile");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(6))
    );
    assert_eq!(
        (f["endLine"].as_u64(), f["endColumn"].as_u64()),
        (Some(1), Some(12))
    );
    assert_eq!(f["severity"], "warning");
    // Only errors fail.
    assert_eq!(
        run(&d, &["-f", "json", "--failure-threshold", "error"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(run(&d, &["--no-fail"]).status.code(), Some(0));
    // Ignoring the warning leaves an info, which fails at the default threshold.
    assert_eq!(run(&d, &["--ignore", "DL3006"]).status.code(), Some(1));
    assert_eq!(
        run(&d, &["--ignore", "DL3006", "-t", "warning"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn tty_shows_the_line_and_a_caret() {
    let d = scratch("tty");
    std::fs::write(d.join("Dockerfile"), "FROM debian\n").unwrap();
    let out = run(&d, &["Dockerfile"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Dockerfile:1:6: warning DL3006: Always tag the version"),
        "{text}"
    );
    assert!(
        text.contains("1 | FROM debian\n  |      ^^^^^^\n"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colours off a terminal");
    let out = run(&d, &["--color", "always"]);
    assert!(String::from_utf8(out.stdout).unwrap().contains('\x1b'));
}

#[test]
fn hadolint_yaml_is_found_and_applied() {
    let d = scratch("yaml");
    std::fs::write(d.join("Dockerfile"), "FROM debian\nMAINTAINER me\n").unwrap();
    std::fs::write(
        d.join(".hadolint.yaml"),
        "ignored:\n  - DL4000\noverride:\n  info:\n    - DL3006\nfailure-threshold: warning\n",
    )
    .unwrap();
    let out = run(&d, &["-f", "json"]);
    let v = json(&out);
    assert_eq!(codes(&v), ["DL3006", "MaintainerDeprecated"]);
    assert_eq!(v[0]["severity"], "info");
    assert_eq!(
        out.status.code(),
        Some(1),
        "MaintainerDeprecated is a warning"
    );
}

#[test]
fn layerkit_toml_is_read() {
    let d = scratch("toml");
    std::fs::write(d.join("Dockerfile"), "FROM debian\n").unwrap();
    std::fs::write(
        d.join("layerkit.toml"),
        "[lint]\nignored = [\"DL3006\"]\ntrusted-registries = [\"ghcr.io\"]\n",
    )
    .unwrap();
    let v = json(&run(&d, &["-f", "json"]));
    assert_eq!(codes(&v), ["DL3026"]);
}

#[test]
fn invalid_config_names_key_and_file() {
    let d = scratch("badcfg");
    std::fs::write(d.join("Dockerfile"), "FROM debian:12\n").unwrap();
    std::fs::write(d.join("lint.yaml"), "failure-threshold: loud\n").unwrap();
    let out = run(&d, &["--config", "lint.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("lint.yaml") && err.contains("failure-threshold"),
        "{err}"
    );
    std::fs::write(d.join("lint.yaml"), "ignored: [DL3006\n").unwrap();
    let err = String::from_utf8(run(&d, &["--config", "lint.yaml"]).stderr).unwrap();
    assert!(err.contains("lint.yaml: not valid YAML"), "{err}");
}

#[test]
fn parse_errors_are_findings_and_the_rest_is_checked() {
    let d = scratch("parse");
    std::fs::write(
        d.join("Dockerfile"),
        "FROM debian\nCOPY --chwon=1 a b\nMAINTAINER me\n",
    )
    .unwrap();
    let v = json(&run(&d, &["-f", "json"]));
    let c = codes(&v);
    assert!(c.contains(&"DL1000".to_string()), "{c:?}");
    assert!(c.contains(&"DL4000".to_string()), "{c:?}");
    let e = v
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "DL1000")
        .unwrap();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("did you mean chown"),
        "{e}"
    );
}

#[test]
fn stdin_is_read() {
    let out = run_with_input(bin().args(["lint", "-f", "json", "-"]), b"FROM debian\n");
    let v = json(&out);
    assert_eq!(v[0]["file"], "<stdin>");
}

#[test]
fn fix_rewrites_only_what_it_fixes() {
    let d = scratch("fix");
    // CRLF line endings, odd spacing and comments elsewhere must survive.
    let src = "# syntax=docker/dockerfile:1\r\nfrom debian:12 AS build\r\nRUN  echo  hi   # not a comment\r\n\r\nMAINTAINER me\r\nENV A 1\r\nCMD app --serve\r\n";
    std::fs::write(d.join("Dockerfile"), src).unwrap();
    let out = run(&d, &["--diff"]);
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(
        diff.starts_with("--- a/Dockerfile\n+++ b/Dockerfile\n"),
        "{diff}"
    );
    assert!(diff.contains("\n-MAINTAINER me\r\n"), "{diff}");
    assert!(
        diff.contains("\n+LABEL org.opencontainers.image.authors=\"me\"\r\n"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("Dockerfile")).unwrap(),
        src,
        "--diff writes nothing"
    );

    let out = run(&d, &["--fix", "-f", "json"]);
    let fixed = std::fs::read_to_string(d.join("Dockerfile")).unwrap();
    assert_eq!(
        fixed,
        "# syntax=docker/dockerfile:1\r\nFROM debian:12 AS build\r\nRUN  echo  hi   # not a comment\r\n\r\nLABEL org.opencontainers.image.authors=\"me\"\r\nENV A=1\r\nCMD [\"app\", \"--serve\"]\r\n"
    );
    // What is left is reported, and nothing fixable remains.
    let v = json(&out);
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["code"] != "ConsistentInstructionCasing"));
    let again = run(&d, &["--diff"]);
    assert!(again.stdout.is_empty());
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn fix_on_stdin_prints_the_text() {
    let out = run_with_input(bin().args(["lint", "--fix", "-q", "-"]), b"FROM a:1 as b\n");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "FROM a:1 AS b\n");
}

#[test]
fn context_dockerignore_is_checked() {
    let d = scratch("ctx");
    std::fs::write(d.join("Dockerfile"), "FROM a:1\nCOPY secrets.env /app/\n").unwrap();
    std::fs::write(d.join(".dockerignore"), "*.env\n").unwrap();
    let v = json(&run(&d, &["-f", "json", "--context", "."]));
    assert_eq!(codes(&v), ["CopyIgnoredFile"]);
    let v = json(&run(&d, &["-f", "json"]));
    assert!(codes(&v).is_empty());
}

#[test]
fn explain_and_list() {
    let d = scratch("explain");
    let out = run(&d, &["--explain", "DL3006"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("DL3006 (tag-image-version): Always tag"),
        "{text}"
    );
    assert!(text.contains("    FROM debian\n"));
    assert_eq!(run(&d, &["--explain", "DL9999"]).status.code(), Some(1));
    let list = String::from_utf8(run(&d, &["--list-rules"]).stdout).unwrap();
    assert!(list.lines().count() >= 55);
}

#[test]
fn rules_page_is_up_to_date() {
    let d = scratch("page");
    let out = run(&d, &["--list-rules", "--format", "markdown"]);
    let page = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/lint/rules/README.md"),
    )
    .unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == page,
        "src/lint/rules/README.md is stale: run `layerkit lint --list-rules --format markdown > src/lint/rules/README.md`"
    );
}

#[test]
fn sarif_for_code_scanning() {
    let d = scratch("sarif");
    std::fs::write(d.join("Dockerfile"), "FROM debian\n").unwrap();
    let v = json(&run(&d, &["-f", "sarif"]));
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "layerkit");
    let r = &run0["results"][0];
    assert_eq!(r["ruleId"], "DL3006");
    assert_eq!(r["level"], "warning");
    let region = &r["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1);
    assert_eq!(region["startColumn"], 6);
}

#[test]
fn github_checkstyle_gitlab() {
    let d = scratch("formats");
    std::fs::write(d.join("Dockerfile"), "FROM debian\n").unwrap();
    let gh = String::from_utf8(run(&d, &["-f", "github"]).stdout).unwrap();
    assert_eq!(
        gh,
        "::warning file=Dockerfile,line=1,col=6,endLine=1,endColumn=12,title=DL3006::Always tag the version of an image explicitly\n"
    );
    let cs = String::from_utf8(run(&d, &["-f", "checkstyle"]).stdout).unwrap();
    assert!(
        cs.contains("<error line=\"1\" column=\"6\" severity=\"warning\""),
        "{cs}"
    );
    let gl = json(&run(&d, &["-f", "gitlab"]));
    assert_eq!(gl[0]["check_name"], "DL3006");
    assert_eq!(gl[0]["location"]["lines"]["begin"], 1);
}
