//! Dockerfiles: parsed exactly as BuildKit (the builder behind `docker
//! build`) parses them, with positions, typed instructions, stages and
//! variable expansion.
//!
//! The stages, each its own module:
//!
//! ```text
//! &str ──parser──▶ Dockerfile (syntax tree: Node per instruction, spans, diagnostics)
//!        └─ line_parsers, json, shell (heredoc words)
//!      ──instructions──▶ Instructions (one typed struct per instruction, stages)
//!      ──expand──▶ Expanded (ARG/ENV scoping, build args, $VAR substitution)
//! ```
//!
//! Reference: <https://docs.docker.com/reference/dockerfile/>; behaviour to
//! match: BuildKit's `frontend/dockerfile/parser` and `instructions`.
//!
//! ```
//! let df = layerkit::dockerfile::parse("FROM alpine AS base\nRUN echo hi\n");
//! assert!(df.is_ok());
//! assert_eq!(df.nodes[1].value, ["echo hi"]);
//! ```

mod expand;
mod instructions;
mod json;
mod line_parsers;
mod parser;
pub mod shell;
mod syntax;

use serde::Serialize;

pub use expand::{expand, BuildArgs, Expanded, ExpandedStage};
pub(crate) use instructions::suggest;
pub use instructions::{
    Add, Arg, ArgPair, Cmd, Copy, Entrypoint, Env, Expose, Flag, From, Healthcheck,
    HealthcheckKind, Instruction, InstructionKind, Instructions, KeyValue, Label, Maintainer,
    Onbuild, Run, RunMount, Shell, SourceFile, Stage, StopSignal, User, Volume, Workdir,
};
pub use parser::{keyword_of, parse_heredoc, MAX_LINE};
pub use syntax::{Directive, Heredoc, LineIndex, Node, NodeJson};

use crate::span::{Pos, Span};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// `docker build` would refuse the file.
    Error,
    /// `docker build` accepts it but warns.
    Warning,
}

/// A problem found while parsing, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// `syntax` for parse errors, `instruction` for errors in an
    /// instruction's arguments, otherwise the BuildKit check name
    /// (`NoEmptyContinuation`).
    pub code: &'static str,
    pub message: String,
    pub span: Span,
}

impl Diagnostic {
    pub(crate) fn error(span: Span, message: String) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code: "syntax",
            message,
            span,
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.span.start.line, self.message)
    }
}

/// A parsed Dockerfile: the syntax tree and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// The text parsed.
    pub source: String,
    /// The escape character (`\`, or `` ` `` by directive).
    pub escape: char,
    /// Parser directives from the header.
    pub directives: Vec<Directive>,
    /// One node per instruction, in order.
    pub nodes: Vec<Node>,
    /// Parse errors and warnings, in order of position.
    pub diagnostics: Vec<Diagnostic>,
    index: LineIndex,
}

/// A parse that failed: the first error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("Dockerfile line {}: {message}", span.start.line)]
    Syntax { message: String, span: Span },
    #[error(
        "Dockerfile is not UTF-8 text: invalid byte at line {line}, column {col}; save it as UTF-8"
    )]
    NotUtf8 { line: u32, col: u32 },
}

/// Parses Dockerfile text. Never fails: problems are in
/// [`Dockerfile::diagnostics`].
pub fn parse(source: &str) -> Dockerfile {
    parser::parse(source)
}

