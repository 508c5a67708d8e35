//! DL4003: one CMD per stage.

use super::common::repeated_in_stage;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL4003",
    name: "single-cmd",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Multiple `CMD` instructions found. If you list more than one `CMD` then only the last `CMD` will take effect",
    description: "Only the last `CMD` of a stage is kept in the image; the others do \
nothing.",
    bad: "FROM a:1\nCMD [\"a\"]\nCMD [\"b\"]\n",
    good: "FROM a:1\nCMD [\"b\"]\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (_, later) in repeated_in_stage(cx, |k| matches!(k, InstructionKind::Cmd(_))) {
        out.add(cx.item(later).keyword_span(), RULE.summary);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_two_in_a_stage() {
        catches(&RULE, "FROM a:1\nCMD a\nRUN x\nCMD b\n");
    }

    #[test]
    fn passes_one_per_stage() {
        passes(&RULE, "FROM a:1\nCMD a\nFROM b:1\nCMD b\n");
    }
}
