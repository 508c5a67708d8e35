//! From text to syntax tree: lines, parser directives, continuations,
//! comments and heredocs — BuildKit's `parser.Parse`, rule for rule.
//!
//! ```text
//! # syntax=docker/dockerfile:1      ┐ parser directives: only before the
//! # escape=`                        ┘ first comment, blank line or instruction
//! FROM alpine AS build              one line, one instruction
//! RUN apk add \                     a line ending in the escape character
//!     # comments and blank lines      continues; comment lines inside are
//!     curl                            dropped, blank ones warned about
//! COPY <<EOF /etc/motd              heredoc: the following lines up to the
//! hello                             delimiter are the instruction's body
//! EOF
//! ```
//!
//! Where BuildKit stops at the first error, this parser records it as a
//! diagnostic and goes on with the next instruction, so an editor still gets
//! a tree for a broken file.

use super::line_parsers::{node_from_line, Parts};
use super::shell::{Lex, NoEnv};
use super::syntax::{go_to_lower, Directive, Heredoc, LineIndex, Node, SourceMap};
use super::{Diagnostic, Dockerfile, Severity};
use crate::span::{Pos, Span};

/// BuildKit reads lines with Go's `bufio.Scanner`, which refuses a line
/// longer than this many bytes (counting a `\r` before the `\n`, and a
/// byte-order mark) and stops reading there.
pub const MAX_LINE: usize = 65_535;

/// One physical line: text without its line ending, and the line ending.
#[derive(Clone, Copy)]
struct Line<'a> {
    number: u32,
    /// The whole line including its line ending.
    raw: &'a str,
    /// Without trailing `\r` and `\n` characters.
    text: &'a str,
}

/// The lines of a text, from its [`LineIndex`] (so the text is searched
/// for line ends once).
struct Lines<'a> {
    src: &'a str,
    starts: &'a [usize],
    /// Index in `starts` of the next line.
    next: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        let start = *self.starts.get(self.next)?;
        if start >= self.src.len() {
            return None;
        }
        let end = self
            .starts
            .get(self.next + 1)
            .copied()
            .unwrap_or(self.src.len());
        self.next += 1;
        let raw = &self.src[start..end];
        Some(Line {
            number: self.next as u32,
            raw,
            text: trim_line_end(raw),
        })
    }
}

/// `raw` without its trailing `\r` and `\n` characters (Go's
/// `bytes.TrimRight(line, "\r\n")`).
fn trim_line_end(raw: &str) -> &str {
    let b = raw.as_bytes();
    let mut end = b.len();
    while end > 0 && matches!(b[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    // Both are ASCII, so `end` is a character boundary.
    &raw[..end]
}

impl Line<'_> {
    /// The error for a line too long for BuildKit's line reader.
    fn too_long(&self) -> Option<Diagnostic> {
        let len = self.raw.strip_suffix('\n').unwrap_or(self.raw).len();
        (len > MAX_LINE).then(|| {
            Diagnostic::error(
                Span::new(Pos::new(self.number, 1), Pos::new(self.number, 1)),
                format!(
                    "dockerfile line greater than max allowed size of {MAX_LINE}: line {} has {len} bytes",
                    self.number
                ),
            )
        })
    }
}

fn is_comment(line: &str) -> bool {
    trim_start_space(line).starts_with('#')
}

/// `s` without leading white space (Go's `unicode.IsSpace`, the same set
/// as [`char::is_whitespace`]), quick for the usual ASCII indentation.
fn trim_start_space(s: &str) -> &str {
    let ascii = s
        .bytes()
        .take_while(|b| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' '))
        .count();
    let rest = &s[ascii..];
    match rest.bytes().next() {
        Some(b) if b >= 0x80 => rest.trim_start(),
        _ => rest,
    }
}

/// The parser-directive reader: active until the first line that is not a
/// directive.
struct Directives {
    done: bool,
    escape: char,
    found: Vec<Directive>,
}

/// Go's regexp `\s`: `[\t\n\f\r ]`.
fn go_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ')
}

