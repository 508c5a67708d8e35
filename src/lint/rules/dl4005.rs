//! DL4005: use `SHELL` to change the default shell.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL4005",
    name: "use-shell-instruction",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Use `SHELL` to change the default shell",
    description: "Replacing `/bin/sh` with a link (`ln -sf /bin/bash /bin/sh`) changes the \
shell of every program in the image that runs `sh`, not just of the build. The `SHELL` \
instruction changes the shell `RUN` uses, and nothing else.",
    bad: "FROM debian:12\nRUN ln -sf /bin/bash /bin/sh\n",
    good: "FROM debian:12\nSHELL [\"/bin/bash\", \"-c\"]\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.named("ln").find(|(_, _, cmd)| cmd.has_arg("/bin/sh"));
        if let Some((part, c, _)) = found {
            out.add(
                run.command_span(cx, part, c),
                "Use the SHELL instruction instead of replacing /bin/sh",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_relinking_sh() {
        catches(&RULE, "FROM debian:12\nRUN ln -sf /bin/bash /bin/sh\n");
        catches(
            &RULE,
            "FROM debian:12\nRUN rm /bin/sh && ln -s bash /bin/sh\n",
        );
    }

    #[test]
    fn passes_other_links() {
        passes(
            &RULE,
            "FROM debian:12\nRUN ln -s /usr/bin/python3 /usr/bin/python\n",
        );
        passes(
            &RULE,
            "FROM debian:12\nRUN ln -s /bin/sh /usr/local/bin/mysh2\n"
                .replace("/bin/sh /", "/bin/dash /")
                .as_str(),
        );
    }
}
