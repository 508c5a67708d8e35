//! DL3027: use `apt-get`/`apt-cache`, not `apt`.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3027",
    name: "no-apt",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Do not use `apt`, it is meant for people at a terminal; use `apt-get` or `apt-cache`",
    description: "`apt` is the interactive front end: its output and behaviour may change \
between releases and it warns that it has no stable command-line interface. Scripts \
should use `apt-get` and `apt-cache`, whose interfaces are stable.",
    bad: "FROM debian:12\nRUN apt update && apt install -y curl\n",
    good: "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        if let Some((part, c, _)) = run.named("apt").next() {
            out.add(
                run.command_span(cx, part, c),
                "Do not use apt in scripts: use apt-get or apt-cache",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_apt() {
        catches(&RULE, "FROM debian:12\nRUN apt update\n");
        catches(
            &RULE,
            "FROM debian:12\nRUN DEBIAN_FRONTEND=noninteractive apt install -y x\n",
        );
    }

    #[test]
    fn passes_apt_get_and_apt_cache() {
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get update && apt-cache policy curl && apt-mark hold x\n",
        );
        passes(&RULE, "FROM debian:12\nRUN echo apt\n");
    }
}
