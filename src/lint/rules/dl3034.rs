//! DL3034: `zypper` needs a non-interactive switch.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3034",
    name: "zypper-non-interactive",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Non-interactive switch missing from `zypper` command: `zypper install -y`",
    description: "zypper asks for confirmation before installing, removing or patching; a \
build cannot answer. Pass `-y` (`--no-confirm`) to the command or `-n` \
(`--non-interactive`) to zypper.",
    bad: "FROM opensuse/leap:15.6\nRUN zypper install httpd=2.4.58 && zypper clean\n",
    good: "FROM opensuse/leap:15.6\nRUN zypper install -y httpd=2.4.58 && zypper clean\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.named("zypper").find(|(_, _, cmd)| {
            cmd.has_any_arg(&[
                "install",
                "in",
                "remove",
                "rm",
                "source-install",
                "si",
                "patch",
            ]) && !cmd.has_any_flag(&["non-interactive", "n", "no-confirm", "y"])
        });
        if let Some((part, c, _)) = found {
            out.add(
                run.command_span(cx, part, c),
                "Use `zypper -n` or `zypper install -y`: without it zypper asks for confirmation",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_interactive_zypper() {
        catches(&RULE, "FROM opensuse/leap:15.6\nRUN zypper install httpd\n");
        catches(&RULE, "FROM opensuse/leap:15.6\nRUN zypper rm httpd\n");
    }

    #[test]
    fn passes_non_interactive_zypper() {
        passes(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper -n install httpd\n",
        );
        passes(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper --non-interactive in httpd\n",
        );
        passes(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper install -y httpd\n",
        );
        passes(&RULE, "FROM opensuse/leap:15.6\nRUN zypper refresh\n");
    }
}
