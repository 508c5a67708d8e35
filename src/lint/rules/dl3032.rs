//! DL3032: `yum clean all` after `yum install`.

use crate::lint::rules::packages::install_without_clean;
use crate::lint::rules::run_scripts::{removes_recursively, run_scripts};
use crate::lint::shell::Cmd;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3032",
    name: "yum-clean",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "`yum clean all` missing after yum command",
    description: "yum keeps metadata and packages in `/var/cache/yum`; unless the same \
`RUN` runs `yum clean all` (or removes `/var/cache/yum`) after installing, they stay in \
the layer. A cache mount on `/var/cache/yum` keeps them out of the image too.",
    bad: "FROM centos:7\nRUN yum install -y httpd-2.4.6\n",
    good: "FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
    fixable: false,
    check,
};

fn is_install(cmd: &Cmd) -> bool {
    cmd.is("yum") && cmd.has_arg("install")
}

fn is_clean(cmd: &Cmd) -> bool {
    (cmd.is("yum") && cmd.has_arg("clean")) || removes_recursively(cmd, "/var/cache/yum")
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        if run.has_cache_mount("/var/cache/yum") {
            continue;
        }
        if let Some((part, c)) = install_without_clean(&run, is_install, is_clean) {
            out.add(
                run.command_span(cx, part, c),
                "Run `yum clean all` after yum install in the same RUN",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_missing_clean() {
        catches(&RULE, "FROM centos:7\nRUN yum install -y httpd\n");
        catches(
            &RULE,
            "FROM centos:7\nRUN yum clean all && yum install -y httpd\n",
        );
    }

    #[test]
    fn passes_clean_and_mounts() {
        passes(
            &RULE,
            "FROM centos:7\nRUN yum install -y httpd && yum clean all\n",
        );
        passes(
            &RULE,
            "FROM centos:7\nRUN yum install -y httpd && rm -rf /var/cache/yum\n",
        );
        // hadolint has no mount exemption for yum; the cache never reaches
        // the image.
        passes(
            &RULE,
            "FROM centos:7\nRUN --mount=type=cache,target=/var/cache/yum yum install -y httpd\n",
        );
        passes(&RULE, "FROM centos:7\nRUN yum update -y\n");
    }
}
