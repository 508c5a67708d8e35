//! StageNameCasing: stage names are lower case.

use crate::lint::{Context, Fix, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "StageNameCasing",
    name: "stage-name-casing",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Stage names should be lowercase",
    description: "Stage names are case-insensitive (`--from=Build` finds `build`), so \
capitals only suggest a difference that is not there. Fixable: references to the stage \
keep working.",
    bad: "FROM golang:1.22 AS Build\n",
    good: "FROM golang:1.22 AS build\n",
    fixable: true,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (_, item, f) in cx.stage_froms() {
        let Some(name) = &f.name_as_written else {
            continue;
        };
        let lower = name.to_lowercase();
        if *name == lower {
            continue;
        }
        let o = &item.node.original;
        let Some(at) = o.rfind(name.as_str()) else {
            continue;
        };
        out.add(
            cx.df.span_in(item.node, at, name.len()),
            format!("Stage name '{name}' should be lowercase"),
        )
        .fix(Fix {
            title: format!("Rename the stage '{lower}'"),
            edits: vec![cx.edit(item.node, at, name.len(), lower)],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, fixes, passes};

    #[test]
    fn catches_capitals() {
        let f = catches(&RULE, "FROM a:1 AS Build\n");
        assert_eq!(f[0].message, "Stage name 'Build' should be lowercase");
    }

    #[test]
    fn passes_lower() {
        passes(&RULE, "FROM a:1 AS build\nFROM B:1\n");
    }

    #[test]
    fn fixes_name() {
        fixes(
            &RULE,
            "FROM a:1 AS Build\nFROM b:1\nCOPY --from=Build /x /x\n",
            "FROM a:1 AS build\nFROM b:1\nCOPY --from=Build /x /x\n",
        );
    }
}
