//! The syntax tree: one [`Node`] per instruction, exactly as BuildKit's
//! parser builds it, plus positions.
//!
//! A node keeps what BuildKit's `parser.Node` keeps — the keyword as
//! written, the `--flags`, the argument list (`value`), whether the
//! arguments were a JSON array, the instruction text with continuations
//! joined (`original`), its heredocs, and its first and last line — and adds
//! a [`Span`] for the whole instruction and a map from offsets in `original`
//! back to source positions.

use serde::Serialize;

use crate::span::{Pos, Span};

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The keyword as written (`from`, `RUN`, `Copy`, …).
    pub keyword: String,
    /// `--name=value` flags before the arguments, quotes removed.
    pub flags: Vec<String>,
    /// The arguments as BuildKit's parser splits them; for `ENV` and `LABEL`
    /// triples of key, value and separator (`"="` or `""` for the legacy
    /// `ENV key value` form). Empty for `ONBUILD`, whose trigger is `sub`.
    pub value: Vec<String>,
    /// The arguments were a JSON array (exec form).
    pub json: bool,
    /// The instruction's text: the lines joined with continuations and
    /// comments removed, first line's leading blanks trimmed.
    pub original: String,
    /// Heredoc bodies this instruction reads (`RUN <<EOF`), in order.
    pub heredocs: Vec<Heredoc>,
    /// `ONBUILD`'s trigger instruction.
    pub sub: Option<Box<Node>>,
    /// From the keyword to the end of the last line (heredoc bodies included).
    pub span: Span,
    pub start_line: u32,
    pub end_line: u32,
    /// Where the pieces of `original` come from in the source.
    pub(crate) map: SourceMap,
}

/// A heredoc body attached to an instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Heredoc {
    /// The delimiter word, quotes removed.
    pub name: String,
    /// The body, every line with its line ending, the delimiter line excluded.
    pub content: String,
    /// `3<<EOF` gives 3; `<<EOF` 0.
    pub file_descriptor: u64,
    /// Variables in the body are expanded (the delimiter was not quoted).
    #[serde(skip)]
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from the body lines.
    #[serde(skip)]
    pub chomp: bool,
    /// The body lines and the delimiter line.
    #[serde(skip)]
    pub span: Span,
}

impl Heredoc {
    /// The body as the builder uses it: leading tabs removed for `<<-`.
    pub fn body(&self) -> String {
        if !self.chomp {
            return self.content.clone();
        }
        self.content
            .split_inclusive('\n')
            .map(|l| l.trim_start_matches('\t'))
            .collect()
    }
}

/// A parser directive from the file's header (`# escape=``…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directive {
    /// Lower-case name: `syntax`, `escape` or `check`.
    pub name: String,
    pub value: String,
    pub span: Span,
}

/// Maps byte offsets in a node's `original` to source positions: `original`
/// is made of pieces of source lines (one per physical line that was
/// joined), each piece a contiguous run of its line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SourceMap {
    /// (offset in `original` where the piece starts, line, byte offset in that
    /// line where the piece starts)
    pub(crate) pieces: Vec<(usize, u32, usize)>,
}

impl SourceMap {
    /// A map for a node whose text starts `shift` bytes into this one's.
    pub(crate) fn shifted(&self, shift: usize) -> SourceMap {
        let mut pieces = Vec::with_capacity(self.pieces.len());
        for (i, &(off, line, col)) in self.pieces.iter().enumerate() {
            let next = self.pieces.get(i + 1).map(|p| p.0).unwrap_or(usize::MAX);
            if next <= shift {
                continue;
            }
            if off >= shift {
                pieces.push((off - shift, line, col));
            } else {
                pieces.push((0, line, col + (shift - off)));
            }
        }
        SourceMap { pieces }
    }

    /// The source line and byte column of `offset` in `original`.
    pub(crate) fn locate(&self, offset: usize) -> Option<(u32, usize)> {
        let i = self.pieces.partition_point(|p| p.0 <= offset);
        let &(start, line, col) = self.pieces.get(i.checked_sub(1)?)?;
        Some((line, col + (offset - start)))
    }
}

