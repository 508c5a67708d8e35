//! DL3061: a Dockerfile starts with FROM (or ARG).

use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3061",
    name: "from-first",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment.",
    description: "Instructions before the first `FROM` belong to no stage; only `ARG` may \
come first (to parameterise `FROM`). The builder refuses the file.",
    bad: "LABEL x=1\nFROM a:1\n",
    good: "ARG TAG=1\nFROM a:$TAG\nLABEL x=1\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for node in &cx.df.nodes {
        if node.is("FROM") {
            break;
        }
        if !node.is("ARG") {
            out.add(node.span, RULE.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_instruction_before_from() {
        catches(&RULE, "# c\nRUN x\nFROM a:1\n");
    }

    #[test]
    fn passes_from_or_arg_first() {
        passes(
            &RULE,
            "# syntax=docker/dockerfile:1\nARG V=1\nFROM a:$V\nRUN x\n",
        );
    }
}
