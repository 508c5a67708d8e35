//! JSONArgsRecommended: exec (JSON) form for CMD and ENTRYPOINT.

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "JSONArgsRecommended",
    name: "json-args-recommended",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
    description: "Shell form runs the command under `/bin/sh -c`, which does not forward \
signals, so the container does not stop cleanly. Not reported when the stage (or a stage \
it is built on) sets `SHELL`, a sign the shell is wanted. Simple commands (plain words, \
no variables, quotes or operators) are fixable.",
    bad: "FROM nginx:1.27\nCMD nginx -g daemon=off\n",
    good: "FROM nginx:1.27\nCMD [\"nginx\", \"-g\", \"daemon=off\"]\n",
    fixable: true,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let cmd = match item.kind() {
            InstructionKind::Cmd(c) if c.shell => c.args.first(),
            InstructionKind::Entrypoint(e) if e.shell => e.args.first(),
            _ => continue,
        };
        if cx.shell_at(item.index) != ["/bin/sh", "-c"] {
            continue;
        }
        let f = out.add(
            item.args_span(),
            format!(
                "JSON arguments recommended for {} to prevent unintended behavior related to OS signals",
                item.node.keyword
            ),
        );
        if let Some(fix) = cmd.and_then(|c| super::dl3025::fix(cx, &item, c)) {
            f.fix(fix);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, fixes, passes};

    #[test]
    fn catches_shell_form() {
        let f = catches(&RULE, "FROM a:1\ncmd echo hi\n");
        assert!(f[0]
            .message
            .starts_with("JSON arguments recommended for cmd"));
        catches(&RULE, "FROM a:1\nENTRYPOINT exec app\n");
    }

    #[test]
    fn passes_exec_form_or_explicit_shell() {
        passes(&RULE, "FROM a:1\nCMD [\"a\"]\n");
        passes(
            &RULE,
            "FROM a:1 AS b\nSHELL [\"/bin/bash\", \"-c\"]\nFROM b\nCMD echo hi\n",
        );
    }

    #[test]
    fn fixes_simple_commands() {
        fixes(
            &RULE,
            "FROM a:1\nENTRYPOINT /app --serve  \n",
            "FROM a:1\nENTRYPOINT [\"/app\", \"--serve\"]  \n",
        );
        fixes(
            &RULE,
            "FROM a:1\nCMD \\\n  app \\\n  run\n",
            "FROM a:1\nCMD \\\n  [\"app\", \"run\"]\n",
        );
        let f = catches(&RULE, "FROM a:1\nCMD echo $X\n");
        assert!(f[0].fix.is_none(), "variables need the shell");
    }
}
