//! DL3030: `yum install -y`.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3030",
    name: "yum-yes",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Use the `-y` switch to avoid manual input: `yum install -y <package>`",
    description: "Without `-y` (`--assumeyes`), `yum install` waits for a confirmation no one \
can give during a build.",
    bad: "FROM centos:7\nRUN yum install httpd-2.4.6 && yum clean all\n",
    good: "FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.named("yum").find(|(_, _, cmd)| {
            cmd.has_any_arg(&["install", "groupinstall", "localinstall"])
                && !cmd.has_any_flag(&["y", "assumeyes"])
        });
        if let Some((part, c, _)) = found {
            out.add(
                run.command_span(cx, part, c),
                "Use `yum install -y`: without it yum asks for confirmation",
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
        catches(&RULE, "FROM centos:7\nRUN yum install httpd\n");
        catches(
            &RULE,
            "FROM centos:7\nRUN yum groupinstall 'Development Tools'\n",
        );
    }

    #[test]
    fn passes_with_yes() {
        passes(&RULE, "FROM centos:7\nRUN yum install -y httpd\n");
        passes(
            &RULE,
            "FROM centos:7\nRUN yum -q --assumeyes localinstall /tmp/x.rpm\n",
        );
        passes(&RULE, "FROM centos:7\nRUN yum clean all\n");
    }
}
