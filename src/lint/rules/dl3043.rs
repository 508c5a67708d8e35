//! DL3043: ONBUILD cannot trigger ONBUILD, FROM or MAINTAINER.

use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3043",
    name: "onbuild-trigger",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.",
    description: "The builder refuses `ONBUILD ONBUILD`, `ONBUILD FROM` and `ONBUILD \
MAINTAINER`: the image that inherits the trigger would fail to build.",
    bad: "FROM a:1\nONBUILD FROM b:1\n",
    good: "FROM a:1\nONBUILD RUN make\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    // The typed instructions drop these (they are build errors), so look
    // at the syntax tree.
    for node in &cx.df.nodes {
        let Some(sub) = &node.sub else { continue };
        if ["ONBUILD", "FROM", "MAINTAINER"].iter().any(|k| sub.is(k)) {
            out.add(node.span, RULE.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_forbidden_triggers() {
        catches(&RULE, "FROM a:1\nONBUILD FROM b:1\n");
        catches(&RULE, "FROM a:1\nonbuild maintainer me\n");
        catches(&RULE, "FROM a:1\nONBUILD ONBUILD RUN x\n");
    }

    #[test]
    fn passes_other_triggers() {
        passes(&RULE, "FROM a:1\nONBUILD RUN make\nONBUILD COPY . /app\n");
    }
}
