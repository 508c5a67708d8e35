//! DL3036: `zypper clean` after `zypper install`.

use crate::lint::rules::packages::install_without_clean;
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::shell::Cmd;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3036",
    name: "zypper-clean",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "`zypper clean` missing after zypper use",
    description: "zypper keeps metadata and packages in `/var/cache/zypp`; unless the same \
`RUN` runs `zypper clean` after installing, they stay in the layer. A cache mount on \
`/var/cache/zypp` keeps them out of the image too.",
    bad: "FROM opensuse/leap:15.6\nRUN zypper install -y httpd=2.4.58\n",
    good: "FROM opensuse/leap:15.6\nRUN zypper install -y httpd=2.4.58 && zypper clean\n",
    fixable: false,
    check,
};

fn is_install(cmd: &Cmd) -> bool {
    cmd.is("zypper") && cmd.has_any_arg(&["install", "in"])
}

fn is_clean(cmd: &Cmd) -> bool {
    cmd.is("zypper") && cmd.has_any_arg(&["clean", "cc"])
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        if run.has_cache_mount("/var/cache/zypp") {
            continue;
        }
        if let Some((part, c)) = install_without_clean(&run, is_install, is_clean) {
            out.add(
                run.command_span(cx, part, c),
                "Run `zypper clean` after zypper install in the same RUN",
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
        catches(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper install -y httpd\n",
        );
        catches(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper clean && zypper in -y httpd\n",
        );
    }

    #[test]
    fn passes_clean_and_mounts() {
        passes(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper install -y httpd && zypper clean -a\n",
        );
        passes(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper in -y httpd; zypper cc\n",
        );
        passes(&RULE, "FROM opensuse/leap:15.6\nRUN --mount=type=cache,target=/var/cache/zypp zypper in -y httpd\n");
    }
}
