//! DL3023: `COPY --from` cannot name its own stage.

use super::common::copies_from;
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
    for (item, stage, from) in copies_from(cx) {
        if stage
            .name
            .as_deref()
            .is_some_and(|name| from.eq_ignore_ascii_case(name))
        {
            out.add(item.find_flag("from"), RULE.summary);
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
