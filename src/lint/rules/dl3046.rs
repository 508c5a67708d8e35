//! DL3046: `useradd -l` with a high UID.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3046",
    name: "useradd-high-uid",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "`useradd` without flag `-l` and high UID will result in excessively large Image",
    description: "`useradd` records every user in `/var/log/lastlog` and `faillog`, sparse \
files indexed by UID: a six-digit UID makes them gigabytes, and image layers do not keep \
files sparse. Pass `-l` (`--no-log-init`) with a high UID. A UID from a variable is not \
judged (hadolint reports `-u ${UID}` whatever its value).",
    bad: "FROM debian:12\nRUN useradd -u 123456 app\n",
    good: "FROM debian:12\nRUN useradd -l -u 123456 app\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.named("useradd").find(|(_, _, cmd)| {
            if cmd.has_any_flag(&["l", "no-log-init"]) {
                return false;
            }
            let args = cmd.args();
            cmd.flags().iter().any(|f| {
                let value = match (&f.inline, f.name.as_str()) {
                    (Some(v), "uid") => Some(v.as_str()),
                    (None, "u" | "uid") => args.get(f.arg + 1).and_then(|w| w.literal()),
                    _ => None,
                };
                value.is_some_and(|v| v.len() > 5 && v.bytes().all(|b| b.is_ascii_digit()))
            })
        });
        if let Some((part, c, _)) = found {
            out.add(
                run.command_span(cx, part, c),
                "Use `useradd -l` with a high UID: without it lastlog/faillog grow huge",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_high_uid_without_l() {
        catches(&RULE, "FROM debian:12\nRUN useradd -u 123456 app\n");
        catches(&RULE, "FROM debian:12\nRUN useradd --uid 1000000 -m app\n");
        catches(&RULE, "FROM debian:12\nRUN useradd --uid=1000000 app\n");
    }

    #[test]
    fn passes_l_low_uids_and_variables() {
        passes(&RULE, "FROM debian:12\nRUN useradd -l -u 123456 app\n");
        passes(
            &RULE,
            "FROM debian:12\nRUN useradd --no-log-init -u 123456 app\n",
        );
        passes(&RULE, "FROM debian:12\nRUN useradd -u 1000 app\n");
        passes(&RULE, "FROM debian:12\nRUN useradd -u ${APP_UID} app\n");
    }
}
