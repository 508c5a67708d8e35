//! DL3024: stage names are unique.

use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3024",
    name: "unique-stage-names",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "FROM aliases (stage names) must be unique",
    description: "Two stages with the same name make `--from=name` and `--target name` \
ambiguous; the builder refuses the file. Names compare without regard to case, as the \
builder compares them.",
    bad: "FROM a:1 AS build\nFROM b:1 AS build\n",
    good: "FROM a:1 AS build\nFROM b:1 AS test\n",
    fixable: false,
    check,
};

/// Stages whose name an earlier stage already has.
pub fn duplicates(cx: &Context) -> Vec<usize> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for s in &cx.stages {
        if let Some(n) = &s.name {
            if !seen.insert(n.clone()) {
                out.push(s.index);
            }
        }
    }
    out
}

fn check(cx: &Context, out: &mut Report) {
    for s in duplicates(cx) {
        let item = cx.item(cx.stages[s].from);
        out.add(item.span(), RULE.summary);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_duplicates() {
        let f = catches(&RULE, "FROM a:1 AS x\nFROM b:1 AS X\n");
        assert_eq!(f[0].span.start.line, 2);
    }

    #[test]
    fn passes_unique() {
        passes(&RULE, "FROM a:1 AS x\nFROM b:1 AS y\nFROM c:1\n");
    }
}
