//! DL1001: no inline ignore pragmas (off by default).

use crate::lint::config::{parse_pragma, Pragma};
use crate::lint::{Context, Origin, Report, Rule, Severity};
use crate::span::{Pos, Span};

pub static RULE: Rule = Rule {
    code: "DL1001",
    name: "no-ignore-pragma",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: false,
    summary: "Please refrain from using inline ignore pragmas ` # hadolint ignore=DLxxxx`.",
    description: "For teams that want every exception in the config file, where it is \
reviewed, rather than in comments. Off by default (as in hadolint); turn it on with \
`override`.",
    bad: "FROM a:1\n# hadolint ignore=DL3059\nRUN a\nRUN b\n",
    good: "FROM a:1\nRUN a && b\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (&line, text) in &cx.comments {
        if let Some(Pragma::Ignore(_)) = parse_pragma(text) {
            let len = cx.df.line(line).chars().count() as u32;
            out.add(
                Span::new(Pos::new(line, 1), Pos::new(line, len + 1)),
                RULE.summary,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_pragma() {
        catches(&RULE, "FROM a:1\n# hadolint ignore=DL3059\nRUN a\n");
    }

    #[test]
    fn passes_without_pragma() {
        passes(&RULE, "FROM a:1\n# a comment\nRUN a\n");
    }
}