/// Offsets of line starts in a text, for turning byte offsets into
/// [`Pos`]itions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        // Eight bytes at a time: lines are short, and `match_indices` or
        // `memchr` spend more setting up each search than searching.
        const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
        const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
        const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(bytes.len() / 32 + 2);
        starts.push(0);
        let chunks = bytes.chunks_exact(8);
        let tail = chunks.remainder();
        for (n, chunk) in chunks.enumerate() {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_ne_bytes(word) ^ NEWLINES;
            // Non-zero when some byte of x is zero, i.e. a '\n'.
            if x.wrapping_sub(ONES) & !x & HIGHS != 0 {
                for (i, &b) in chunk.iter().enumerate() {
                    if b == b'\n' {
                        starts.push(n * 8 + i + 1);
                    }
                }
            }
        }
        let base = bytes.len() - tail.len();
        for (i, &b) in tail.iter().enumerate() {
            if b == b'\n' {
                starts.push(base + i + 1);
            }
        }
        LineIndex { starts }
    }

    /// Byte offsets of the line starts: 0, then one after each `\n`.
    pub(crate) fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// The text of line `line` (1-based) without its line ending.
    pub fn line<'t>(&self, text: &'t str, line: u32) -> &'t str {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.starts.get(i) else {
            return "";
        };
        let end = self.starts.get(i + 1).copied().unwrap_or(text.len());
        text.get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> u32 {
        self.starts.len() as u32
    }

    /// Byte offset in `text` of the start of `line` (1-based).
    pub fn line_start(&self, line: u32) -> Option<usize> {
        self.starts.get((line as usize).checked_sub(1)?).copied()
    }

    /// The position of the byte at `col` (0-based byte column) in `line`.
    pub fn pos(&self, text: &str, line: u32, byte_col: usize) -> Pos {
        let l = self.line(text, line);
        let mut col = byte_col.min(l.len());
        while !l.is_char_boundary(col) {
            col -= 1;
        }
        Pos::new(line, l[..col].chars().count() as u32 + 1)
    }

    /// The byte offset in `text` of `pos`.
    pub fn offset(&self, text: &str, pos: Pos) -> usize {
        let Some(start) = self.line_start(pos.line) else {
            return text.len();
        };
        let l = self.line(text, pos.line);
        let within: usize = l
            .chars()
            .take(pos.col.saturating_sub(1) as usize)
            .map(char::len_utf8)
            .sum();
        let extra = (pos.col.saturating_sub(1) as usize).saturating_sub(l.chars().count());
        start + within + extra
    }
}

impl Node {
    /// The keyword in upper case (`FROM`, `RUN`, …).
    pub fn cmd(&self) -> String {
        go_to_upper(&self.keyword)
    }

    /// The keyword in lower case, as BuildKit dispatches on it.
    pub fn lower(&self) -> String {
        go_to_lower(&self.keyword)
    }

    /// Whether this node is one of the instructions `names` (lower case),
    /// compared as BuildKit dispatches.
    pub(crate) fn is_one_of(&self, names: &[&str]) -> bool {
        with_lower(&self.keyword, |k| names.contains(&k))
    }

    /// Whether this node is the instruction `name` (any case).
    pub fn is(&self, name: &str) -> bool {
        self.keyword.eq_ignore_ascii_case(name)
    }

    /// BuildKit's argument chain: for `ONBUILD`, the trigger's.
    pub fn args(&self) -> &[String] {
        match &self.sub {
            Some(sub) => &sub.value,
            None => &self.value,
        }
    }

    /// The source line and byte column of byte `offset` in `original`.
    pub fn locate(&self, offset: usize) -> Option<(u32, usize)> {
        self.map.locate(offset)
    }

    /// The node in BuildKit's s-expression dump format (as in its parser's
    /// `testfiles/*/result`), without the enclosing parentheses.
    pub fn dump(&self) -> String {
        let mut s = go_to_lower(&self.keyword);
        if !self.flags.is_empty() {
            s.push_str(" [");
            for (i, f) in self.flags.iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                s.push_str(&go_quote(f));
            }
            s.push(']');
        }
        match &self.sub {
            Some(sub) => {
                s.push_str(" (");
                s.push_str(&sub.dump());
                s.push(')');
            }
            None => {
                for v in &self.value {
                    s.push(' ');
                    s.push_str(&go_quote(v));
                }
            }
        }
        s.trim().to_string()
    }

    /// The node in the shape of BuildKit's `Command` as its Python binding
    /// (`dockerfile.parse_string`) returns it, keyword in upper case.
    pub fn to_json(&self) -> NodeJson {
        let inner = self.sub.as_deref().unwrap_or(self);
        let mut original = self.original.clone();
        if !self.heredocs.is_empty() {
            for h in &self.heredocs {
                original.push('\n');
                original.push_str(&h.content);
                original.push_str(&h.name);
            }
            original.push('\n');
        }
        NodeJson {
            cmd: self.cmd(),
            sub_cmd: self.sub.as_ref().map(|s| s.cmd()),
            json: inner.json,
            original,
            start_line: self.start_line,
            end_line: self.end_line,
            flags: self.flags.clone(),
            value: inner.value.clone(),
            heredocs: self.heredocs.clone(),
            span: None,
        }
    }
}

