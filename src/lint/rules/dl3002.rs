//! DL3002: the image should not run as root.

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3002",
    name: "last-user-not-root",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Last USER should not be root",
    description: "A container that runs as root turns any escape into root on the host's \
kernel. Switch to an unprivileged user before the image ends. Only the image that is \
built counts: the final stage, and the stages it is built `FROM`; `USER root` in a \
builder stage whose files are copied out does not make the image run as root (hadolint \
reports every stage).",
    bad: "FROM debian:12\nUSER root\nRUN apt-get update\n",
    good: "FROM debian:12\nUSER root\nRUN apt-get update\nUSER nobody\n",
    fixable: false,
    check,
};

fn is_root(user: &str) -> bool {
    let u = user.split(':').next().unwrap_or(user);
    u == "root" || u == "0"
}

fn check(cx: &Context, out: &mut Report) {
    // Walk from the final stage up its FROM chain to the last USER.
    let mut stage = cx.final_stage();
    while let Some(s) = stage {
        let last_user = cx
            .stage_items(s)
            .filter(|i| matches!(i.kind(), InstructionKind::User(_)))
            .last();
        if let Some(item) = last_user {
            if let InstructionKind::User(u) = item.expanded() {
                if is_root(&u.user) {
                    out.add(item.args_span(), "Last USER should not be root");
                }
            }
            return;
        }
        stage = s.parent.map(|p| &cx.stages[p]);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_root_last() {
        catches(&RULE, "FROM a:1\nUSER root\n");
        catches(&RULE, "FROM a:1\nUSER 0:0\nRUN x\n");
        catches(&RULE, "FROM a:1\nARG U=root\nUSER $U\n");
        // Inherited from the stage the final one is built on.
        let f = catches(&RULE, "FROM a:1 AS base\nUSER root\nFROM base\nRUN x\n");
        assert_eq!(f[0].span.start.line, 2);
    }

    #[test]
    fn passes_unprivileged_last() {
        passes(&RULE, "FROM a:1\nUSER root\nRUN x\nUSER app\n");
        passes(&RULE, "FROM a:1\n");
        passes(&RULE, "FROM a:1\nUSER rootless\n");
    }

    #[test]
    fn passes_root_in_a_builder_stage() {
        // hadolint reports line 2: a stage whose only output is copied.
        passes(
            &RULE,
            "FROM a:1 AS build\nUSER root\nRUN make\nFROM b:1\nCOPY --from=build /out /out\nUSER app\n",
        );
    }
}
