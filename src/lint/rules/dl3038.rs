//! DL3038: `dnf install -y`.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3038",
    name: "dnf-yes",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Use the `-y` switch to avoid manual input: `dnf install -y <package>`",
    description: "Without `-y` (`--assumeyes`), `dnf install` (and `microdnf install`) waits \
for a confirmation no one can give during a build.",
    bad: "FROM fedora:41\nRUN dnf install httpd-2.4.62 && dnf clean all\n",
    good: "FROM fedora:41\nRUN dnf install -y httpd-2.4.62 && dnf clean all\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.effective().find(|(_, _, cmd)| {
            (cmd.is("dnf") || cmd.is("microdnf"))
                && cmd.has_any_arg(&["install", "groupinstall", "localinstall"])
                && !cmd.has_any_flag(&["y", "assumeyes"])
        });
        if let Some((part, c, _)) = found {
            out.add(
                run.command_span(cx, part, c),
                "Use `dnf install -y`: without it dnf asks for confirmation",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_missing_yes() {
        catches(&RULE, "FROM fedora:41\nRUN dnf install httpd\n");
        catches(&RULE, "FROM ubi9:9.5\nRUN microdnf install httpd\n");
    }

    #[test]
    fn passes_with_yes() {
        passes(&RULE, "FROM fedora:41\nRUN dnf install -y httpd\n");
        passes(&RULE, "FROM fedora:41\nRUN dnf --assumeyes install httpd\n");
        passes(&RULE, "FROM fedora:41\nRUN dnf clean all\n");
    }
}
