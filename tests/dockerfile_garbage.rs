//! `layerkit dockerfile parse` on garbage: binaries, broken encodings, huge
//! lines, unterminated heredocs, absurd nesting, empty files. Each run is
//! the real CLI binary. What must hold for every input:
//!
//! - no panic (nothing on stderr says "panicked");
//! - input `docker build` refuses exits 1 with `FILE:LINE:COL: error: …`
//!   naming the line at fault;
//! - input BuildKit's parser accepts (CRLF line endings, a byte-order mark,
//!   JSON nested past Go's limit, NUL bytes) exits 0.
//!
//! Which inputs BuildKit accepts was checked against its parser (PyPI
//! `dockerfile`). Big inputs are generated here, never committed.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use support::run_with_input;

const BIN: &str = env!("CARGO_BIN_EXE_layerkit");

struct Run {
    name: String,
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn from_output(name: String, out: Output) -> Run {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !stderr.contains("panicked"),
            "{name}: the CLI panicked:\n{stderr}"
        );
        Run {
            name,
            code: out.status.code(),
            stdout: out.stdout,
            stderr,
        }
    }

    /// Refused with an error on `line` whose message contains `what`.
    fn refused(&self, line: u32, what: &str) -> &Run {
        assert_eq!(
            self.code,
            Some(1),
            "{}: stderr:\n{}",
            self.name,
            self.stderr
        );
        let prefix = format!("{}:{line}:", self.name);
        let found = self
            .stderr
            .lines()
            .any(|l| l.starts_with(&prefix) && l.contains(": error: ") && l.contains(what));
        assert!(
            found,
            "{}: no error on line {line} mentioning {what:?}; stderr:\n{}",
            self.name, self.stderr
        );
        self
    }

    /// Accepted: exit 0 and the syntax tree on stdout.
    fn accepted(&self) -> Vec<Value> {
        assert_eq!(
            self.code,
            Some(0),
            "{}: stderr:\n{}",
            self.name,
            self.stderr
        );
        assert!(
            !self.stderr.contains(": error: "),
            "{}: {}",
            self.name,
            self.stderr
        );
        match serde_json::from_slice(&self.stdout) {
            Ok(Value::Array(nodes)) => nodes,
            other => panic!("{}: stdout is not a JSON array: {other:?}", self.name),
        }
    }
}

/// A file in a fresh directory under the system temp dir, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(bytes: &[u8]) -> TempFile {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "layerkit-garbage-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("Dockerfile");
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn parse_path(path: &Path) -> Run {
    let out = Command::new(BIN)
        .args(["dockerfile", "parse"])
        .arg(path)
        .output()
        .expect("running layerkit");
    Run::from_output(path.display().to_string(), out)
}

fn parse(bytes: &[u8]) -> Run {
    let file = TempFile::new(bytes);
    parse_path(&file.0)
}

fn parse_stdin(bytes: &[u8]) -> Run {
    // The CLI reads all of its input before it answers.
    let out = run_with_input(Command::new(BIN).args(["dockerfile", "parse", "-"]), bytes);
    Run::from_output("<stdin>".into(), out)
}

/// Where the first byte that is not UTF-8 is: (line, column), 1-based,
/// columns in characters.
fn first_bad_byte(bytes: &[u8]) -> (u32, u32) {
    let good = match std::str::from_utf8(bytes) {
        Ok(_) => panic!("the input is valid UTF-8"),
        Err(e) => &bytes[..e.valid_up_to()],
    };
    let good = std::str::from_utf8(good).unwrap();
    let line = good.matches('\n').count() as u32 + 1;
    let col = good.rsplit('\n').next().unwrap().chars().count() as u32 + 1;
    (line, col)
}

/// Deterministic noise: xorshift64.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

#[test]
fn an_executable_is_refused_at_its_first_non_text_byte() {
    // The first MiB of the CLI's own ELF binary: NUL bytes, no line
    // structure, not UTF-8.
    let mut elf = std::fs::read(BIN).unwrap();
    assert!(elf.starts_with(b"\x7fELF"));
    elf.truncate(1 << 20);
    let (line, col) = first_bad_byte(&elf);
    parse(&elf).refused(
        line,
        &format!("not UTF-8 text: invalid byte at line {line}, column {col}"),
    );
}

#[test]
fn random_bytes_with_nuls_are_refused() {
    for seed in [1, 2, 3] {
        let bytes = noise(64 * 1024, seed);
        assert!(bytes.contains(&0));
        let (line, _) = first_bad_byte(&bytes);
        parse(&bytes).refused(line, "not UTF-8 text");
        parse_stdin(&bytes).refused(line, "not UTF-8 text");
    }
}

