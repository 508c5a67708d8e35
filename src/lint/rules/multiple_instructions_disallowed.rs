//! MultipleInstructionsDisallowed: CMD, ENTRYPOINT and HEALTHCHECK once per
//! stage.

use super::common::repeated_in_stage;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "MultipleInstructionsDisallowed",
    name: "multiple-instructions-disallowed",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Multiple instructions of the same type should not be used in the same stage",
    description: "Of several `CMD`, `ENTRYPOINT` or `HEALTHCHECK` instructions in one stage \
only the last one is used. The finding points at the one that is ignored.",
    bad: "FROM a:1\nCMD [\"a\"]\nCMD [\"b\"]\n",
    good: "FROM a:1\nCMD [\"b\"]\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    let kinds: [fn(&InstructionKind) -> bool; 3] = [
        |k| matches!(k, InstructionKind::Cmd(_)),
        |k| matches!(k, InstructionKind::Entrypoint(_)),
        |k| matches!(k, InstructionKind::Healthcheck(_)),
    ];
    for kind in kinds {
        for (earlier, _) in repeated_in_stage(cx, kind) {
            let item = cx.item(earlier);
            out.add(
                item.keyword_span(),
                format!(
                    "Multiple {} instructions should not be used in the same stage because only the last one will be used",
                    item.node.keyword
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_the_ignored_one() {
        let f = catches(&RULE, "FROM a:1\nCMD a\nCMD b\nENTRYPOINT x\n");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].span.start.line, 2);
        assert!(f[0].message.starts_with("Multiple CMD instructions"));
        catches(&RULE, "FROM a:1\nHEALTHCHECK NONE\nhealthcheck NONE\n");
    }

    #[test]
    fn passes_one_per_stage() {
        passes(
            &RULE,
            "FROM a:1\nCMD a\nFROM a:1 AS b\nCMD b\nENTRYPOINT c\n",
        );
    }
}
