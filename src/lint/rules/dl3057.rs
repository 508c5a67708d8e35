//! DL3057: the image has a HEALTHCHECK (off by default).

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3057",
    name: "healthcheck-missing",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: false,
    summary: "`HEALTHCHECK` instruction missing.",
    description: "Without a `HEALTHCHECK` an orchestrator only knows whether the process \
runs, not whether it works. Off by default (as in hadolint); turn it on by giving it a \
severity in `override`. Only the image built counts: the final stage and the stages it is \
built `FROM` (hadolint asks every stage).",
    bad: "FROM nginx:1.27\n",
    good: "FROM nginx:1.27\nHEALTHCHECK CMD curl -f http://localhost/ || exit 1\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    let Some(last) = cx.final_stage() else { return };
    let mut s = Some(last);
    while let Some(st) = s {
        if cx
            .stage_items(st)
            .any(|i| matches!(i.kind(), InstructionKind::Healthcheck(_)))
        {
            return;
        }
        s = st.parent.map(|p| &cx.stages[p]);
    }
    out.add(cx.item(last.from).span(), RULE.summary);
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_missing() {
        catches(&RULE, "FROM a:1\nRUN x\n");
        catches(&RULE, "FROM a:1 AS b\nHEALTHCHECK NONE\nFROM c:1\n");
    }

    #[test]
    fn passes_present_or_inherited() {
        passes(&RULE, "FROM a:1\nHEALTHCHECK CMD x\n");
        passes(&RULE, "FROM a:1 AS b\nHEALTHCHECK CMD x\nFROM b\n");
    }

    #[test]
    fn off_by_default() {
        let f = crate::lint::lint_source("FROM a:1\n", &Default::default());
        assert!(f.iter().all(|f| f.code != "DL3057"));
    }
}
