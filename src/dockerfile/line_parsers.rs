//! Splitting one logical line into keyword, flags and arguments, with the
//! argument rules of each instruction — BuildKit's `split_command.go` and
//! `line_parsers.go`, behaviour for behaviour.
//!
//! | instructions                         | arguments become                         |
//! |--------------------------------------|------------------------------------------|
//! | RUN, CMD, ENTRYPOINT, SHELL          | a JSON array, else the whole text        |
//! | ADD, COPY, VOLUME                    | a JSON array, else blank-separated words |
//! | FROM, EXPOSE                         | blank-separated words                    |
//! | ENV, LABEL                           | key, value, separator triples            |
//! | ARG                                  | quote-aware words                        |
//! | MAINTAINER, USER, WORKDIR, STOPSIGNAL| the whole text                           |
//! | HEALTHCHECK                          | the type word, then like CMD             |
//! | ONBUILD                              | a nested instruction                     |
//! | anything else                        | one empty argument (the line is kept)    |

use std::borrow::Cow;

use super::json::{parse_array, JsonArray};
use super::syntax::{go_quote, with_lower};

/// An instruction's parts before positions are attached.
#[derive(Debug, Default)]
pub(crate) struct Parts {
    pub keyword: String,
    pub flags: Vec<String>,
    pub value: Vec<String>,
    pub json: bool,
    /// `ONBUILD`'s trigger and the byte offset of its text in this line.
    pub sub: Option<(Box<Parts>, usize, String)>,
}

/// BuildKit's `[\t\v\f\r ]` (its `reWhitespace` class).
fn is_blank(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// Splits at the first run of blanks: `[before, after]`, or `[s]`.
fn split_blank_2(s: &str) -> (&str, Option<&str>) {
    match s.find(is_blank) {
        Some(i) => {
            let rest = &s[i..];
            let rest = rest.trim_start_matches(is_blank);
            (&s[..i], Some(rest))
        }
        None => (s, None),
    }
}

/// Splits at every run of blanks, keeping empty leading/trailing pieces as
/// Go's `regexp.Split` does.
fn split_blank_all(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        match rest.find(is_blank) {
            Some(i) => {
                out.push(rest[..i].to_string());
                rest = rest[i..].trim_start_matches(is_blank);
            }
            None => {
                out.push(rest.to_string());
                return out;
            }
        }
    }
}

/// Parses one logical line into its parts.
pub(crate) fn node_from_line(line: &str, escape: char) -> Result<Parts, String> {
    let trimmed = line.trim();
    let (keyword, args) = split_blank_2(trimmed);
    let (flags, args_offset, args) = match args {
        Some(a) => {
            let base = a.as_ptr() as usize - line.as_ptr() as usize;
            let (rest_at, rest, flags) = extract_builder_flags(a, escape);
            let lead = rest.len() - rest.trim_start().len();
            (
                flags,
                base + rest_at + lead,
                Cow::Owned(rest.trim().to_string()),
            )
        }
        None => (Vec::new(), line.len(), Cow::Borrowed("")),
    };
    let mut parts = Parts {
        keyword: keyword.to_string(),
        flags,
        ..Parts::default()
    };
    let args = args.as_ref();
    with_lower(keyword, |lower| {
        parse_args(lower, args, args_offset, escape, &mut parts)
    })?;
    Ok(parts)
}

/// Fills in `parts` from the arguments of the instruction `lower`.
fn parse_args(
    lower: &str,
    args: &str,
    args_offset: usize,
    escape: char,
    parts: &mut Parts,
) -> Result<(), String> {
    match lower {
        "add" | "copy" | "volume" => maybe_json_to_list(args, parts)?,
        "run" | "cmd" | "entrypoint" | "shell" => maybe_json(args, parts)?,
        "arg" => {
            parts.value = parse_words(args, escape)
                .into_iter()
                .map(String::from)
                .collect()
        }
        "env" => parts.value = parse_name_val(args, "ENV", escape)?,
        "label" => parts.value = parse_name_val(args, "LABEL", escape)?,
        "expose" | "from" => parts.value = whitespace_delimited(args),
        "maintainer" | "stopsignal" | "user" | "workdir" => {
            if !args.is_empty() {
                parts.value = vec![args.to_string()];
            }
        }
        "healthcheck" => health_config(args, parts)?,
        "onbuild" => {
            if !args.is_empty() {
                let sub = node_from_line(args, escape)?;
                parts.sub = Some((Box::new(sub), args_offset, args.to_string()));
            }
        }
        _ => parts.value = vec![String::new()],
    }
    Ok(())
}

