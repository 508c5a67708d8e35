//! Shell-style word processing, as the Dockerfile frontend does it: quotes,
//! escapes and `$VAR` / `${VAR…}` substitution, then splitting into words.
//!
//! This is not a shell. It is the small language BuildKit's `shell.Lex`
//! implements for expanding instruction arguments (`COPY $SRC /dst`,
//! `ENV PATH=$PATH:/x`, `FROM ${BASE:-alpine}`), and that the parser uses to
//! find heredoc words. Supported forms:
//!
//! | form            | value                                              |
//! |-----------------|----------------------------------------------------|
//! | `$v`, `${v}`    | the value, or empty when unset                     |
//! | `${v:-w}`       | `w` when `v` is unset or empty, else the value     |
//! | `${v-w}`        | `w` when `v` is unset, else the value              |
//! | `${v:+w}`       | `w` when `v` is set and not empty, else empty      |
//! | `${v+w}`        | `w` when `v` is set, else empty                    |
//! | `${v:?m}`, `${v?m}` | the value, or an error with message `m`        |
//! | `${v#p}`, `${v##p}` | the value without its shortest/longest prefix matching `p` |
//! | `${v%p}`, `${v%%p}` | likewise for a suffix                           |
//! | `${v/p/r}`, `${v//p/r}` | first/all matches of `p` replaced by `r`    |
//!
//! Patterns are shell globs with `*` and `?` (no bracket expressions).

use std::collections::BTreeSet;

/// Where variable values come from.
pub trait Env {
    fn get(&self, name: &str) -> Option<&str>;
}

/// An environment with no variables.
pub struct NoEnv;

impl Env for NoEnv {
    fn get(&self, _: &str) -> Option<&str> {
        None
    }
}

impl Env for [(String, String)] {
    /// The last binding of `name` wins, as with repeated `ENV` lines.
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Env for Vec<(String, String)> {
    fn get(&self, name: &str) -> Option<&str> {
        Env::get(self.as_slice(), name)
    }
}

impl Env for std::collections::BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        std::collections::BTreeMap::get(self, name).map(String::as_str)
    }
}

impl Env for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        std::collections::HashMap::get(self, name).map(String::as_str)
    }
}

/// Why a word could not be processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to process {word:?}: {message}")]
pub struct ShellError {
    /// The word as given.
    pub word: String,
    /// What went wrong, in BuildKit's words.
    pub message: String,
}

/// The outcome of processing one word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processed {
    /// The word with quotes removed and variables substituted.
    pub result: String,
    /// The same, split into words after substitution.
    pub words: Vec<String>,
    /// Names of variables that were looked up and found.
    pub matched: BTreeSet<String>,
    /// Names of variables that were looked up and not found.
    pub unmatched: BTreeSet<String>,
}

/// Settings for processing words.
#[derive(Debug, Clone, Copy)]
pub struct Lex {
    /// The escape character: `\` unless the `escape` directive says `` ` ``.
    pub escape: char,
    /// Keep quote characters in the result.
    pub raw_quotes: bool,
    /// Keep escape characters in the result.
    pub raw_escapes: bool,
    /// Treat quotes as ordinary characters.
    pub skip_process_quotes: bool,
    /// Leave references to unset variables as they are written.
    pub skip_unset_env: bool,
}

impl Lex {
    pub const fn new(escape: char) -> Lex {
        Lex {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_process_quotes: false,
            skip_unset_env: false,
        }
    }

    /// Processes `word`: quotes, escapes and substitutions.
    pub fn process(&self, word: &str, env: &dyn Env) -> Result<Processed, ShellError> {
        let chars: Vec<char> = word.chars().collect();
        let mut w = Word {
            lex: self,
            chars: &chars,
            pos: 0,
            env,
            raw_escapes: self.raw_escapes,
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
            depth: 0,
        };
        match w.process_until(None, self.raw_escapes) {
            Ok((result, words)) => Ok(Processed {
                result,
                words,
                matched: w.matched,
                unmatched: w.unmatched,
            }),
            Err(message) => Err(ShellError {
                word: word.to_string(),
                message,
            }),
        }
    }

    /// The processed word as one string.
    pub fn process_word(&self, word: &str, env: &dyn Env) -> Result<String, ShellError> {
        self.process(word, env).map(|p| p.result)
    }

