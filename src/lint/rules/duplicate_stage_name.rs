//! DuplicateStageName: stage names are unique.

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DuplicateStageName",
    name: "duplicate-stage-name",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Stage names should be unique",
    description: "Two stages with the same name (compared case-insensitively) make \
`--from` and `--target` ambiguous.",
    bad: "FROM a:1 AS build\nFROM b:1 AS build\n",
    good: "FROM a:1 AS build\nFROM b:1 AS test\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for s in super::dl3024::duplicates(cx) {
        let item = cx.item(cx.stages[s].from);
        let InstructionKind::From(f) = item.kind() else {
            continue;
        };
        let name = cx.stages[s].name.clone().unwrap_or_default();
        let written = f.name_as_written.as_deref().unwrap_or(&name);
        out.add(
            item.find(written),
            format!("Duplicate stage name {name:?}, stage names should be unique"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_duplicates() {
        let f = catches(&RULE, "FROM a:1 AS x\nFROM b:1 AS x\n");
        assert_eq!(
            f[0].message,
            "Duplicate stage name \"x\", stage names should be unique"
        );
    }

    #[test]
    fn passes_unique() {
        passes(&RULE, "FROM a:1 AS x\nFROM b:1 AS y\n");
    }
}
