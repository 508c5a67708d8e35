//! DL3012: one HEALTHCHECK per stage.

use super::common::repeated_in_stage;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3012",
    name: "single-healthcheck",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "Multiple `HEALTHCHECK` instructions",
    description: "Only the last `HEALTHCHECK` of a stage takes effect; the earlier ones are \
dead code that misleads readers.",
    bad: "FROM a:1\nHEALTHCHECK CMD curl -f http://localhost/\nHEALTHCHECK CMD true\n",
    good: "FROM a:1\nHEALTHCHECK CMD curl -f http://localhost/\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (_, later) in repeated_in_stage(cx, |k| matches!(k, InstructionKind::Healthcheck(_))) {
        out.add(cx.item(later).keyword_span(), RULE.summary);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_two_in_a_stage() {
        let f = catches(&RULE, "FROM a:1\nHEALTHCHECK NONE\nHEALTHCHECK CMD x\n");
        assert_eq!(f[0].span.start.line, 3);
    }

    #[test]
    fn passes_one_per_stage() {
        passes(
            &RULE,
            "FROM a:1\nHEALTHCHECK NONE\nFROM b:1\nHEALTHCHECK CMD x\n",
        );
    }
}
