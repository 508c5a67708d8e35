//! DL4004: one ENTRYPOINT per stage.

use super::common::repeated_in_stage;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL4004",
    name: "single-entrypoint",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last `ENTRYPOINT` will take effect",
    description: "Only the last `ENTRYPOINT` of a stage is kept in the image.",
    bad: "FROM a:1\nENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]\n",
    good: "FROM a:1\nENTRYPOINT [\"b\"]\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (_, later) in repeated_in_stage(cx, |k| matches!(k, InstructionKind::Entrypoint(_))) {
        out.add(cx.item(later).keyword_span(), RULE.summary);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_two_in_a_stage() {
        catches(&RULE, "FROM a:1\nENTRYPOINT a\nENTRYPOINT [\"b\"]\n");
    }

    #[test]
    fn passes_one_per_stage() {
        passes(&RULE, "FROM a:1\nENTRYPOINT a\nFROM a:1\nENTRYPOINT b\n");
    }
}
