//! DL3014: `apt-get install` needs `-y`.

use crate::lint::rules::run_scripts::{run_scripts, Insertions};
use crate::lint::shell::Cmd;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3014",
    name: "apt-get-yes",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Use the `-y` switch to avoid manual input: `apt-get install -y <package>`",
    description: "Without `-y`, `apt-get install` asks for confirmation; a build has no one \
to answer, so it aborts when the answer matters. `-y`, `--yes`, `--assume-yes`, `-qq` \
(quiet level 2 implies yes) and `-o APT::Get::Assume-Yes=true` all count. The fix adds \
` -y` after `install`.",
    bad: "FROM debian:12\nRUN apt-get update && apt-get install --no-install-recommends curl=7.88.1-10+deb12u8\n",
    good: "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8\n",
    fixable: true,
    check,
};

fn assumes_yes(cmd: &Cmd) -> bool {
    let quiet = cmd.count_flag("q") + cmd.count_flag("quiet");
    cmd.has_any_flag(&["y", "yes", "assume-yes"])
        || quiet >= 2
        || cmd.has_any_arg(&["-q=2", "--quiet=2", "-qq"])
        || cmd
            .flag_values("o")
            .iter()
            .chain(&cmd.flag_values("option"))
            .any(|o| {
                let o = o.to_ascii_lowercase();
                o == "apt::get::assume-yes=true" || o == "apt::get::assume-yes=1"
            })
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let mut fix = Insertions::new(cx, &run, " -y");
        for (part, c, cmd) in run.named("apt-get") {
            let Some(install) = cmd.args().iter().find(|w| w.value() == "install") else {
                continue;
            };
            if !assumes_yes(&cmd) {
                fix.add(part, c, install);
            }
        }
        fix.report(
            out,
            "Use `apt-get install -y`: without it apt-get asks for confirmation",
            "Add `-y` after `install`",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, fixes, passes};

    #[test]
    fn catches_missing_yes() {
        catches(&RULE, "FROM debian:12\nRUN apt-get install curl\n");
        catches(&RULE, "FROM debian:12\nRUN apt-get -q install curl\n");
        catches(&RULE, "FROM debian:12\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install --no-install-recommends curl\n");
    }

    #[test]
    fn passes_every_way_to_say_yes() {
        for y in [
            "-y",
            "-qy",
            "--yes",
            "--assume-yes",
            "-qq",
            "-q -q",
            "-q=2",
            "-o APT::Get::Assume-Yes=true",
        ] {
            passes(
                &RULE,
                &format!("FROM debian:12\nRUN apt-get install {y} curl\n"),
            );
        }
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get -y update && apt-get remove curl\n",
        );
    }

    #[test]
    fn fix_adds_yes_after_install() {
        fixes(
            &RULE,
            "FROM debian:12\nRUN apt-get update \\\n && apt-get install --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*\n",
            "FROM debian:12\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*\n",
        );
        fixes(
            &RULE,
            "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install curl\nEOF\n",
            "FROM debian:12\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n",
        );
        // Every RUN is fixed, nothing else changes.
        fixes(
            &RULE,
            "FROM debian:12\nRUN apt-get install a\n# keep me\nRUN apt-get install \"b\"\n",
            "FROM debian:12\nRUN apt-get install -y a\n# keep me\nRUN apt-get install -y \"b\"\n",
        );
    }
}
