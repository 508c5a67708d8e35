//! ReservedStageName: stage names are not `scratch` or `context`.

use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "ReservedStageName",
    name: "reserved-stage-name",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Reserved words should not be used as stage names",
    description: "`scratch` (the empty image) and `context` (the build context) are \
reserved: a stage with such a name cannot be referred to.",
    bad: "FROM a:1 AS scratch\n",
    good: "FROM a:1 AS base\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for s in super::dl3063::reserved(cx) {
        let name = s.name.clone().unwrap_or_default();
        out.add(
            cx.item(s.from).span(),
            format!("Stage name should not use the same name as reserved stage {name:?}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_reserved() {
        let f = catches(&RULE, "FROM a:1 AS Scratch\n");
        assert_eq!(
            f[0].message,
            "Stage name should not use the same name as reserved stage \"scratch\""
        );
    }

    #[test]
    fn passes_other_names() {
        passes(&RULE, "FROM a:1 AS build\n");
    }
}
