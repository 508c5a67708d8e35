//! DL3035: do not `zypper dist-upgrade`.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3035",
    name: "no-zypper-dist-upgrade",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Do not use `zypper dist-upgrade`",
    description: "`zypper dist-upgrade` (`dup`) moves the whole system to whatever the \
repositories hold now, possibly a new distribution release: the image then depends on \
the build date. Base on a newer image instead, or update the packages you need.",
    bad: "FROM opensuse/leap:15.6\nRUN zypper -n dist-upgrade\n",
    good: "FROM opensuse/leap:15.6\nRUN zypper -n update\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run
            .named("zypper")
            .find(|(_, _, cmd)| cmd.has_any_arg(&["dist-upgrade", "dup"]));
        if let Some((part, c, _)) = found {
            out.add(
                run.command_span(cx, part, c),
                "Do not use `zypper dist-upgrade`: it upgrades the whole distribution",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_dist_upgrade() {
        catches(
            &RULE,
            "FROM opensuse/leap:15.6\nRUN zypper -n dist-upgrade\n",
        );
        catches(&RULE, "FROM opensuse/leap:15.6\nRUN zypper dup -y\n");
    }

    #[test]
    fn passes_update() {
        passes(&RULE, "FROM opensuse/leap:15.6\nRUN zypper -n update\n");
        passes(&RULE, "FROM opensuse/leap:15.6\nRUN echo zypper dup\n");
    }
}
