//! DL3040: `dnf clean all` after `dnf install`.

use crate::lint::rules::packages::install_without_clean;
use crate::lint::rules::run_scripts::{removes_recursively, run_scripts};
use crate::lint::shell::Cmd;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3040",
    name: "dnf-clean",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "`dnf clean all` missing after dnf command",
    description: "dnf (and microdnf) keep metadata and packages in their cache directory; \
unless the same `RUN` runs `dnf clean all` (or removes the cache) after installing or \
upgrading, they stay in the layer. A cache mount on the cache directory \
(`/var/cache/dnf`, `/var/cache/libdnf5`, `/var/cache/yum`) keeps them out of the image \
too.",
    bad: "FROM fedora:41\nRUN dnf install -y httpd-2.4.62\n",
    good: "FROM fedora:41\nRUN dnf install -y httpd-2.4.62 && dnf clean all\n",
    fixable: false,
    check,
};

const INSTALL: &[&str] = &[
    "install",
    "in",
    "upgrade",
    "up",
    "upgrade-minimal",
    "up-min",
    "reinstall",
    "rei",
];

const CACHES: &[&str] = &["/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/yum"];

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        if CACHES.iter().any(|c| run.has_cache_mount(c))
            || run.has_cache_mount_with(".cache/libdnf5")
        {
            continue;
        }
        // dnf when the RUN installs with it, else microdnf.
        let is_install = |tool: &str, cmd: &Cmd| cmd.is(tool) && cmd.has_any_arg(INSTALL);
        let Some(tool) = ["dnf", "microdnf"]
            .into_iter()
            .find(|tool| run.effective().any(|(_, _, cmd)| is_install(tool, &cmd)))
        else {
            continue;
        };
        let is_clean = |cmd: &Cmd| {
            (cmd.is(tool) && cmd.has_arg("clean"))
                || CACHES.iter().any(|c| removes_recursively(cmd, c))
        };
        if let Some((part, c)) = install_without_clean(&run, |cmd| is_install(tool, cmd), is_clean)
        {
            out.add(
                run.command_span(cx, part, c),
                format!("Run `{tool} clean all` after {tool} install in the same RUN"),
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
        catches(&RULE, "FROM fedora:41\nRUN dnf install -y httpd\n");
        catches(&RULE, "FROM ubi9:9.5\nRUN microdnf update -y; microdnf reinstall -y tzdata; microdnf install -y x\n");
        // An unrelated `rm -rf` is no cleaning (hadolint accepts any).
        catches(&RULE, "FROM ubi9:9.5\nRUN microdnf install -y gnupg2; gpg --verify x; rm -rf \"$GNUPGHOME\"\n");
        // The cleaning tool must be the one that installed.
        catches(
            &RULE,
            "FROM ubi9:9.5\nRUN microdnf install -y x && dnf clean all\n",
        );
    }

    #[test]
    fn passes_clean_and_mounts() {
        passes(
            &RULE,
            "FROM fedora:41\nRUN dnf install -y httpd && dnf clean all\n",
        );
        passes(
            &RULE,
            "FROM ubi9:9.5\nRUN microdnf install -y x && microdnf clean all\n",
        );
        passes(
            &RULE,
            "FROM fedora:41\nRUN dnf install -y x && rm -rf /var/cache/dnf\n",
        );
        passes(
            &RULE,
            "FROM fedora:41\nRUN --mount=type=cache,target=/var/cache/libdnf5 dnf install -y x\n",
        );
        passes(
            &RULE,
            "FROM fedora:41\nRUN --mount=type=cache,target=/var/cache/dnf dnf install -y x\n",
        );
        passes(&RULE, "FROM fedora:41\nRUN dnf repolist\n");
        // Cleaning after the install counts, whatever `rm -rf` ran before
        // (hadolint compares with the first `rm -rf` of the RUN).
        passes(&RULE, "FROM ubi9:9.5\nRUN rm -rf \"$GNUPGHOME\"; microdnf update -y; microdnf install -y x; microdnf clean all\n");
    }
}
