//! InvalidDefaultArgInFrom: the default global ARGs give a valid base.

use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "InvalidDefaultArgInFrom",
    name: "invalid-default-arg-in-from",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Default value for global ARG results in an empty or invalid base image name",
    description: "With no `--build-arg`, `FROM` must still name an image: give the `ARG`s \
it uses defaults that make a valid reference, so a plain `docker build` works.",
    bad: "ARG TAG\nFROM alpine:$TAG\n",
    good: "ARG TAG=3.20\nFROM alpine:$TAG\n",
    fixable: false,
    check,
};

fn component(s: &str) -> bool {
    // [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            i += 1;
            continue;
        }
        let sep_len = match c {
            b'.' => 1,
            b'_' if b.get(i + 1) == Some(&b'_') => 2,
            b'_' => 1,
            b'-' => b[i..].iter().take_while(|&&x| x == b'-').count(),
            _ => return false,
        };
        i += sep_len;
        if !b
            .get(i)
            .is_some_and(|x| x.is_ascii_lowercase() || x.is_ascii_digit())
        {
            return false;
        }
    }
    true
}

/// Whether `s` is a reference `docker pull` accepts.
pub fn valid_reference(s: &str) -> bool {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let Some((algo, hex)) = d.split_once(':') else {
            return false;
        };
        if algo.is_empty() || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !ok {
            return false;
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 {
        let first = parts[0];
        if first.contains(['.', ':']) || first == "localhost" {
            let (host, port) = match first.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (first, None),
            };
            let host_ok = !host.is_empty()
                && host.split('.').all(|l| {
                    !l.is_empty()
                        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                });
            if !host_ok
                || port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
            {
                return false;
            }
            parts.remove(0);
        }
    }
    !parts.is_empty() && parts.iter().all(|p| component(p))
}

fn check(cx: &Context, out: &mut Report) {
    for (stage, item, f) in cx.stage_froms() {
        if !f.image.contains('$') || stage.parent.is_some() {
            continue;
        }
        if !valid_reference(&stage.base) {
            out.add(
                item.find(&f.image),
                format!(
                    "Default value for ARG {} results in empty or invalid base image name",
                    f.image
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{valid_reference, RULE};
    use crate::lint::testing::{catches, passes};

    #[test]
    fn references() {
        assert!(valid_reference("alpine"));
        assert!(valid_reference("localhost:5000/a/b_c__d-e:1.0"));
        assert!(!valid_reference("alpine:"));
        assert!(!valid_reference("Alpine"));
        assert!(!valid_reference(""));
    }

    #[test]
    fn catches_empty_default() {
        let f = catches(&RULE, "ARG TAG\nFROM alpine:$TAG\n");
        assert_eq!(
            f[0].message,
            "Default value for ARG alpine:$TAG results in empty or invalid base image name"
        );
        catches(&RULE, "ARG IMG\nFROM ${IMG}\n");
    }

    #[test]
    fn passes_good_defaults() {
        passes(&RULE, "ARG TAG=3\nFROM alpine:$TAG\nFROM alpine\n");
        passes(&RULE, "ARG IMG=x\nFROM ${IMG:-alpine}\n");
    }
}