#[test]
fn invalid_utf8_names_line_and_column() {
    // Latin-1 "café": the é is the byte 0xE9.
    let run = parse(b"FROM alpine\nRUN echo caf\xe9 > /menu\n");
    run.refused(2, "invalid byte at line 2, column 13; save it as UTF-8");
    assert!(run.stderr.contains(":2:13: error:"), "{}", run.stderr);

    // Saved as UTF-16 ("Unicode" in Notepad): refused at the very start.
    let utf16: Vec<u8> = std::iter::once(0xFEFF)
        .chain("FROM alpine\r\n".encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    parse(&utf16).refused(1, "invalid byte at line 1, column 1");
}

#[test]
fn a_10_mb_line_is_refused_with_its_line_number() {
    let huge = "a".repeat(10 * 1024 * 1024);
    parse(format!("RUN {huge}").as_bytes()).refused(1, "line greater than max allowed size");
    parse(format!("FROM alpine\nRUN echo {huge}\nRUN x\n").as_bytes())
        .refused(2, "line greater than max allowed size of 65535");
    parse(format!("FROM alpine\nRUN <<EOF\n{huge}\nEOF\n").as_bytes())
        .refused(3, "line greater than max allowed size");
}

#[test]
fn an_unterminated_heredoc_is_refused_at_its_instruction() {
    parse(b"FROM alpine\nRUN <<EOF\necho hi\n").refused(2, "unterminated heredoc");
    parse(b"FROM alpine\nCOPY <<EOF /etc/motd").refused(2, "unterminated heredoc");
    // Ten thousand openers, no bodies.
    let many = "<<EOF ".repeat(10_000);
    parse(format!("FROM alpine\nRUN {many}\n").as_bytes()).refused(2, "unterminated heredoc");
}

#[test]
fn ten_thousand_nested_brackets_in_cmd() {
    let nested = |n: usize| format!("FROM alpine\nCMD {}{}\n", "[".repeat(n), "]".repeat(n));
    // Valid JSON, but not an array of strings: docker build refuses it.
    parse(nested(10_000).as_bytes()).refused(2, "arrays must be comprised of strings only");
    // Past Go's nesting limit of 10,000 it is not JSON at all, and BuildKit
    // takes the text as a shell-form command. So do we.
    for src in [
        nested(10_001),
        nested(30_000),
        format!("FROM alpine\nCMD {}\n", "[".repeat(10_000)),
        format!("FROM alpine\nCMD {}\n", "]".repeat(10_000)),
        format!("FROM alpine\nCMD {}\"a\"]\n", "[".repeat(10_000)),
    ] {
        let nodes = parse(src.as_bytes()).accepted();
        assert_eq!(nodes[1]["cmd"], "CMD");
        assert_eq!(nodes[1]["json"], false);
        let text = src["FROM alpine\nCMD ".len()..].trim_end();
        assert!(
            nodes[1]["value"][0] == text,
            "CMD's value is not its text ({} bytes)",
            text.len()
        );
    }
}

#[test]
fn files_without_instructions_are_refused() {
    parse(b"").refused(1, "file with no instructions");
    parse(b"\n\n\n").refused(3, "file with no instructions");
    parse(b"# syntax=docker/dockerfile:1\n# only\n# comments\n")
        .refused(3, "file with no instructions");
    parse(&b"#\n".repeat(100_000)).refused(100_000, "file with no instructions");
}

#[test]
fn crlf_line_endings_are_accepted() {
    let nodes = parse(b"FROM alpine\r\nRUN echo hi \\\r\n  there\r\nCMD [\"sh\"]\r\n").accepted();
    let values: Vec<&Value> = nodes.iter().map(|n| &n["value"]).collect();
    assert_eq!(
        values,
        [
            &serde_json::json!(["alpine"]),
            &serde_json::json!(["echo hi   there"]),
            &serde_json::json!(["sh"]),
        ]
    );
    assert_eq!(
        (&nodes[1]["startLine"], &nodes[1]["endLine"]),
        (&2.into(), &3.into())
    );
}

#[test]
fn a_byte_order_mark_is_accepted() {
    for src in [
        &b"\xef\xbb\xbfFROM alpine\nRUN x\n"[..],
        b"\xef\xbb\xbf# escape=`\r\nFROM alpine\r\nRUN a `\r\n b\r\n",
    ] {
        let nodes = parse(src).accepted();
        assert_eq!(nodes[0]["cmd"], "FROM");
        assert_eq!(nodes[0]["original"], "FROM alpine");
        assert_eq!(nodes.len(), 2);
    }
    // Only at the start of the file: elsewhere it is part of the keyword,
    // which docker build does not know.
    parse(b"FROM alpine\n\xef\xbb\xbfRUN x\n").refused(2, "unknown instruction");
}

#[test]
fn nul_bytes_in_text_are_accepted() {
    let nodes = parse(b"FROM alpine\nRUN printf '\0\0'\n").accepted();
    assert_eq!(nodes[1]["value"][0], "printf '\0\0'");
}

#[test]
fn long_continuations_are_accepted() {
    let mut src = String::from("FROM alpine\nRUN true");
    for _ in 0..100_000 {
        src.push_str(" \\\n  && true");
    }
    src.push('\n');
    let nodes = parse(src.as_bytes()).accepted();
    assert_eq!(nodes[1]["endLine"], 100_002);

    // Empty continuation lines only warn.
    let src = format!("FROM alpine\nRUN a \\{}\n  b\n", "\n".repeat(100_000));
    let run = parse(src.as_bytes());
    run.accepted();
    assert!(run.stderr.contains("warning: Empty continuation line"));
}

#[test]
fn unreadable_inputs_fail_cleanly() {
    let dir = TempFile::new(b"");
    let run = parse_path(dir.0.parent().unwrap());
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("layerkit: error: reading"),
        "{}",
        run.stderr
    );

    let missing = dir.0.with_file_name("missing");
    let run = parse_path(&missing);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("No such file"), "{}", run.stderr);
}
