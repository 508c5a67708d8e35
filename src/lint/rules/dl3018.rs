//! DL3018: pin versions in `apk add`.

use crate::lint::rules::packages::{report_unpinned, unpinned};
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3018",
    name: "apk-pin-versions",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Pin versions in apk add: `apk add <package>=<version>`",
    description: "`apk add curl` installs whatever the repository has on the day of the \
build. Pin with `=` (or `~`, `>`, `<` constraints), or install a local `.apk` file. The \
name after `-t`/`--virtual` is a virtual package, not one to pin; `--repository`/`-X` \
values are URLs.",
    bad: "FROM alpine:3.20\nRUN apk add --no-cache curl\n",
    good: "FROM alpine:3.20\nRUN apk add --no-cache curl=8.11.1-r0\n",
    fixable: false,
    check,
};

/// apk options whose value is the next word.
const WITH_VALUE: &[&str] = &["t", "virtual", "repository", "X"];

fn pinned(package: &str) -> bool {
    package.contains(['=', '~', '>', '<']) || package.ends_with(".apk")
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let mut bad = Vec::new();
        for (part, _, cmd) in run.named("apk") {
            if cmd.has_arg("add") {
                bad.extend(unpinned(part, cmd.positional(WITH_VALUE), &["add"], pinned));
            }
        }
        report_unpinned(cx, out, &run, &bad, "apk add", "`<package>=<version>`");
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_unpinned_packages() {
        catches(&RULE, "FROM alpine:3.20\nRUN apk add --no-cache curl\n");
        catches(
            &RULE,
            "FROM alpine:3.20\nRUN apk add --virtual .deps gcc=14 make\n",
        );
        catches(&RULE, "FROM alpine:3.20\nRUN apk --no-cache add $PKGS\n");
    }

    #[test]
    fn passes_pinned_virtual_and_files() {
        for ok in [
            "apk add --no-cache curl=8.11.1-r0 'git>2.40' bash~5.2",
            "apk add --no-cache --virtual .build-deps gcc=14.2.0-r4",
            "apk add -t .deps -X https://dl-cdn.alpinelinux.org/alpine/edge/testing x=1",
            "apk add --allow-untrusted /tmp/pkg.apk",
            "apk update && apk upgrade",
            "apk del .build-deps",
        ] {
            passes(&RULE, &format!("FROM alpine:3.20\nRUN {ok}\n"));
        }
    }
}
