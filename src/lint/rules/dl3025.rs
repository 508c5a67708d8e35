//! DL3025: exec (JSON) form for CMD and ENTRYPOINT.

use super::common::{args_edit, exec_form};
use crate::dockerfile::{HealthcheckKind, InstructionKind};
use crate::lint::{Context, Fix, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3025",
    name: "json-cmd",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
    description: "In shell form the command runs under `/bin/sh -c`, which becomes PID 1 \
and does not pass signals on: `docker stop` waits and then kills. The JSON form runs the \
program directly. Also reported for `HEALTHCHECK CMD`, as hadolint does. Simple commands \
(plain words, no variables, quotes or operators) are fixable.",
    bad: "FROM nginx:1.27\nCMD nginx -g daemon=off\n",
    good: "FROM nginx:1.27\nCMD [\"nginx\", \"-g\", \"daemon=off\"]\n",
    fixable: true,
    check,
};

/// The fix turning a simple shell-form command into exec form.
pub fn fix(cx: &Context, item: &crate::lint::Item, cmd: &str) -> Option<Fix> {
    let json = exec_form(cmd)?;
    Some(Fix {
        title: format!("Write as {json}"),
        edits: vec![args_edit(cx, item.node, item.args_offset(), json)],
    })
}

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let cmd = match item.kind() {
            InstructionKind::Cmd(c) if c.shell => c.args.first(),
            InstructionKind::Entrypoint(e) if e.shell => e.args.first(),
            InstructionKind::Healthcheck(h) => match &h.check {
                HealthcheckKind::Cmd { shell: true, .. } => None,
                _ => continue,
            },
            _ => continue,
        };
        let f = out.add(item.args_span(), RULE.summary);
        if let Some(fix) = cmd.and_then(|c| fix(cx, &item, c)) {
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
        catches(&RULE, "FROM a:1\nCMD echo hi\n");
        catches(&RULE, "FROM a:1\nENTRYPOINT exec app\n");
        catches(
            &RULE,
            "FROM a:1\nHEALTHCHECK CMD curl -f http://x/ || exit 1\n",
        );
    }

    #[test]
    fn passes_exec_form() {
        passes(
            &RULE,
            "FROM a:1\nCMD [\"echo\", \"hi\"]\nENTRYPOINT [\"app\"]\nHEALTHCHECK CMD [\"true\"]\n",
        );
    }

    #[test]
    fn fixes_simple_commands() {
        fixes(
            &RULE,
            "FROM a:1\nCMD nginx -g daemon=off\n",
            "FROM a:1\nCMD [\"nginx\", \"-g\", \"daemon=off\"]\n",
        );
    }
}