/// A node as JSON: the fields of BuildKit's parser node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeJson {
    /// The keyword, upper case.
    pub cmd: String,
    /// `ONBUILD`'s trigger keyword, upper case.
    pub sub_cmd: Option<String>,
    pub json: bool,
    /// The instruction text; for instructions with heredocs, followed by each
    /// body and its delimiter, as BuildKit's Python binding gives it.
    pub original: String,
    pub start_line: u32,
    pub end_line: u32,
    pub flags: Vec<String>,
    pub value: Vec<String>,
    pub heredocs: Vec<Heredoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

/// Lower case as Go's `strings.ToLower` does it: one character for one
/// (simple case mapping).
pub(crate) fn go_to_lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars()
        .map(|c| match c {
            '\u{130}' => 'i',
            c => {
                let mut l = c.to_lowercase();
                match (l.next(), l.next()) {
                    (Some(x), None) => x,
                    _ => c,
                }
            }
        })
        .collect()
}

/// Calls `f` with `keyword` lower-cased as [`go_to_lower`] does it, without
/// allocating for the usual short ASCII keyword.
pub(crate) fn with_lower<R>(keyword: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 16];
    if keyword.len() <= buf.len() && keyword.is_ascii() {
        let lower = &mut buf[..keyword.len()];
        lower.copy_from_slice(keyword.as_bytes());
        lower.make_ascii_lowercase();
        if let Ok(s) = std::str::from_utf8(lower) {
            return f(s);
        }
    }
    f(&go_to_lower(keyword))
}

/// Upper case as Go's `strings.ToUpper` does it.
pub(crate) fn go_to_upper(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_uppercase();
    }
    s.chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

/// A string quoted as Go's `strconv.Quote` does it.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if go_is_print(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint`, closely: not a control, format, private-use or
/// space character other than U+0020.
fn go_is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    let format = matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F);
    let private = matches!(u, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD);
    let nonchar = (u & 0xFFFE) == 0xFFFE || (0xFDD0..=0xFDEF).contains(&u);
    !(format || private || nonchar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("\u{0}\u{1b}é☃"), r#""\x00\x1bé☃""#);
        assert_eq!(go_quote("\u{a0}\u{feff}"), r#""\u00a0\ufeff""#);
        assert_eq!(go_quote("\u{7}\u{8}\u{b}"), r#""\a\b\v""#);
    }

    #[test]
    fn case_maps_one_to_one() {
        assert_eq!(go_to_lower("ONBUİLD"), "onbuild");
        assert_eq!(go_to_upper("ß"), "ß");
        assert_eq!(go_to_upper("from"), "FROM");
    }

    #[test]
    fn line_index_finds_every_line_start() {
        for text in [
            "",
            "\n",
            "a",
            "abcdefg\nh",
            "\n\n\n\n\n\n\n\n\n",
            "0123456\n89\nbcdef\n\r\né\n",
        ] {
            let want: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect();
            assert_eq!(LineIndex::new(text).starts, want, "{text:?}");
        }
    }

    #[test]
    fn line_index_maps_both_ways() {
        let text = "ab\néx\r\nlast";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line(text, 2), "éx");
        assert_eq!(idx.pos(text, 2, 2), Pos::new(2, 2));
        assert_eq!(idx.offset(text, Pos::new(2, 2)), 5);
        assert_eq!(idx.line(text, 3), "last");
        assert_eq!(idx.line(text, 9), "");
    }

    #[test]
    fn source_map_shifts_and_locates() {
        let map = SourceMap {
            pieces: vec![(0, 1, 0), (10, 2, 0), (20, 4, 2)],
        };
        assert_eq!(map.locate(12), Some((2, 2)));
        let sub = map.shifted(8);
        assert_eq!(sub.locate(0), Some((1, 8)));
        assert_eq!(sub.locate(2), Some((2, 0)));
        assert_eq!(sub.locate(13), Some((4, 3)));
    }
}
