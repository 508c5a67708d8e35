//! DL3033: pin versions in `yum install`.

use crate::lint::rules::packages::{report_unversioned, rpm_unpinned};
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3033",
    name: "yum-pin-versions",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Specify version with `yum install -y <package>-<version>`",
    description: "`yum install httpd` installs the repository's current version at build \
time. Name the version (`httpd-2.4.6`, `httpd-2.4.6-99.el7`), install an `.rpm` file, or \
take the version from a variable (`httpd-${HTTPD_VERSION}`). Modules are pinned with a \
stream: `yum module install nodejs:20`.",
    bad: "FROM centos:7\nRUN yum install -y httpd && yum clean all\n",
    good: "FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.named("yum").find_map(|(part, _, cmd)| {
            if !cmd.has_arg("install") {
                return None;
            }
            rpm_unpinned(part, &cmd)
        });
        if let Some(found) = found {
            report_unversioned(cx, out, &run, found, "yum install -y <package>-<version>");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_unpinned_packages() {
        catches(&RULE, "FROM centos:7\nRUN yum install -y httpd\n");
        catches(&RULE, "FROM centos:7\nRUN yum install -y epel-release\n");
        catches(&RULE, "FROM centos:7\nRUN yum module install -y nodejs\n");
    }

    #[test]
    fn passes_pinned_packages() {
        for ok in [
            "yum install -y httpd-2.4.6 php-7.4.33-1.el7",
            "yum install -y /tmp/x-1.0-1.x86_64.rpm",
            "yum install -y \"MariaDB-server-${MARIADB_VERSION}\"",
            "yum module install -y nodejs:20",
            "yum update -y",
        ] {
            passes(&RULE, &format!("FROM centos:7\nRUN {ok}\n"));
        }
    }
}
