//! DL3023: `COPY --from` cannot name its own stage.

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3023",
    name: "copy-from-self",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "`COPY --from` cannot reference its own `FROM` alias",
    description: "A stage cannot copy from itself: the build fails with a circular \
dependency.",
    bad: "FROM a:1 AS app\nCOPY --from=app /x /y\n",
    good: "FROM a:1 AS build\nFROM a:1 AS app\nCOPY --from=build /x /y\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let (InstructionKind::Copy(c), Some(stage)) = (item.kind(), item.stage) else {
            continue;
        };
        let (Some(from), Some(name)) = (&c.from, &stage.name) else {
            continue;
        };
        if from.trim_matches(['"', '\'']).eq_ignore_ascii_case(name) {
            out.add(item.flag_span("from").unwrap_or(item.span()), RULE.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_self_copy() {
        catches(&RULE, "FROM a:1 AS app\nCOPY --from=app /x /y\n");
    }

    #[test]
    fn passes_other_stage() {
        passes(
            &RULE,
            "FROM a:1 AS b\nFROM a:1 AS app\nCOPY --from=b /x /y\n",
        );
    }
}