/// Where a word splitter is: between words, in a word, or in quotes.
#[derive(PartialEq)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

/// Takes the leading `--flag` words off `line`. Returns the byte offset and
/// text of what follows, and the flags with quotes and escapes removed.
///
/// Like BuildKit this walks bytes, not characters: a byte 0x85 or 0xA0
/// (which Go's `unicode.IsSpace` calls blank) ends a flag even inside a
/// UTF-8 sequence, and non-ASCII bytes in flags come out as Latin-1
/// characters. Real Dockerfiles have ASCII flags, and matching BuildKit
/// matters more here than being right.
fn extract_builder_flags(line: &str, escape: char) -> (usize, Cow<'_, str>, Vec<String>) {
    let b = line.as_bytes();
    let is_space = |c: u8| matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xA0);
    let esc = escape as u32;
    let rest = |pos: usize| -> (usize, Cow<'_, str>) {
        match line.get(pos..) {
            Some(s) => (pos, Cow::Borrowed(s)),
            None => (pos, String::from_utf8_lossy(&b[pos..])),
        }
    };
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0;
    while pos <= b.len() {
        let ch = b.get(pos).copied().unwrap_or(0);
        if phase == Phase::Spaces {
            if pos == b.len() {
                break;
            }
            if is_space(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || b.get(pos + 1) != Some(&b'-') {
                let (at, r) = rest(pos);
                return (at, r, words);
            }
            phase = Phase::Word;
        }
        if pos == b.len() {
            if word != "--" && (blank_ok || !word.is_empty()) {
                words.push(word);
            }
            break;
        }
        if phase == Phase::Word {
            if is_space(ch) {
                phase = Phase::Spaces;
                if word == "--" {
                    let (at, r) = rest(pos);
                    return (at, r, words);
                }
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            pos = push_unescaped(&mut word, b, pos, esc);
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        pos = push_unescaped(&mut word, b, pos, esc);
    }
    (b.len(), Cow::Borrowed(""), words)
}

/// Adds byte `pos` of `b` (inside it) to `word`, or the byte after it when
/// it is the escape; returns where the next byte is. An escape at the very
/// end adds nothing.
fn push_unescaped(word: &mut String, b: &[u8], pos: usize, esc: u32) -> usize {
    let at = if u32::from(b[pos]) == esc {
        pos + 1
    } else {
        pos
    };
    match b.get(at) {
        Some(&c) => {
            word.push(char::from(c));
            at + 1
        }
        None => at,
    }
}

/// Quote-aware words; quotes and escapes are kept in the words (the
/// builder processes them later).
///
/// Every word is a contiguous run of `rest` (BuildKit copies each character
/// of it, escapes included; the only one it drops is an escape at the very
/// end), so words are cut out of `rest` rather than built up.
pub(crate) fn parse_words(rest: &str, escape: char) -> Vec<&str> {
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    // The current word is rest[start..end].
    let mut start = 0;
    let mut end = 0;
    let mut it = rest.char_indices();
    while let Some((i, ch)) = it.next() {
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            phase = Phase::Word;
            start = i;
            end = i;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || end > start {
                    words.push(&rest[start..end]);
                }
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
        } else {
            // Phase::Quote
            if ch == quote {
                phase = Phase::Word;
            }
            if ch == escape && quote == '\'' {
                end = i + ch.len_utf8();
                continue;
            }
        }
        if ch == escape {
            // The escape and the character after it, whatever it is; an
            // escape at the end is dropped.
            match it.next() {
                Some((j, next)) => end = j + next.len_utf8(),
                None => phase = Phase::Word,
            }
            continue;
        }
        end = i + ch.len_utf8();
    }
    if phase != Phase::Spaces && (blank_ok || end > start) {
        words.push(&rest[start..end]);
    }
    words
}

/// `ENV`/`LABEL`: `key value` (legacy) or `key=value …`.
fn parse_name_val(rest: &str, key: &str, escape: char) -> Result<Vec<String>, String> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Ok(Vec::new());
    };
    if !first.contains('=') {
        return match split_blank_2(rest) {
            (k, Some(v)) => Ok(vec![k.to_string(), v.to_string(), String::new()]),
            _ => Err(format!("{key} must have two arguments")),
        };
    }
    let mut out = Vec::with_capacity(words.len() * 3);
    for word in words {
        let Some((k, v)) = word.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                go_quote(word)
            ));
        };
        out.extend([k.to_string(), v.to_string(), "=".to_string()]);
    }
    Ok(out)
}

