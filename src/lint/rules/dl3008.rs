//! DL3008: pin versions in `apt-get install`.

use crate::lint::rules::packages::{report_unpinned, unpinned};
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3008",
    name: "apt-get-pin-versions",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Pin versions in `apt-get install`",
    description: "`apt-get install curl` installs whatever version the archive has on the \
day of the build, so two builds of one Dockerfile differ. Write `curl=<version>`. A \
version from a variable counts (`curl=${CURL_VERSION}`), and so do `.deb` files, paths \
and release pins (`curl/bookworm-backports`). `-t`/`--target-release` values are not \
packages.",
    bad: "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*\n",
    good: "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \\\n && rm -rf /var/lib/apt/lists/*\n",
    fixable: false,
    check,
};

/// Options of `apt-get` whose value is the next word.
const WITH_VALUE: &[&str] = &["t", "target-release"];

fn pinned(package: &str) -> bool {
    package.contains('=') || package.contains('/') || package.ends_with(".deb")
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let mut bad = Vec::new();
        for (part, _, cmd) in run.named("apt-get") {
            if cmd.has_arg("install") {
                bad.extend(unpinned(
                    part,
                    cmd.positional(WITH_VALUE),
                    &["install"],
                    pinned,
                ));
            }
        }
        report_unpinned(
            cx,
            out,
            &run,
            &bad,
            "apt-get install",
            "`<package>=<version>`",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_unpinned_packages() {
        let f = catches(
            &RULE,
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl git=1:2.39\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].span.start.line, f[0].span.start.col), (2, 42));
        assert!(f[0].message.contains("`curl`") && !f[0].message.contains("git"));
        catches(
            &RULE,
            "FROM debian:12\nRUN [\"apt-get\", \"install\", \"-y\", \"curl\"]\n",
        );
        catches(
            &RULE,
            "FROM debian:12\nONBUILD RUN apt-get install -y curl\n",
        );
        // Through wrappers (hadolint sees `sudo` or `env` and stops).
        catches(&RULE, "FROM debian:12\nRUN sudo apt-get install -y curl\n");
        catches(
            &RULE,
            "FROM debian:12\nRUN env DEBIAN_FRONTEND=noninteractive apt-get install -y curl\n",
        );
        catches(
            &RULE,
            "FROM debian:12\nRUN sh -c 'apt-get install -y curl'\n",
        );
        catches(
            &RULE,
            "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n",
        );
        // `-o` does not take its value to hadolint, and neither here.
        catches(
            &RULE,
            "FROM debian:12\nRUN apt-get -o Acquire::Retries=3 install -y curl\n",
        );
    }

    #[test]
    fn passes_pinned_and_non_package_words() {
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get install -y curl=7.88.1-10 git=${GIT_VERSION}\n",
        );
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get install -y -t bookworm-backports curl=7.88\n",
        );
        passes(&RULE, "FROM debian:12\nRUN apt-get install -y --target-release bookworm-backports curl/bookworm-backports\n");
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get install -y ./pkg.deb /tmp/x.deb\n",
        );
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get update && apt-get upgrade -y\n",
        );
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get install -y < /tmp/list\n",
        );
        passes(&RULE, "FROM debian:12\nRUN echo apt-get install curl\n");
        // hadolint takes the command name after `exec` for a package.
        passes(
            &RULE,
            "FROM debian:12\nRUN exec apt-get install -y curl=7.88\n",
        );
    }
}