    /// The processed word split into words.
    pub fn process_words(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, ShellError> {
        self.process(word, env).map(|p| p.words)
    }
}

/// Nesting of `${a:-${b:-…}}` deeper than this is refused rather than
/// recursed into.
const MAX_DEPTH: usize = 200;

struct Word<'a> {
    lex: &'a Lex,
    chars: &'a [char],
    pos: usize,
    env: &'a dyn Env,
    raw_escapes: bool,
    matched: BTreeSet<String>,
    unmatched: BTreeSet<String>,
    depth: usize,
}

/// Collects words while characters are appended: unquoted whitespace from
/// plain text or substitutions separates words; quoted text never does.
#[derive(Default)]
struct Words {
    buf: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.buf.is_empty() {
                self.words.push(std::mem::take(&mut self.buf));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }

    fn add_raw_char(&mut self, ch: char) {
        self.buf.push(ch);
        self.in_word = true;
    }

    fn add_string(&mut self, s: &str) {
        s.chars().for_each(|c| self.add_char(c));
    }

    fn add_raw_string(&mut self, s: &str) {
        self.buf.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.buf.is_empty() {
            self.words.push(std::mem::take(&mut self.buf));
        }
        self.words
    }
}

type Step<T> = Result<T, String>;

impl Word<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Processes up to `stop` (consumed) or the end of input when `stop` is
    /// `None`.
    fn process_until(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Step<(String, Vec<String>)> {
        let saved = std::mem::replace(&mut self.raw_escapes, raw_escapes);
        let out = self.process_until_inner(stop);
        self.raw_escapes = saved;
        out
    }

    fn process_until_inner(&mut self, stop: Option<char>) -> Step<(String, Vec<String>)> {
        let mut result = String::new();
        let mut words = Words::default();
        let quotes = !self.lex.skip_process_quotes;
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                self.pos += 1;
                return Ok((result, words.finish()));
            }
            match ch {
                '$' => {
                    let value = self.dollar()?;
                    result.push_str(&value);
                    words.add_string(&value);
                }
                '<' => {
                    let value = self.possible_heredoc();
                    result.push_str(&value);
                    words.add_raw_string(&value);
                }
                '\'' if quotes => {
                    let value = self.single_quoted()?;
                    result.push_str(&value);
                    words.add_raw_string(&value);
                }
                '"' if quotes => {
                    let value = self.double_quoted()?;
                    result.push_str(&value);
                    words.add_raw_string(&value);
                }
                _ => {
                    self.pos += 1;
                    if ch == self.lex.escape {
                        if self.raw_escapes {
                            words.add_raw_char(ch);
                            result.push(ch);
                        }
                        // The escape character escapes anything but the end.
                        let Some(escaped) = self.next() else { break };
                        words.add_raw_char(escaped);
                        result.push(escaped);
                    } else {
                        words.add_char(ch);
                        result.push(ch);
                    }
                }
            }
        }
        if let Some(stop) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {stop}"
            ));
        }
        Ok((result, words.finish()))
    }

    /// `'…'`: everything literal up to the next single quote.
    fn single_quoted(&mut self) -> Step<String> {
        let mut out = String::new();
        let open = self.next();
        if self.lex.raw_quotes {
            out.extend(open);
        }
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .into(),
                    )
                }
                Some('\'') => {
                    if self.lex.raw_quotes {
                        out.push('\'');
                    }
                    return Ok(out);
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// `"…"`: literal except `$` substitutions and escapes of `"`, `$` and
    /// the escape character itself.
    fn double_quoted(&mut self) -> Step<String> {
        let mut out = String::new();
        let open = self.next();
        if self.lex.raw_quotes {
            out.extend(open);
        }
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .into(),
                    )
                }
                Some('"') => {
                    self.pos += 1;
                    if self.lex.raw_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                Some('$') => {
                    let value = self.dollar()?;
                    out.push_str(&value);
                }
                Some(mut ch) => {
                    self.pos += 1;
                    if ch == self.lex.escape {
                        if self.raw_escapes {
                            out.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.lex.escape => {
                                self.pos += 1;
                                ch = n;
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(ch);
                }
            }
        }
    }

    /// `<<` plus any blanks after it stay together in one word, so that
    /// `<< EOF` is seen as one heredoc word.
    fn possible_heredoc(&mut self) -> String {
        self.pos += 1;
        if self.peek() != Some('<') {
            return "<".into();
        }
        self.pos += 1;
        let mut out = String::from("<<");
        while let Some(c @ ('\t' | '\r' | ' ')) = self.peek() {
            out.push(c);
            self.pos += 1;
        }
        out
    }

    fn lookup(&mut self, name: &str) -> Option<String> {
        match self.env.get(name) {
            Some(v) => {
                self.matched.insert(name.to_string());
                Some(v.to_string())
            }
            None => {
                self.unmatched.insert(name.to_string());
                None
            }
        }
    }

    /// `$name`, `${name}` and `${name<modifier>word}`.
    fn dollar(&mut self) -> Step<String> {
        self.pos += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match self.lookup(&name) {
                Some(v) => v,
                None if self.lex.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }
        self.pos += 1;
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".into()),
            _ => {}
        }
        if self.depth >= MAX_DEPTH {
            return Err(format!("substitutions nested deeper than {MAX_DEPTH}"));
        }
        self.depth += 1;
        let out = self.braced();
        self.depth -= 1;
        out
    }

    fn braced(&mut self) -> Step<String> {
        let name = self.name();
        let first = self.next();
        let mut modifier = String::new();
        // Go renders the end of input as U+FFFD in its messages.
        modifier.push(first.unwrap_or('\u{FFFD}'));
        match first {
            Some('}') => Ok(match self.lookup(&name) {
                Some(v) => v,
                None if self.lex.skip_unset_env => format!("${{{name}}}"),
                None => String::new(),
            }),
            Some(':' | '+' | '-' | '?' | '#' | '%') => {
                let colon = first == Some(':');
                let op = if colon {
                    let c = self.next();
                    modifier.push(c.unwrap_or('\u{FFFD}'));
                    c
                } else {
                    first
                };
                let pattern_like = matches!(op, Some('#' | '%'));
                if colon && pattern_like {
                    return Err(format!("unsupported modifier ({modifier}) in substitution"));
                }
                let word = match self.process_until(Some('}'), pattern_like) {
                    Ok((w, _)) => w,
                    Err(_) if self.peek().is_none() => {
                        return Err("syntax error: missing '}'".into())
                    }
                    Err(e) => return Err(e),
                };
                let value = self.lookup(&name);
                if self.lex.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}{modifier}{word}}}"));
                }
                let empty = value.as_deref().is_none_or(str::is_empty);
                let unset = value.is_none() || (colon && empty);
                match op {
                    Some('-') => Ok(if unset {
                        word
                    } else {
                        value.unwrap_or_default()
                    }),
                    Some('+') => Ok(if unset { String::new() } else { word }),
                    Some('?') => match value {
                        None => Err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be unset"
                            } else {
                                &word
                            }
                        )),
                        Some(v) if colon && v.is_empty() => Err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be empty"
                            } else {
                                &word
                            }
                        )),
                        Some(v) => Ok(v),
                    },
                    Some(c @ ('%' | '#')) => {
                        let value = value.unwrap_or_default();
                        let (greedy, pattern) = match word.strip_prefix(c) {
                            Some(rest) => (true, rest),
                            None => (false, word.as_str()),
                        };
                        let pattern = Glob::parse(pattern).map_err(|e| {
                            format!("invalid pattern ({pattern}) in substitution: {e}")
                        })?;
                        Ok(if c == '#' {
                            pattern.trim_prefix(&value, greedy)
                        } else {
                            pattern.trim_suffix(&value, greedy)
                        })
                    }
                    _ => Err(format!("unsupported modifier ({modifier}) in substitution")),
                }
            }
            Some('/') => {
                let all = self.peek() == Some('/');
                if all {
                    self.pos += 1;
                }
                let pattern = match self.process_until(Some('/'), true) {
                    Ok((p, _)) => p,
                    Err(_) if self.peek().is_none() => {
                        return Err("syntax error: missing '/' in ${}".into())
                    }
                    Err(e) => return Err(e),
                };
                let replacement = match self.process_until(Some('}'), true) {
                    Ok((r, _)) => r,
                    Err(_) if self.peek().is_none() => {
                        return Err("syntax error: missing '}'".into())
                    }
                    Err(e) => return Err(e),
                };
                let value = self.lookup(&name);
                let Some(value) = value else {
                    if self.lex.skip_unset_env {
                        return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
                    }
                    return Ok(String::new());
                };
                let glob = Glob::parse(&pattern)
                    .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
                Ok(glob.replace(&value, &replacement, all))
            }
            _ => Err(format!("unsupported modifier ({modifier}) in substitution")),
        }
    }

    /// A variable name: letters, digits and `_`; or a run of digits; or one
    /// special parameter character.
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_numeric() {
                while let Some(d) = self.peek().filter(|c| c.is_numeric()) {
                    name.push(d);
                    self.pos += 1;
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.pos += 1;
                return ch.to_string();
            }
            if !(ch.is_alphabetic() || ch.is_numeric() || ch == '_') {
                break;
            }
            name.push(ch);
            self.pos += 1;
        }
        name
    }
}

