//! DL3004: do not use `sudo`.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::shell::basename;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3004",
    name: "no-sudo",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "Do not use `sudo`: it behaves unpredictably in a build; switch users with `USER` or a tool like `gosu`",
    description: "`RUN` already runs as the current `USER` (root unless changed). `sudo` \
adds a TTY- and PAM-dependent layer that may prompt, may not be installed, and keeps \
environment variables in surprising ways. Run privileged steps before a `USER` switch, or \
use `gosu`/`su-exec` in entrypoints.",
    bad: "FROM debian:12\nUSER app\nRUN sudo apt-get update\n",
    good: "FROM debian:12\nRUN apt-get update\nUSER app\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.commands().find(|(_, c)| {
            // `sudo` as the command or as any wrapper in front of it
            // (`env X=1 sudo …`).
            c.name().is_some_and(|n| basename(n) == "sudo")
                || c.wrappers().iter().any(|w| basename(w) == "sudo")
        });
        if let Some((part, c)) = found {
            out.add(
                run.command_span(cx, part, c),
                "Do not use sudo: it behaves unpredictably in a build; use USER, or gosu to switch users",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_sudo() {
        catches(&RULE, "FROM debian:12\nRUN sudo apt-get update\n");
        catches(&RULE, "FROM debian:12\nRUN env A=1 sudo -u app make\n");
        catches(&RULE, "FROM debian:12\nRUN echo $(sudo id)\n");
        catches(&RULE, "FROM debian:12\nONBUILD RUN sudo true\n");
    }

    #[test]
    fn passes_without_sudo() {
        passes(&RULE, "FROM debian:12\nRUN apt-get install -y sudo=1.9\n");
        passes(
            &RULE,
            "FROM debian:12\nRUN echo 'app ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/app\n",
        );
    }
}
