//! DL3041: pin versions in `dnf install`.

use crate::lint::rules::packages::{report_unversioned, rpm_unpinned};
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3041",
    name: "dnf-pin-versions",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Specify version with `dnf install -y <package>-<version>`",
    description: "`dnf install httpd` (or `microdnf install`) installs the repository's \
current version at build time. Name the version (`httpd-2.4.62`), install an `.rpm` \
file, or take the version from a variable (`MariaDB-server-${MARIADB_VERSION}`). Modules \
are pinned with a stream: `dnf module install nodejs:20`. Groups are not checked.",
    bad: "FROM fedora:41\nRUN dnf install -y httpd && dnf clean all\n",
    good: "FROM fedora:41\nRUN dnf install -y httpd-2.4.62 && dnf clean all\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.effective().find_map(|(part, _, cmd)| {
            if !(cmd.is("dnf") || cmd.is("microdnf")) || !cmd.has_arg("install") {
                return None;
            }
            if cmd.has_arg("group") {
                return None;
            }
            rpm_unpinned(part, &cmd)
        });
        if let Some(found) = found {
            report_unversioned(cx, out, &run, found, "dnf install -y <package>-<version>");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_unpinned_packages() {
        catches(&RULE, "FROM fedora:41\nRUN dnf install -y httpd\n");
        catches(
            &RULE,
            "FROM ubi9:9.5\nRUN microdnf install -y shadow-utils\n",
        );
        catches(&RULE, "FROM fedora:41\nRUN dnf module install -y nodejs\n");
    }

    #[test]
    fn passes_pinned_packages() {
        for ok in [
            "dnf install -y httpd-2.4.62",
            "microdnf install -y MariaDB-backup-${MARIADB_VERSION} MariaDB-server-$MARIADB_VERSION",
            "dnf install -y /tmp/x-1.0-1.x86_64.rpm",
            "dnf module install -y nodejs:20",
            "dnf group install -y 'Development Tools'",
            "dnf upgrade -y",
        ] {
            passes(&RULE, &format!("FROM fedora:41\nRUN {ok}\n"));
        }
    }
}