fn whitespace_delimited(rest: &str) -> Vec<String> {
    if rest.is_empty() {
        return Vec::new();
    }
    split_blank_all(rest)
}

const NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

/// A JSON string array, or else the whole text as one value.
fn maybe_json(rest: &str, parts: &mut Parts) -> Result<(), String> {
    if rest.is_empty() {
        return Ok(());
    }
    json_or(rest, parts, |r| vec![r.to_string()])
}

/// A JSON string array, or else the whitespace-separated words.
fn maybe_json_to_list(rest: &str, parts: &mut Parts) -> Result<(), String> {
    json_or(rest, parts, whitespace_delimited)
}

fn json_or(
    rest: &str,
    parts: &mut Parts,
    not_json: impl FnOnce(&str) -> Vec<String>,
) -> Result<(), String> {
    match parse_array(rest) {
        JsonArray::Strings(v) => {
            parts.value = v;
            parts.json = true;
        }
        JsonArray::NotStrings => return Err(NOT_STRING_ARRAY.into()),
        JsonArray::Invalid => parts.value = not_json(rest),
    }
    Ok(())
}

/// `HEALTHCHECK [flags] TYPE args`: the type word, then like `CMD`.
fn health_config(rest: &str, parts: &mut Parts) -> Result<(), String> {
    // Byte-wise like BuildKit (see extract_builder_flags).
    let b = rest.as_bytes();
    let is_space = |c: u8| matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xA0);
    let sep = b.iter().position(|&c| is_space(c)).unwrap_or(b.len());
    if sep == 0 {
        return Ok(());
    }
    let next = b[sep..]
        .iter()
        .position(|&c| !is_space(c))
        .map_or(b.len(), |i| sep + i);
    let typ = String::from_utf8_lossy(&b[..sep]).into_owned();
    let cmd = String::from_utf8_lossy(&b[next..]);
    let mut inner = Parts::default();
    maybe_json(&cmd, &mut inner)?;
    parts.value = std::iter::once(typ).chain(inner.value).collect();
    parts.json = inner.json;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_quotes_and_escapes() {
        let cases: &[(&str, &[&str])] = &[
            ("foo", &["foo"]),
            ("foo bar", &["foo", "bar"]),
            ("foo\\ bar", &["foo\\ bar"]),
            ("foo=bar", &["foo=bar"]),
            ("foo bar 'abc xyz'", &["foo", "bar", "'abc xyz'"]),
            ("foo bar \"abc xyz\"", &["foo", "bar", "\"abc xyz\""]),
            ("àöû", &["àöû"]),
            ("föo bàr \"âbc xÿz\"", &["föo", "bàr", "\"âbc xÿz\""]),
            ("a=''", &["a=''"]),
            ("''", &["''"]),
        ];
        for (input, want) in cases {
            assert_eq!(parse_words(input, '\\'), *want, "{input}");
        }
    }

    #[test]
    fn flags_stop_at_first_plain_word_or_double_dash() {
        let (at, rest, flags) = extract_builder_flags("--a=1 --b='x y' src dst", '\\');
        assert_eq!(flags, vec!["--a=1", "--b=x y"]);
        assert_eq!(rest, "src dst");
        assert_eq!(at, 16);
        let (_, rest, flags) = extract_builder_flags("--a -- --b", '\\');
        assert_eq!(flags, vec!["--a"]);
        assert_eq!(rest, " --b");
    }

    #[test]
    fn env_forms() {
        assert_eq!(
            parse_name_val("a b c", "ENV", '\\').unwrap(),
            vec!["a", "b c", ""]
        );
        assert_eq!(
            parse_name_val("a=1 b=\"2 3\"", "ENV", '\\').unwrap(),
            vec!["a", "1", "=", "b", "\"2 3\"", "="]
        );
        assert!(parse_name_val("a", "ENV", '\\')
            .unwrap_err()
            .contains("two arguments"));
        assert!(parse_name_val("a=1 b", "ENV", '\\')
            .unwrap_err()
            .contains("can't find = in \"b\""));
    }
}
