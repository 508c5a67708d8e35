//! `.dockerignore` patterns, matched as the builder matches them (moby's
//! `patternmatcher`): one pattern a line, `#` comments, `!` re-includes,
//! paths cleaned and relative to the context root, `*` and `?` within one
//! path element, `**` across any number of them, `[a-z]` classes, `\`
//! escapes; a pattern that matches a directory matches everything below.

/// Parsed `.dockerignore` patterns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerIgnore {
    /// (pattern, is an exclusion `!pattern`), in file order.
    pub patterns: Vec<(String, bool)>,
}

impl DockerIgnore {
    /// Reads `.dockerignore` text.
    pub fn parse(text: &str) -> DockerIgnore {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.starts_with('#') {
                continue;
            }
            let p = line.trim();
            if p.is_empty() {
                continue;
            }
            let (p, excl) = match p.strip_prefix('!') {
                Some(r) => (r.trim(), true),
                None => (p, false),
            };
            let mut p = clean(p);
            if p.len() > 1 && p.starts_with('/') {
                p.remove(0);
            }
            patterns.push((p, excl));
        }
        DockerIgnore { patterns }
    }

    /// Whether any pattern re-includes (`!pattern`).
    pub fn has_exclusions(&self) -> bool {
        self.patterns.iter().any(|p| p.1)
    }

    /// Whether `path` (relative to the context) or a directory above it is
    /// ignored.
    pub fn matches(&self, path: &str) -> bool {
        let path = clean(path);
        let path = path.trim_start_matches('/');
        let parents: Vec<&str> = path.match_indices('/').map(|(i, _)| &path[..i]).collect();
        let mut matched = false;
        for (pat, excl) in &self.patterns {
            if *excl != matched {
                continue;
            }
            let hit = glob(pat.as_bytes(), path.as_bytes())
                || parents.iter().any(|p| glob(pat.as_bytes(), p.as_bytes()));
            if hit {
                matched = !excl;
            }
        }
        matched
    }
}

/// `filepath.Clean` for slash paths.
pub(crate) fn clean(p: &str) -> String {
    let abs = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !abs {
                    out.push("..");
                }
            }
            x => out.push(x),
        }
    }
    let joined = out.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Glob match of a whole path.
fn glob(p: &[u8], s: &[u8]) -> bool {
    if p.is_empty() {
        return s.is_empty();
    }
    match p[0] {
        b'*' if p.get(1) == Some(&b'*') => {
            // `**` matches any run of characters, separators included;
            // `**/` may also match nothing.
            let rest = &p[2..];
            if let Some(after) = rest.strip_prefix(b"/") {
                if glob(after, s) {
                    return true;
                }
            }
            (0..=s.len()).any(|i| glob(rest, &s[i..]))
        }
        b'*' => {
            let rest = &p[1..];
            let mut i = 0;
            loop {
                if glob(rest, &s[i..]) {
                    return true;
                }
                if i >= s.len() || s[i] == b'/' {
                    return false;
                }
                i += 1;
            }
        }
        b'?' => !s.is_empty() && s[0] != b'/' && glob(&p[1..], &s[1..]),
        b'[' => {
            let Some(close) = p[1..].iter().position(|&c| c == b']').map(|i| i + 1) else {
                return !s.is_empty() && s[0] == b'[' && glob(&p[1..], &s[1..]);
            };
            if s.is_empty() || s[0] == b'/' {
                return false;
            }
            let mut class = &p[1..close];
            let negate = matches!(class.first(), Some(b'^' | b'!'));
            if negate {
                class = &class[1..];
            }
            let c = s[0];
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negate && glob(&p[close + 1..], &s[1..])
        }
        b'\\' if p.len() > 1 => !s.is_empty() && s[0] == p[1] && glob(&p[2..], &s[1..]),
        c => !s.is_empty() && s[0] == c && glob(&p[1..], &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_the_builder() {
        let d = DockerIgnore::parse("# comment\nnode_modules\n*.log\n/build/\ndocs/**/*.md\n");
        assert!(d.matches("node_modules"));
        assert!(d.matches("node_modules/x/y.js"));
        assert!(d.matches("./debug.log"));
        assert!(!d.matches("sub/debug.log"), "* does not cross /");
        assert!(d.matches("build/out.bin"));
        assert!(d.matches("docs/a/b/c.md"));
        assert!(d.matches("docs/c.md"));
        assert!(!d.matches("src/main.rs"));
        assert!(!d.has_exclusions());
    }

    #[test]
    fn exclusions_reinclude() {
        let d = DockerIgnore::parse("*.md\n!README.md\n");
        assert!(d.matches("CHANGES.md"));
        assert!(!d.matches("README.md"));
        assert!(d.has_exclusions());
    }

    #[test]
    fn cleans_paths() {
        assert_eq!(clean("./a/../b//c/"), "b/c");
        assert_eq!(clean("/"), "/");
        assert_eq!(clean("."), ".");
    }
}