/// `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` on the text after `#`.
fn match_directive(s: &str) -> Option<(&str, &str)> {
    let key_len = s
        .char_indices()
        .take_while(|&(i, c)| {
            if i == 0 {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_alphanumeric()
            }
        })
        .count();
    if key_len == 0 {
        return None;
    }
    let (key, rest) = s.split_at(key_len);
    let rest = rest.trim_start_matches(go_space).strip_prefix('=')?;
    if rest.is_empty() {
        return None;
    }
    let value = rest.trim_start_matches(go_space);
    if value.is_empty() {
        // Only blanks: the lazy group takes the last one.
        return Some((key, &rest[rest.len() - 1..]));
    }
    Some((key, value.trim_end_matches(go_space)))
}

impl Directives {
    /// Looks at a line (leading blanks already trimmed when it is the first
    /// line of an instruction). Returns whether it was a directive.
    fn read(&mut self, line: &str, number: u32, diags: &mut Vec<Diagnostic>) -> bool {
        if self.done {
            return false;
        }
        let Some(after) = line.strip_prefix('#') else {
            self.done = true;
            return false;
        };
        let Some((key, value)) = match_directive(after.trim_start()) else {
            self.done = true;
            return false;
        };
        let name = key.to_ascii_lowercase();
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return false;
        }
        let span = Span::new(
            Pos::new(number, 1),
            Pos::new(number, line.chars().count() as u32 + 1),
        );
        if self.found.iter().any(|d| d.name == name) {
            diags.push(Diagnostic::error(
                span,
                format!("only one {name} parser directive can be used"),
            ));
            return false;
        }
        if name == "escape" {
            match value {
                "\\" => self.escape = '\\',
                "`" => self.escape = '`',
                _ => {
                    diags.push(Diagnostic::error(
                        span,
                        format!("invalid escape token '{value}' does not match ` or \\"),
                    ));
                    return false;
                }
            }
        }
        self.found.push(Directive {
            name,
            value: value.to_string(),
            span,
        });
        true
    }
}

/// Removes a trailing escape character (and blanks after it) that continues
/// the line. Returns the text and whether the line ends the instruction.
///
/// An escape character preceded by another one does not continue the line
/// (`C:\\`), unless it stands alone.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    let Some(before) = t.strip_suffix(escape) else {
        return (line, true);
    };
    match before.chars().next_back() {
        None => ("", false),
        Some(c) if c == escape => (line, true),
        Some(_) => (before, false),
    }
}

