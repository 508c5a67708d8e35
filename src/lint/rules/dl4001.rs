//! DL4001: use either wget or curl, not both.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL4001",
    name: "wget-or-curl",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Either use wget or curl but not both",
    description: "Both tools do the same job; needing both in one stage means installing \
and maintaining two. Pick one. Reported on each `RUN` that uses one of them once the \
stage has used both.",
    bad: "FROM debian:12\nRUN wget -q https://x/a\nRUN curl -fsSL https://x/b\n",
    good: "FROM debian:12\nRUN curl -fsSLO https://x/a\nRUN curl -fsSL https://x/b\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    let mut seen = (false, false);
    let mut stage = None;
    for run in run_scripts(cx).iter() {
        let s = run.stage.map(|s| s.index);
        if s != stage {
            stage = s;
            seen = (false, false);
        }
        let curl = run.named("curl").next();
        let wget = run.named("wget").next();
        seen.0 |= curl.is_some();
        seen.1 |= wget.is_some();
        if seen.0 && seen.1 {
            if let Some((part, c, _)) = curl.or(wget) {
                out.add(
                    run.command_span(cx, part, c),
                    "Either use wget or curl, not both",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_both_tools() {
        let f = catches(
            &RULE,
            "FROM debian:12\nRUN wget -q u\nRUN true\nRUN curl -fsS u\n",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].span.start.line, 4);
        catches(&RULE, "FROM debian:12\nRUN curl -fsS u | sh && wget -q v\n");
    }

    #[test]
    fn passes_one_tool_per_stage() {
        passes(&RULE, "FROM debian:12\nRUN curl -fsS u\nRUN curl -fsS v\n");
        passes(
            &RULE,
            "FROM debian:12\nRUN wget -q u\nFROM debian:12\nRUN curl -fsS u\n",
        );
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get install -y curl=7 wget=1\n",
        );
    }
}
