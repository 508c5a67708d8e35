//! DL3048: label keys follow Docker's key format.

use super::labels;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3048",
    name: "label-key-format",
    origin: Origin::Hadolint,
    severity: Severity::Style,
    enabled: true,
    summary: "Invalid label key.",
    description: "Docker's guidelines for label keys: lower-case letters, digits, `.`, `-`, \
`_` and `/`; starting with a letter and ending with a letter or digit; no `..` or `--`; \
and not in the namespaces Docker reserves (`com.docker.`, `io.docker.`, \
`org.dockerproject.`).",
    bad: "FROM a:1\nLABEL Maintainer=me\n",
    good: "FROM a:1\nLABEL org.opencontainers.image.authors=me\n",
    fixable: false,
    check,
};

fn valid(key: &str) -> bool {
    let b = key.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    first.is_ascii_lowercase()
        && (last.is_ascii_lowercase() || last.is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-/".contains(c))
        && !["com.docker.", "io.docker.", "org.dockerproject."]
            .iter()
            .any(|ns| key.starts_with(ns))
        && !key.contains("..")
        && !key.contains("--")
}

fn check(cx: &Context, out: &mut Report) {
    for (item, key, _) in labels::pairs(cx) {
        if !valid(&key) {
            out.add(item.find(&key), RULE.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_bad_keys() {
        catches(&RULE, "FROM a:1\nLABEL Maintainer=me\n");
        catches(&RULE, "FROM a:1\nLABEL com.docker.x=1\n");
        catches(&RULE, "FROM a:1\nLABEL a..b=1\n");
        catches(&RULE, "FROM a:1\nLABEL x.=1\n");
    }

    #[test]
    fn passes_good_keys() {
        passes(
            &RULE,
            "FROM a:1\nLABEL org.opencontainers.image.title=x maintainer=\"me\" a_b/c-1=2\n",
        );
        passes(&RULE, "FROM a:1\nLABEL \"version\"=\"1\"\n");
    }
}
