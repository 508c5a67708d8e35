//! DL3015: `apt-get install` should use `--no-install-recommends`.

use crate::lint::rules::run_scripts::{run_scripts, Insertions};
use crate::lint::shell::{Cmd, Word};
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3015",
    name: "apt-get-no-install-recommends",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "Avoid additional packages by specifying `--no-install-recommends`",
    description: "By default `apt-get install` also installs the packages the ones you asked \
for merely recommend: more size, more attack surface, nothing you asked for. Add \
`--no-install-recommends` (or `-o APT::Install-Recommends=false`). The fix adds it after \
`install`.",
    bad: "FROM debian:12\nRUN apt-get update && apt-get install -y curl=7.88.1-10+deb12u8\n",
    good: "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8\n",
    fixable: true,
    check,
};

fn no_recommends(cmd: &Cmd) -> bool {
    cmd.has_flag("no-install-recommends")
        || cmd.args().iter().any(|w| {
            let v = w.value().to_ascii_lowercase();
            v.ends_with("apt::install-recommends=false") || v.ends_with("apt::install-recommends=0")
        })
}

/// The word to insert the option after: `install`, or the options right
/// after it (`install -y` gives `install -y --no-install-recommends`), an
/// option's value included (`-o Foo=1`).
fn insertion_point(args: &[Word], install: usize) -> &Word {
    let mut at = install;
    let mut i = install + 1;
    while let Some(w) = args.get(i) {
        let v = w.value();
        if !v.starts_with('-') || v == "-" || v == "--" {
            break;
        }
        let takes_value = matches!(
            v,
            "-o" | "-t" | "-c" | "--option" | "--target-release" | "--config-file"
        );
        i += if takes_value { 2 } else { 1 };
        at = (i - 1).min(args.len() - 1);
    }
    &args[at]
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let mut fix = Insertions::new(cx, &run, " --no-install-recommends");
        for (part, c, cmd) in run.named("apt-get") {
            let args = cmd.args();
            let Some(install) = args.iter().position(|w| w.value() == "install") else {
                continue;
            };
            if !no_recommends(&cmd) {
                fix.add(part, c, insertion_point(args, install));
            }
        }
        fix.report(
            out,
            "Add `--no-install-recommends` to apt-get install to avoid recommended extras",
            "Add `--no-install-recommends` after `install`",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, fixes, passes};

    #[test]
    fn catches_missing_option() {
        catches(&RULE, "FROM debian:12\nRUN apt-get install -y curl\n");
        catches(&RULE, "FROM debian:12\nRUN apt-get update; apt-get -y install curl; rm -rf /var/lib/apt/lists/*\n");
    }

    #[test]
    fn passes_with_the_option() {
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get install -y --no-install-recommends curl\n",
        );
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get -o APT::Install-Recommends=false install -y curl\n",
        );
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get update && apt-get dist-upgrade -y\n",
        );
    }

    #[test]
    fn fix_adds_the_option_after_install_and_its_options() {
        fixes(
            &RULE,
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl && apt-get install git\n",
            "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get install --no-install-recommends git\n",
        );
        // A continued RUN keeps its layout; an option's value stays with it.
        fixes(
            &RULE,
            "FROM debian:12\nRUN set -eux; \\\n\tapt-get install -y \\\n\t\tca-certificates \\\n\t; \\\n\trm -rf /var/lib/apt/lists/*\n",
            "FROM debian:12\nRUN set -eux; \\\n\tapt-get install -y --no-install-recommends \\\n\t\tca-certificates \\\n\t; \\\n\trm -rf /var/lib/apt/lists/*\n",
        );
        fixes(
            &RULE,
            "FROM debian:12\nRUN apt-get install -q -o Dpkg::Options::=--force-confnew -y curl\n",
            "FROM debian:12\nRUN apt-get install -q -o Dpkg::Options::=--force-confnew -y --no-install-recommends curl\n",
        );
    }

    #[test]
    fn fixes_with_dl3014_give_the_usual_order() {
        let src = "FROM debian:12\n# keep\nRUN apt-get update && apt-get install curl=7 && rm -rf /var/lib/apt/lists/*\n";
        let (fixed, n) = crate::lint::fix_source(src, &Default::default(), &Default::default());
        assert_eq!(n, 2);
        assert_eq!(
            fixed,
            "FROM debian:12\n# keep\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7 && rm -rf /var/lib/apt/lists/*\n"
        );
    }
}
