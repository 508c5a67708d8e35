//! Source positions: every node, diagnostic and error carries one.
//!
//! Lines and columns are 1-based. Columns count Unicode scalar values (what
//! an editor shows as characters), not bytes. A [`Span`] is half-open: `end`
//! is the position just after the last character.

use serde::Serialize;

/// A position in a text: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub const fn new(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }
}

/// A range of text from `start` up to (not including) `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub const fn new(start: Pos, end: Pos) -> Span {
        Span { start, end }
    }

    /// The whole of lines `first..=last`, from column 1 to the end of `last`
    /// (given as its length in characters).
    pub const fn lines(first: u32, last: u32, last_len: u32) -> Span {
        Span {
            start: Pos::new(first, 1),
            end: Pos::new(last, last_len + 1),
        }
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.start)
    }
}
