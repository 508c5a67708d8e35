//! ConsistentInstructionCasing: one case for all instruction keywords.

use crate::lint::{Context, Fix, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "ConsistentInstructionCasing",
    name: "consistent-instruction-casing",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary:
        "All commands within the Dockerfile should use the same casing (either upper or lower)",
    description: "Keywords are case-insensitive, but mixing `RUN` and `run` (or writing \
`Run`) makes a file harder to read. The case most keywords use wins. Fixable.",
    bad: "FROM alpine:3.20\nrun apk add curl\n",
    good: "FROM alpine:3.20\nRUN apk add curl\n",
    fixable: true,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    let (mut lower, mut upper) = (0, 0);
    for item in cx.items() {
        let k = &item.node.keyword;
        if *k == k.to_lowercase() {
            lower += 1;
        } else if *k == k.to_uppercase() {
            upper += 1;
        }
    }
    let majority_lower = lower > upper;
    for item in cx.items() {
        let k = &item.node.keyword;
        let (want, casing) = if majority_lower {
            (k.to_lowercase(), "lowercase")
        } else {
            (k.to_uppercase(), "uppercase")
        };
        if *k == want {
            continue;
        }
        let at = item.node.original.find(k.as_str()).unwrap_or(0);
        out.add(
            item.keyword_span(),
            format!("Command '{k}' should match the case of the command majority ({casing})"),
        )
        .fix(Fix {
            title: format!("Write '{want}'"),
            edits: vec![cx.edit(item.node, at, k.len(), want)],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, fixes, passes};

    #[test]
    fn catches_minority_and_mixed_case() {
        let f = catches(&RULE, "FROM a:1\nrun x\nRun y\nCOPY a b\n");
        assert_eq!(f.len(), 2);
        assert_eq!(
            f[0].message,
            "Command 'run' should match the case of the command majority (uppercase)"
        );
    }

    #[test]
    fn passes_consistent() {
        passes(&RULE, "from a:1\nrun x\ncopy a b\n");
        passes(&RULE, "FROM a:1\nRUN x\n");
    }

    #[test]
    fn fixes_keywords() {
        fixes(
            &RULE,
            "from a:1 as b\nrun x\nRUN y\n  Copy a b\n",
            "from a:1 as b\nrun x\nrun y\n  copy a b\n",
        );
    }
}
