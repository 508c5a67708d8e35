//! DL3015: `apt-get install` should use `--no-install-recommends`.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::shell::Cmd;
use crate::lint::{Context, Fix, Origin, Report, Rule, Severity};

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

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        // One finding per RUN (as hadolint), fixing every command in it.
        let mut first = None;
        let mut edits = Vec::new();
        let mut fixable = true;
        for (part, c, cmd) in run.named("apt-get") {
            let Some(install) = cmd.args().iter().find(|w| w.value() == "install") else {
                continue;
            };
            if no_recommends(&cmd) {
                continue;
            }
            first.get_or_insert_with(|| run.command_span(cx, part, c));
            match run.source_byte(cx, part, install.span.end - 1) {
                Some(at) => edits.push(cx.edit_bytes(at + 1, at + 1, " --no-install-recommends")),
                None => fixable = false,
            }
        }
        let Some(span) = first else { continue };
        let f = out.add(
            span,
            "Add `--no-install-recommends` to apt-get install to avoid recommended extras",
        );
        if fixable {
            f.fix(Fix {
                title: "Add `--no-install-recommends` after `install`".into(),
                edits,
            });
        }
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
    fn fix_adds_the_option_after_install() {
        fixes(
            &RULE,
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl && apt-get install -y git\n",
            "FROM debian:12\nRUN apt-get update && apt-get install --no-install-recommends -y curl && apt-get install --no-install-recommends -y git\n",
        );
        fixes(
            &RULE,
            "FROM debian:12\nRUN set -eux; \\\n\tapt-get install -y \\\n\t\tca-certificates \\\n\t; \\\n\trm -rf /var/lib/apt/lists/*\n",
            "FROM debian:12\nRUN set -eux; \\\n\tapt-get install --no-install-recommends -y \\\n\t\tca-certificates \\\n\t; \\\n\trm -rf /var/lib/apt/lists/*\n",
        );
    }
}