/// Parses Dockerfile bytes. Text that is not UTF-8 is parsed with the bad
/// bytes replaced by U+FFFD, and an error diagnostic says where the first
/// one was.
pub fn parse_bytes(source: &[u8]) -> Dockerfile {
    match std::str::from_utf8(source) {
        Ok(s) => parse(s),
        Err(e) => {
            let good = &source[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let col = String::from_utf8_lossy(&good[line_start..]).chars().count() as u32 + 1;
            let text = String::from_utf8_lossy(source);
            let mut df = parse(&text);
            let err = ParseError::NotUtf8 { line, col };
            df.diagnostics.insert(
                0,
                Diagnostic::error(
                    Span::new(Pos::new(line, col), Pos::new(line, col + 1)),
                    err.to_string(),
                ),
            );
            df
        }
    }
}

impl Dockerfile {
    /// Whether parsing found no error (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.first_error().is_none()
    }

    /// The first error, as `docker build` would report it.
    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
    }

    /// `Ok(self)` when there is no error, else the first error.
    pub fn into_result(self) -> Result<Dockerfile, ParseError> {
        match self.first_error() {
            Some(d) => Err(ParseError::Syntax {
                message: d.message.clone(),
                span: d.span,
            }),
            None => Ok(self),
        }
    }

    /// The tree in BuildKit's dump format, one s-expression per line, as in
    /// its parser's `testfiles/*/result`.
    pub fn dump(&self) -> String {
        let mut s = String::new();
        for n in &self.nodes {
            s.push('(');
            s.push_str(&n.dump());
            s.push_str(")\n");
        }
        s
    }

    /// One JSON object per instruction, the fields of BuildKit's node.
    pub fn to_json(&self) -> Vec<NodeJson> {
        self.nodes.iter().map(Node::to_json).collect()
    }

    /// Line `n` (1-based) of the source, without its line ending.
    pub fn line(&self, n: u32) -> &str {
        self.index.line(&self.source, n)
    }

    /// The line index of the source.
    pub fn line_index(&self) -> &LineIndex {
        &self.index
    }

    /// The source position of byte `offset` in `node.original`.
    pub fn pos_in(&self, node: &Node, offset: usize) -> Pos {
        match node.locate(offset) {
            Some((line, col)) => self.index.pos(&self.source, line, col),
            None => node.span.start,
        }
    }

    /// The source span of `len` bytes at `offset` in `node.original`.
    pub fn span_in(&self, node: &Node, offset: usize, len: usize) -> Span {
        let start = self.pos_in(node, offset);
        let end = if len == 0 {
            start
        } else {
            let last = self.pos_in(node, offset + len - 1);
            Pos::new(last.line, last.col + 1)
        };
        Span::new(start, end)
    }

    /// Typed instructions and stages.
    pub fn instructions(&self) -> Instructions {
        instructions::from_dockerfile(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_into_continued_lines() {
        let src = "FROM a\nRUN echo \\\n  hello \\\n  world\n";
        let df = parse(src);
        let run = &df.nodes[1];
        assert_eq!(run.original, "RUN echo   hello   world");
        let at = run.original.find("world").unwrap();
        assert_eq!(df.pos_in(run, at), Pos::new(4, 3));
        assert_eq!(run.span, Span::new(Pos::new(2, 1), Pos::new(4, 8)));
    }

    #[test]
    fn broken_instruction_leaves_the_rest() {
        let df = parse("FROM a\nENV x\nRUN b\nCMD [1]\nUSER c\n");
        let kw: Vec<_> = df.nodes.iter().map(|n| n.cmd()).collect();
        assert_eq!(kw, ["FROM", "RUN", "USER"]);
        let lines: Vec<_> = df.diagnostics.iter().map(|d| d.span.start.line).collect();
        assert_eq!(lines, [2, 4]);
    }

    #[test]
    fn invalid_utf8_is_reported_with_position() {
        let df = parse_bytes(b"FROM a\nRUN \xff\n");
        let e = df.first_error().unwrap();
        assert_eq!(e.span.start, Pos::new(2, 5));
        assert!(e.message.contains("UTF-8"));
        assert_eq!(df.nodes.len(), 2);
    }

    #[test]
    fn empty_and_comment_only_files_fail() {
        // The error is on the last line read, as BuildKit reports it.
        for (src, line) in [
            ("", 1),
            ("\n\n", 2),
            ("# just a comment\n", 1),
            ("# escape=`\n", 1),
            ("# a\n\n# b", 3),
            ("# a\r\n# b\r\n", 2),
        ] {
            let df = parse(src);
            let e = df.first_error().expect(src);
            assert_eq!(e.message, "file with no instructions", "{src:?}");
            assert_eq!(e.span.start.line, line, "{src:?}");
        }
        // A lone continuation is an instruction with an empty keyword to
        // BuildKit's parser (its instruction checker then refuses it).
        let df = parse("\\\n");
        assert!(df.is_ok());
        assert!(!df.instructions().diagnostics.is_empty());
    }

    #[test]
    fn heredocs_are_read() {
        let src =
            "FROM a\nRUN <<EOF cat >/x\nhello\nEOF\nCOPY <<-A <<B /d/\n\tone\n\tA\ntwo\nB\nRUN x\n";
        let df = parse(src);
        assert!(df.is_ok(), "{:?}", df.diagnostics);
        assert_eq!(df.nodes.len(), 4);
        assert_eq!(df.nodes[1].heredocs[0].content, "hello\n");
        assert_eq!((df.nodes[1].start_line, df.nodes[1].end_line), (2, 4));
        let copy = &df.nodes[2];
        assert_eq!(copy.heredocs.len(), 2);
        assert_eq!(copy.heredocs[0].content, "\tone\n");
        assert_eq!(copy.heredocs[0].body(), "one\n");
        assert_eq!(copy.heredocs[1].content, "two\n");
        assert_eq!(df.nodes[3].start_line, 10);
    }

    #[test]
    fn unterminated_heredoc_keeps_the_node() {
        let df = parse("FROM a\nRUN <<EOF\nhello\n");
        assert_eq!(df.nodes.len(), 2);
        let e = df.first_error().unwrap();
        assert!(e.message.contains("unterminated heredoc"), "{e}");
        assert_eq!(e.span.start.line, 2);
    }

    #[test]
    fn onbuild_trigger_spans_its_heredoc() {
        let df = parse("FROM a\nONBUILD  COPY <<EOF /x\nbody\nEOF\n");
        let node = &df.nodes[1];
        let sub = node.sub.as_deref().unwrap();
        assert_eq!((node.start_line, node.end_line), (2, 4));
        assert_eq!((sub.start_line, sub.end_line), (2, 4));
        assert_eq!(sub.span, Span::new(Pos::new(2, 10), Pos::new(4, 4)));
    }

    #[test]
    fn heredoc_opened_on_the_last_line_has_an_empty_span() {
        for src in ["FROM a\nRUN <<EOF", "FROM a\nRUN <<EOF\n"] {
            let df = parse(src);
            let h = &df.nodes[1].heredocs[0];
            assert_eq!(
                h.span,
                Span::new(Pos::new(2, 10), Pos::new(2, 10)),
                "{src:?}"
            );
            assert!(df.first_error().unwrap().message.contains("unterminated"));
        }
    }
}