/// A shell pattern: literal characters, `*` (any run) and `?` (any one).
#[derive(Debug, Clone, PartialEq, Eq)]
enum GlobToken {
    Char(char),
    Any,
    Star,
}

#[derive(Debug, Clone)]
struct Glob(Vec<GlobToken>);

impl Glob {
    /// Parses a pattern. `\*`, `\?` and `\\` are literal; `\}` and `\/`
    /// (escaped so they could appear inside `${…}`) are the bare character.
    fn parse(pattern: &str) -> Result<Glob, String> {
        let mut out = Vec::new();
        let mut it = pattern.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '*' => out.push(GlobToken::Star),
                '?' => out.push(GlobToken::Any),
                '\\' => match it.peek() {
                    Some('}' | '/') => {}
                    Some(&n @ ('*' | '?' | '\\')) => {
                        it.next();
                        out.push(GlobToken::Char(n));
                    }
                    Some(&n) => return Err(format!("invalid escape '\\{n}'")),
                    None => return Err("trailing backslash at end of expression".into()),
                },
                c => out.push(GlobToken::Char(c)),
            }
        }
        Ok(Glob(out))
    }

    /// Whether the whole of `text` matches.
    fn matches(&self, text: &[char]) -> bool {
        // Iterative glob match with single-star backtracking.
        let p = &self.0;
        let (mut pi, mut ti) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while ti < text.len() {
            match p.get(pi) {
                Some(GlobToken::Star) => {
                    star = Some((pi, ti));
                    pi += 1;
                }
                Some(GlobToken::Any) => {
                    pi += 1;
                    ti += 1;
                }
                Some(GlobToken::Char(c)) if *c == text[ti] => {
                    pi += 1;
                    ti += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        pi = sp + 1;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|t| *t == GlobToken::Star)
    }

    fn trim_prefix(&self, value: &str, longest: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        let mut lengths: Box<dyn Iterator<Item = usize>> = if longest {
            Box::new((0..=chars.len()).rev())
        } else {
            Box::new(0..=chars.len())
        };
        match lengths.find(|&n| self.matches(&chars[..n])) {
            Some(n) => chars[n..].iter().collect(),
            None => value.to_string(),
        }
    }

    fn trim_suffix(&self, value: &str, longest: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        let len = chars.len();
        let mut lengths: Box<dyn Iterator<Item = usize>> = if longest {
            Box::new((0..=len).rev())
        } else {
            Box::new(0..=len)
        };
        match lengths.find(|&n| self.matches(&chars[len - n..])) {
            Some(n) => chars[..len - n].iter().collect(),
            None => value.to_string(),
        }
    }

    /// Replaces the leftmost-longest match (or every match).
    fn replace(&self, value: &str, replacement: &str, all: bool) -> String {
        let chars: Vec<char> = value.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        let mut replaced = false;
        while i <= chars.len() {
            if replaced && !all {
                out.extend(&chars[i..]);
                return out;
            }
            let found = (i..=chars.len())
                .rev()
                .find(|&end| self.matches(&chars[i..end]));
            match found {
                Some(end) => {
                    out.push_str(replacement);
                    replaced = true;
                    if end == i {
                        if let Some(&c) = chars.get(i) {
                            out.push(c);
                        }
                        i += 1;
                    } else {
                        i = end;
                    }
                }
                None => {
                    if let Some(&c) = chars.get(i) {
                        out.push(c);
                    }
                    i += 1;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Vec<(String, String)> {
        [
            ("PWD", "/home"),
            ("SHELL", "bash"),
            ("EMPTY", ""),
            ("X", "a b"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn word(s: &str) -> String {
        Lex::new('\\').process_word(s, &env()).unwrap()
    }

    fn words(s: &str) -> Vec<String> {
        Lex::new('\\').process_words(s, &env()).unwrap()
    }

    #[test]
    fn substitutes_plain_and_braced() {
        assert_eq!(word("$PWD/x"), "/home/x");
        assert_eq!(word("${PWD}x"), "/homex");
        assert_eq!(word("$NOPE."), ".");
        assert_eq!(word("a$"), "a$");
        assert_eq!(word("$1x"), "x");
    }

    #[test]
    fn modifiers_follow_posix() {
        assert_eq!(word("${NOPE:-d}"), "d");
        assert_eq!(word("${EMPTY:-d}"), "d");
        assert_eq!(word("${EMPTY-d}"), "");
        assert_eq!(word("${NOPE-d}"), "d");
        assert_eq!(word("${PWD:+a}"), "a");
        assert_eq!(word("${EMPTY:+a}"), "");
        assert_eq!(word("${EMPTY+a}"), "a");
        assert_eq!(word("${NOPE+a}"), "");
        assert_eq!(word("${NOPE:-${SHELL}}"), "bash");
    }

    #[test]
    fn required_variables_fail_with_message() {
        let err = Lex::new('\\')
            .process_word("${NOPE:?must be set}", &env())
            .unwrap_err();
        assert!(err.message.contains("NOPE: must be set"), "{err}");
        let err = Lex::new('\\')
            .process_word("${EMPTY:?}", &env())
            .unwrap_err();
        assert!(err.message.contains("is not allowed to be empty"), "{err}");
    }

    #[test]
    fn patterns_trim_and_replace() {
        let e: Vec<(String, String)> = vec![("F".into(), "a.tar.gz".into())];
        let lex = Lex::new('\\');
        assert_eq!(lex.process_word("${F%.*}", &e).unwrap(), "a.tar");
        assert_eq!(lex.process_word("${F%%.*}", &e).unwrap(), "a");
        assert_eq!(lex.process_word("${F#*.}", &e).unwrap(), "tar.gz");
        assert_eq!(lex.process_word("${F##*.}", &e).unwrap(), "gz");
        assert_eq!(lex.process_word("${F/./-}", &e).unwrap(), "a-tar.gz");
        assert_eq!(lex.process_word("${F//./-}", &e).unwrap(), "a-tar-gz");
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(word(r#""$PWD" '$PWD' \$PWD"#), "/home $PWD $PWD");
        assert_eq!(word(r#""a\"b""#), "a\"b");
        assert_eq!(word(r#""a\nb""#), "a\\nb");
        assert_eq!(words(r#"a "b c" $X"#), vec!["a", "b c", "a", "b"]);
        assert_eq!(words(r#""$X""#), vec!["a b"]);
    }

    #[test]
    fn errors_name_the_problem() {
        for (w, msg) in [
            ("${", "missing '}'"),
            ("${}", "bad substitution"),
            ("${:a}", "bad substitution"),
            ("'abc", "matching single-quote"),
            ("\"abc", "matching double-quote"),
            ("${a:#b}", "unsupported modifier (:#)"),
            ("${a!b}", "unsupported modifier (!)"),
            ("${a", "unsupported modifier"),
        ] {
            let err = Lex::new('\\').process_word(w, &env()).unwrap_err();
            assert!(err.message.contains(msg), "{w}: {err}");
        }
    }

    #[test]
    fn skip_unset_keeps_references() {
        let mut lex = Lex::new('\\');
        lex.skip_unset_env = true;
        assert_eq!(
            lex.process_word("$A ${B} ${C:-x}", &NoEnv).unwrap(),
            "$A ${B} ${C:-x}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "${a:-".repeat(10_000) + &"}".repeat(10_000);
        assert!(Lex::new('\\').process_word(&deep, &NoEnv).is_err());
    }

    #[test]
    fn records_matches() {
        let p = Lex::new('\\').process("$PWD $NOPE", &env()).unwrap();
        assert!(p.matched.contains("PWD"));
        assert!(p.unmatched.contains("NOPE"));
    }
}
