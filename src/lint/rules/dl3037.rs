//! DL3037: pin versions in `zypper install`.

use crate::lint::rules::packages::{report_unversioned, unpinned};
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3037",
    name: "zypper-pin-versions",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Specify version with `zypper install -y <package>=<version>`",
    description: "`zypper install httpd` installs the repository's current version at build \
time. Pin it with `=` (or a `>=`, `<` constraint), or install an `.rpm` file.",
    bad: "FROM opensuse/leap:15.6\nRUN zypper install -y httpd && zypper clean\n",
    good: "FROM opensuse/leap:15.6\nRUN zypper install -y httpd=2.4.58 && zypper clean\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.named("zypper").find_map(|(part, _, cmd)| {
            if !cmd.has_any_arg(&["install", "in"]) {
                return None;
            }
            let pinned = |v: &str| v.contains(['=', '>', '<']) || v.ends_with(".rpm");
            unpinned(part, cmd.positional(&[]), &["install", "in"], pinned)
                .first()
                .copied()
        });
        if let Some(found) = found {
            report_unversioned(
                cx,
                out,
                &run,
                found,
                "zypper install -y <package>=<version>",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_unpinned_packages() {
        catches(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper install -y httpd\n",
        );
        catches(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper -n in httpd=2.4 vim\n",
        );
    }

    #[test]
    fn passes_pinned_packages() {
        passes(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper install -y httpd=2.4.58 'vim>=9' /tmp/x.rpm\n",
        );
        passes(&RULE, "FROM opensuse/leap:15.6\nRUN zypper -n update\n");
    }
}
