//! Shared by the label rules (DL3048-DL3058): walking labels and checking
//! value formats.

use crate::dockerfile::InstructionKind;
use crate::lint::config::LabelType;
use crate::lint::{Context, Item, Report};

/// Every `LABEL` key/value pair (expanded), with its item.
pub fn pairs<'c>(cx: &'c Context) -> Vec<(Item<'c>, String, String)> {
    let mut out = Vec::new();
    for item in cx.items() {
        if let InstructionKind::Label(l) = item.expanded() {
            for p in &l.pairs {
                out.push((item, p.key.clone(), p.value.clone()));
            }
        }
    }
    out
}

/// Reports every schema label of type `ty` whose value fails `valid`.
pub fn check_type(
    cx: &Context,
    out: &mut Report,
    ty: LabelType,
    valid: fn(&str) -> bool,
    message: fn(&str) -> String,
) {
    for (item, key, value) in pairs(cx) {
        if cx.config.label_schema.get(&key) == Some(&ty) && !valid(&value) {
            out.add(item.find(&key), message(&key));
        }
    }
}

/// An absolute URI: `scheme:rest` with no characters a URI cannot hold.
pub fn is_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    if !sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !sc.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return false;
    }
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if i + 2 >= b.len() || !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
            continue;
        }
        let ok = c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&c);
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// An RFC 3339 date-time: `2024-05-01T12:00:00Z`, `…T12:00:00.5+02:00`.
pub fn is_rfc3339(s: &str) -> bool {
    let Some(t) = s.find(['T', 't', ' ']) else {
        return false;
    };
    let (date, time) = (&s[..t], &s[t + 1..]);
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 || !digits(d[0], 4) || !digits(d[1], 2) || !digits(d[2], 2) {
        return false;
    }
    let (month, day): (u32, u32) = (d[1].parse().unwrap_or(0), d[2].parse().unwrap_or(0));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    let (clock, zone) = if let Some(z) = time.strip_suffix(['Z', 'z']) {
        (z, None)
    } else if let Some(i) = time.rfind(['+', '-']) {
        (&time[..i], Some(&time[i + 1..]))
    } else {
        return false;
    };
    if let Some(z) = zone {
        let zp: Vec<&str> = z.split(':').collect();
        if zp.len() != 2 || !digits(zp[0], 2) || !digits(zp[1], 2) {
            return false;
        }
    }
    let (hms, frac) = match clock.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (clock, None),
    };
    if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let t: Vec<&str> = hms.split(':').collect();
    t.len() == 3 && t.iter().all(|p| digits(p, 2)) && t[0] < "24" && t[1] < "60" && t[2] <= "60"
}

/// An SPDX license expression: identifiers (`MIT`, `GPL-2.0-or-later`,
/// `LicenseRef-x`, with an optional `+`) joined by `AND`, `OR`, `WITH`,
/// in parentheses as needed.
pub fn is_spdx(s: &str) -> bool {
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let toks: Vec<&str> = spaced.split_whitespace().collect();
    let mut depth = 0i32;
    let mut expect_id = true;
    for t in &toks {
        match *t {
            "(" if expect_id => depth += 1,
            ")" if !expect_id => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            "AND" | "OR" | "WITH" if !expect_id => expect_id = true,
            id if expect_id => {
                let id = id.strip_suffix('+').unwrap_or(id);
                if id.is_empty()
                    || !id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                    || !id.starts_with(|c: char| c.is_ascii_alphanumeric())
                {
                    return false;
                }
                expect_id = false;
            }
            _ => return false,
        }
    }
    !toks.is_empty() && depth == 0 && !expect_id
}

/// A short (7) or full (40) lower-case hex git commit hash.
pub fn is_git_hash(s: &str) -> bool {
    (s.len() == 7 || s.len() == 40)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A semantic version 2.0: `1.2.3`, `1.0.0-rc.1+build.5`.
pub fn is_semver(s: &str) -> bool {
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let num = |p: &str| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0'))
    };
    let ident =
        |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let c: Vec<&str> = core.split('.').collect();
    c.len() == 3
        && c.iter().all(|p| num(p))
        && pre.is_none_or(|p| {
            p.split('.')
                .all(|x| ident(x) && (!x.bytes().all(|b| b.is_ascii_digit()) || num(x)))
        })
        && build.is_none_or(|b| b.split('.').all(ident))
}

/// An e-mail address (RFC 5322 addr-spec): a dot-atom or quoted local part,
/// `@`, a domain of dot-separated labels or a `[literal]`.
pub fn is_email(s: &str) -> bool {
    let Some(at) = s.rfind('@') else { return false };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let local_ok = if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
        local[1..local.len() - 1]
            .chars()
            .all(|c| c != '"' && !c.is_control())
    } else {
        !local.is_empty()
            && local
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(atext))
    };
    let domain_ok = if domain.starts_with('[') && domain.ends_with(']') {
        domain.len() > 2
    } else {
        !domain.is_empty()
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    };
    local_ok && domain_ok && local.len() <= 64 && s.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators() {
        assert!(is_url("https://example.com/a?b=c#d"));
        assert!(!is_url("example.com"));
        assert!(!is_url("https://exa mple.com"));
        assert!(is_rfc3339("2024-05-01T12:00:00Z"));
        assert!(is_rfc3339("2024-05-01T12:00:00.123+02:00"));
        assert!(!is_rfc3339("2024-05-01"));
        assert!(!is_rfc3339("2024-13-01T00:00:00Z"));
        assert!(is_spdx("MIT"));
        assert!(is_spdx(
            "(MIT OR Apache-2.0) AND GPL-2.0-or-later WITH Classpath-exception-2.0"
        ));
        assert!(!is_spdx("MIT OR"));
        assert!(!is_spdx("not a license"));
        assert!(is_git_hash("0123abc"));
        assert!(!is_git_hash("0123ABC"));
        assert!(is_semver("1.2.3-rc.1+build.5"));
        assert!(!is_semver("1.2"));
        assert!(!is_semver("01.2.3"));
        assert!(is_email("jane.doe+x@example.com"));
        assert!(!is_email("jane@"));
        assert!(!is_email("Jane <jane@example.com>"));
    }
}