/// Parses a Dockerfile.
pub(crate) fn parse(src: &str) -> Dockerfile {
    let mut diags = Vec::new();
    let mut directives = Directives {
        done: false,
        escape: '\\',
        found: Vec::new(),
    };
    let mut nodes = Vec::new();
    let index = LineIndex::new(src);
    let mut lines = Lines {
        src,
        starts: index.starts(),
        next: 0,
    };

    // Set at a line too long for BuildKit, which stops reading there.
    let mut stop = false;
    while let Some(first) = lines.next() {
        if stop {
            break;
        }
        let mut text = first.text;
        if first.number == 1 {
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        if let Some(d) = first.too_long() {
            diags.push(d);
            break;
        }
        let stripped = trim_start_space(text);
        let lead = text.len() - stripped.len() + (first.text.len() - text.len());
        directives.read(stripped, first.number, &mut diags);
        let content = if is_comment(stripped) { "" } else { stripped };
        let escape = directives.escape;
        let (piece, mut end_of_line) = trim_continuation(content, escape);
        if end_of_line && piece.is_empty() {
            continue;
        }

        let start_line = first.number;
        let mut last_line = first.number;
        let mut joined = String::from(piece);
        let mut map = SourceMap {
            pieces: vec![(0, first.number, lead)],
        };
        let mut empty_continuation = false;
        while !end_of_line {
            let Some(next) = lines.next() else { break };
            last_line = next.number;
            if let Some(d) = next.too_long() {
                diags.push(d);
                stop = true;
                break;
            }
            if is_comment(next.text) {
                continue;
            }
            if trim_start_space(next.text).is_empty() {
                empty_continuation = true;
                continue;
            }
            let (piece, eol) = trim_continuation(next.text, escape);
            end_of_line = eol;
            map.pieces.push((joined.len(), next.number, 0));
            joined.push_str(piece);
        }

        let line_len = |n: u32| index.line(src, n).chars().count() as u32;
        let start = index.pos(src, start_line, lead);
        let mut span = Span::new(start, Pos::new(last_line, line_len(last_line) + 1));
        if empty_continuation {
            diags.push(Diagnostic {
                severity: Severity::Warning,
                code: "NoEmptyContinuation",
                message: format!("Empty continuation line found in: {joined}"),
                span,
            });
        }

        let parts = match node_from_line(&joined, escape) {
            Ok(p) => p,
            Err(message) => {
                diags.push(Diagnostic::error(span, message));
                continue;
            }
        };
        let mut node = build_node(parts, joined, map, span, start_line, last_line, &index, src);

        let trigger = node.sub.as_deref().unwrap_or(&node);
        let heredoc_capable = trigger.is_one_of(&["add", "copy", "run"]) && !trigger.json;
        if heredoc_capable && has_double_lt(&node.original) {
            match heredocs_in_line(&node.original) {
                Ok(found) => {
                    for mut h in found {
                        let body_start = last_line + 1;
                        let mut terminated = false;
                        let mut read_any = false;
                        let mut content = String::new();
                        for l in lines.by_ref() {
                            last_line = l.number;
                            read_any = true;
                            if let Some(d) = l.too_long() {
                                diags.push(d);
                                stop = true;
                                break;
                            }
                            let candidate = if h.chomp {
                                l.text.trim_start_matches('\t')
                            } else {
                                l.text
                            };
                            if candidate == h.name {
                                terminated = true;
                                break;
                            }
                            content.push_str(l.raw);
                        }
                        h.content = content;
                        let end = Pos::new(last_line, line_len(last_line) + 1);
                        // At the end of the file there is no body line: the
                        // span is empty, after the instruction.
                        let start = if read_any {
                            Pos::new(body_start, 1)
                        } else {
                            end
                        };
                        h.span = Span::new(start, end);
                        node.heredocs.push(h);
                        if !terminated && !stop {
                            diags.push(Diagnostic::error(
                                Span::new(span.start, Pos::new(last_line, line_len(last_line) + 1)),
                                format!(
                                    "unterminated heredoc: no line {:?} after line {start_line}; end the heredoc with a line holding only its delimiter",
                                    node.heredocs.last().map(|h| h.name.as_str()).unwrap_or("")
                                ),
                            ));
                        }
                        if !terminated {
                            break;
                        }
                    }
                    span.end = Pos::new(last_line, line_len(last_line) + 1);
                    node.span = span;
                    node.end_line = last_line;
                    // ONBUILD's trigger owns the bodies too.
                    if let Some(sub) = node.sub.as_deref_mut() {
                        sub.span.end = span.end;
                        sub.end_line = last_line;
                    }
                }
                Err(message) => {
                    diags.push(Diagnostic::error(span, message));
                    continue;
                }
            }
        }
        nodes.push(node);
    }

    if nodes.is_empty() && !diags.iter().any(|d| d.severity == Severity::Error) {
        // BuildKit names the last line it read (a final newline starts no
        // line).
        let last = (src.split_inclusive('\n').count() as u32).max(1);
        diags.push(Diagnostic::error(
            Span::new(Pos::new(last, 1), Pos::new(last, 1)),
            "file with no instructions".to_string(),
        ));
    }

    Dockerfile {
        source: src.to_string(),
        escape: directives.escape,
        directives: directives.found,
        nodes,
        diagnostics: diags,
        index,
    }
}

#[allow(clippy::too_many_arguments)]
fn build_node(
    parts: Parts,
    original: String,
    map: SourceMap,
    span: Span,
    start_line: u32,
    end_line: u32,
    index: &LineIndex,
    src: &str,
) -> Node {
    let sub = parts.sub.map(|(sub, offset, text)| {
        let sub_map = map.shifted(offset);
        let start = sub_map
            .locate(0)
            .map(|(l, c)| index.pos(src, l, c))
            .unwrap_or(span.start);
        Box::new(build_node(
            *sub,
            text,
            sub_map,
            Span::new(start, span.end),
            start_line,
            end_line,
            index,
            src,
        ))
    });
    Node {
        keyword: parts.keyword,
        flags: parts.flags,
        value: parts.value,
        json: parts.json,
        original,
        heredocs: Vec::new(),
        sub,
        span,
        start_line,
        end_line,
        map,
    }
}

/// Whether `s` holds `<<`. Cheaper than `str::contains`, which sets up a
/// two-way searcher for every line: most lines have no `<` at all, and
/// finding one byte is a fast scan.
fn has_double_lt(s: &str) -> bool {
    let b = s.as_bytes();
    b.contains(&b'<') && b.windows(2).any(|w| w == b"<<")
}

/// The heredocs an instruction line opens, in order.
fn heredocs_in_line(line: &str) -> Result<Vec<Heredoc>, String> {
    let lex = Lex {
        raw_quotes: true,
        raw_escapes: true,
        skip_unset_env: true,
        ..Lex::new('\\')
    };
    // A line the shell lexer cannot read opens no heredoc.
    let Ok(words) = lex.process_words(line, &NoEnv) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for word in words {
        if let Some(h) = parse_heredoc(&word)? {
            out.push(h);
        }
    }
    Ok(out)
}

/// A heredoc opener: `[n]<<[-][blanks]WORD`. The delimiter may be quoted in
/// whole or part, which turns variable expansion in the body off.
pub fn parse_heredoc(src: &str) -> Result<Option<Heredoc>, String> {
    let digits = src.bytes().take_while(u8::is_ascii_digit).count();
    let Some(rest) = src[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = rest.trim_start_matches(go_space);
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    let fd = if digits == 0 {
        0
    } else {
        src[..digits].parse::<u64>().unwrap_or(u64::MAX)
    };
    let lex = Lex {
        skip_unset_env: true,
        ..Lex::new('\\')
    };
    let words = lex.process_words(rest, &NoEnv).map_err(|e| e.to_string())?;
    let [word] = words.as_slice() else {
        return Ok(None);
    };
    let raw_lex = Lex {
        raw_quotes: true,
        ..lex
    };
    let raw = raw_lex
        .process_words(rest, &NoEnv)
        .map_err(|e| e.to_string())?;
    if raw.len() != words.len() {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    }
    let quotes = |s: &str| s.chars().filter(|c| matches!(c, '\'' | '"')).count();
    Ok(Some(Heredoc {
        name: word.clone(),
        content: String::new(),
        file_descriptor: fd,
        expand: quotes(word) == quotes(&raw[0]),
        chomp,
        span: Span::default(),
    }))
}

/// The lower-case keyword of an instruction line, for callers that only
/// need to classify lines.
pub fn keyword_of(line: &str) -> String {
    let t = line.trim();
    go_to_lower(
        t.split(|c: char| c.is_ascii_whitespace())
            .next()
            .unwrap_or(""),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limits as BuildKit's line reader has them (each case checked
    /// against BuildKit's parser): bytes before the `\n`, a `\r` and a BOM
    /// included, heredoc bodies too.
    #[test]
    fn line_length_limit_counts_bytes_as_buildkit_does() {
        let x = |n: usize| "x".repeat(n);
        let first_error_line = |src: &str| parse(src).first_error().map(|d| d.span.start.line);
        let cases: &[(String, Option<u32>)] = &[
            (format!("FROM a\nRUN {}\n", x(MAX_LINE - 4)), None),
            (format!("FROM a\nRUN {}\n", x(MAX_LINE - 3)), Some(2)),
            (format!("FROM a\r\nRUN {}\r\n", x(MAX_LINE - 5)), None),
            (format!("FROM a\r\nRUN {}\r\n", x(MAX_LINE - 4)), Some(2)),
            (format!("FROM a\nRUN {}", x(MAX_LINE - 4)), None),
            (format!("FROM a\nRUN {}", x(MAX_LINE - 3)), Some(2)),
            (format!("\u{feff}FROM {}\n", x(MAX_LINE - 8)), None),
            (format!("\u{feff}FROM {}\n", x(MAX_LINE - 7)), Some(1)),
            (format!("FROM a\nRUN <<EOF\n{}\nEOF\n", x(MAX_LINE)), None),
            (
                format!("FROM a\nRUN <<EOF\n{}\nEOF\n", x(MAX_LINE + 1)),
                Some(3),
            ),
            (
                format!("FROM a\nRUN a \\\n{}\nRUN b\n", x(MAX_LINE + 1)),
                Some(3),
            ),
        ];
        for (src, want) in cases {
            assert_eq!(first_error_line(src), *want, "{:?}…", &src[..12]);
        }
        // Reading stops at the long line: nothing after it is parsed, and
        // an open heredoc is not reported as unterminated.
        let df = parse(&format!(
            "FROM a\nRUN <<EOF\n{}\nEOF\nRUN b\n",
            x(MAX_LINE + 1)
        ));
        assert_eq!(df.nodes.len(), 2);
        assert_eq!(df.diagnostics.len(), 1, "{:?}", df.diagnostics);
        assert!(df.diagnostics[0]
            .message
            .contains("greater than max allowed size"));
    }

    #[test]
    fn directive_values() {
        assert_eq!(match_directive("escape=`"), Some(("escape", "`")));
        assert_eq!(match_directive("escape = ` "), Some(("escape", "`")));
        assert_eq!(match_directive("syntax=  "), Some(("syntax", " ")));
        assert_eq!(match_directive("syntax="), None);
        assert_eq!(match_directive("1x=a"), None);
        assert_eq!(
            match_directive("check=skip=A;error=true"),
            Some(("check", "skip=A;error=true"))
        );
    }

    #[test]
    fn continuation_rules() {
        assert_eq!(trim_continuation("a \\", '\\'), ("a ", false));
        assert_eq!(trim_continuation("a\\  \t", '\\'), ("a", false));
        assert_eq!(trim_continuation("\\", '\\'), ("", false));
        assert_eq!(trim_continuation("a\\\\", '\\'), ("a\\\\", true));
        assert_eq!(trim_continuation("a`", '`'), ("a", false));
        assert_eq!(trim_continuation("a\\", '`'), ("a\\", true));
    }

    #[test]
    fn leading_space_is_unicode_white_space() {
        for s in [
            "",
            "a",
            "  \t\u{b}\u{c}\r x ",
            "\u{a0}\u{3000} x",
            " \u{85}\u{2028}é",
            "é ",
        ] {
            assert_eq!(trim_start_space(s), s.trim_start(), "{s:?}");
        }
    }

    #[test]
    fn heredoc_openers() {
        let h = parse_heredoc("<<EOF").unwrap().unwrap();
        assert_eq!(
            (h.name.as_str(), h.expand, h.chomp, h.file_descriptor),
            ("EOF", true, false, 0)
        );
        let h = parse_heredoc("3<<-'E O F'").unwrap().unwrap();
        assert_eq!(
            (h.name.as_str(), h.expand, h.chomp, h.file_descriptor),
            ("E O F", false, true, 3)
        );
        let h = parse_heredoc("<<\"EOF\"").unwrap().unwrap();
        assert!(!h.expand);
        assert!(parse_heredoc("<<").unwrap().is_none());
        assert!(parse_heredoc("a<<EOF").unwrap().is_none());
        assert!(parse_heredoc("<<EOF<").unwrap().is_none());
    }
}
