//! DL3063: stage names are not reserved words.

use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3063",
    name: "reserved-stage-name",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "stage name should not be a reserved word",
    description: "`scratch` and `context` mean the empty image and the build context; a \
stage with one of those names cannot be referred to.",
    bad: "FROM a:1 AS scratch\n",
    good: "FROM a:1 AS base\n",
    fixable: false,
    check,
};

/// Stages named `scratch` or `context`.
pub fn reserved<'c>(cx: &'c Context) -> impl Iterator<Item = &'c crate::lint::StageInfo> {
    cx.stages
        .iter()
        .filter(|s| matches!(s.name.as_deref(), Some("scratch" | "context")))
}

fn check(cx: &Context, out: &mut Report) {
    for s in reserved(cx) {
        out.add(cx.item(s.from).span(), RULE.summary);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_reserved() {
        catches(&RULE, "FROM a:1 AS context\n");
    }

    #[test]
    fn passes_other_names() {
        passes(&RULE, "FROM a:1 AS scratchpad\nFROM scratch\n");
    }
}
