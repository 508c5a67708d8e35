//! The JSON-array ("exec") form of `RUN`, `CMD`, `ENTRYPOINT`, `COPY`, …
//!
//! BuildKit decides between exec form and shell form by trying to decode
//! the arguments as a JSON array with Go's `encoding/json`: invalid JSON
//! silently falls back to the shell form, while valid JSON holding anything
//! but strings is an error. This decoder accepts and rejects exactly what
//! Go's does for that purpose (strict RFC 8259 syntax, nesting up to 10,000
//! levels, lone surrogates decoded as U+FFFD) without recursion, so no input
//! can exhaust the stack.

/// Go's `encoding/json` refuses documents nested deeper than this.
const MAX_DEPTH: usize = 10_000;

/// What a candidate JSON array decoded to.
#[derive(Debug, PartialEq, Eq)]
pub enum JsonArray {
    /// Valid JSON, an array of strings only.
    Strings(Vec<String>),
    /// Valid JSON, an array with some element that is not a string.
    NotStrings,
    /// Not valid JSON, or not an array.
    Invalid,
}

/// Decodes `text` (leading whitespace already allowed) as BuildKit does.
pub fn parse_array(text: &str) -> JsonArray {
    let text = text.trim_start();
    if !text.starts_with('[') {
        return JsonArray::Invalid;
    }
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    match p.document() {
        Some(v) => v,
        None => JsonArray::Invalid,
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// The top-level array: each element decoded, strings kept.
    fn document(&mut self) -> Option<JsonArray> {
        self.ws();
        if self.peek()? != b'[' {
            return None;
        }
        self.i += 1;
        let mut strings = Vec::new();
        let mut all_strings = true;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if self.peek()? == b'"' {
                    strings.push(self.string()?);
                } else {
                    all_strings = false;
                    self.value()?;
                }
                self.ws();
                match self.peek()? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.ws();
        if self.i != self.s.len() {
            return None;
        }
        Some(if all_strings {
            JsonArray::Strings(strings)
        } else {
            JsonArray::NotStrings
        })
    }

    /// Validates any JSON value, iteratively.
    fn value(&mut self) -> Option<()> {
        // Each entry: true for an array, false for an object; plus whether
        // the container has had an element yet.
        let mut stack: Vec<(bool, bool)> = Vec::new();
        loop {
            self.ws();
            // A value is expected here.
            match self.peek()? {
                b'[' | b'{' => {
                    let is_array = self.peek()? == b'[';
                    self.i += 1;
                    if stack.len() + 2 > MAX_DEPTH {
                        return None;
                    }
                    stack.push((is_array, false));
                    self.ws();
                    let close = if is_array { b']' } else { b'}' };
                    if self.peek()? == close {
                        self.i += 1;
                        stack.pop();
                    } else {
                        if !is_array {
                            self.object_key()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // After a complete value: close containers or move on.
            loop {
                let Some(&(is_array, _)) = stack.last() else {
                    return Some(());
                };
                self.ws();
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        if !is_array {
                            self.ws();
                            self.object_key()?;
                        }
                        break;
                    }
                    b']' if is_array => {
                        self.i += 1;
                        stack.pop();
                    }
                    b'}' if !is_array => {
                        self.i += 1;
                        stack.pop();
                    }
                    _ => return None,
                }
            }
        }
    }

    fn object_key(&mut self) -> Option<()> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        self.string()?;
        self.ws();
        if self.peek()? != b':' {
            return None;
        }
        self.i += 1;
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.i += 1;
                }
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            self.digits()?;
        }
        Some(())
    }

    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        let h = std::str::from_utf8(h).ok()?;
        let v = u32::from_str_radix(h, 16).ok()?;
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        Some(v)
    }

    /// A string literal, decoded.
    fn string(&mut self) -> Option<String> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // The input is a &str, so every run between ASCII delimiters is
            // valid UTF-8.
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).ok()?);
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.i += 1;
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi) {
                                // A high surrogate pairs with a following
                                // \uDC00-\uDFFF; alone it is U+FFFD.
                                let save = self.i;
                                let lo = if self.s[self.i..].starts_with(b"\\u") {
                                    self.i += 2;
                                    self.hex4()
                                } else {
                                    None
                                };
                                match lo {
                                    Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                    }
                                    _ => {
                                        self.i = save;
                                        out.push('\u{FFFD}');
                                    }
                                }
                            } else {
                                out.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                            }
                        }
                        _ => return None,
                    }
                }
                _ => return None, // control character
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> JsonArray {
        JsonArray::Strings(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn decodes_string_arrays() {
        assert_eq!(parse_array(r#"["a", "b"]"#), strings(&["a", "b"]));
        assert_eq!(parse_array("  [ ]  "), strings(&[]));
        assert_eq!(parse_array(r#"["\u00e9\n\/"]"#), strings(&["é\n/"]));
        assert_eq!(
            parse_array(r#"["\ud83d\ude00", "\ud800"]"#),
            strings(&["😀", "\u{FFFD}"])
        );
    }

    #[test]
    fn other_values_are_valid_but_not_strings() {
        assert_eq!(parse_array(r#"["a", 1]"#), JsonArray::NotStrings);
        assert_eq!(parse_array(r#"[["a"]]"#), JsonArray::NotStrings);
        assert_eq!(
            parse_array(r#"[{"a": [1, {"b": null}]}, true, -1.5e3]"#),
            JsonArray::NotStrings
        );
    }

    #[test]
    fn invalid_json_falls_back() {
        for s in [
            "['a']",
            r#"["a""#,
            r#"["a",]"#,
            r#"["a"] x"#,
            "[01]",
            r#"["a\x"]"#,
            "[\"a\tb\"]",
            "abc",
            r#"{"a": 1}"#,
        ] {
            assert_eq!(parse_array(s), JsonArray::Invalid, "{s}");
        }
    }

    #[test]
    fn deep_nesting_is_handled_without_recursion() {
        let deep = "[".repeat(9_999) + &"]".repeat(9_999);
        assert_eq!(parse_array(&deep), JsonArray::NotStrings);
        let too_deep = "[".repeat(10_001) + &"]".repeat(10_001);
        assert_eq!(parse_array(&too_deep), JsonArray::Invalid);
        let unclosed = "[".repeat(100_000);
        assert_eq!(parse_array(&unclosed), JsonArray::Invalid);
    }
}
