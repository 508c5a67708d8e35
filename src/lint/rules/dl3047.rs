//! DL3047: `wget` without a progress setting floods the build log.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3047",
    name: "wget-progress",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "Avoid use of wget without progress bar: use `wget --progress=dot:giga <url>`, or `-q`/`-nv`",
    description: "Without a terminal, wget prints a dot-per-kilobyte progress display: a \
large download writes megabytes of dots into the build log. `--progress=dot:giga` keeps \
it short; `-q` (`--quiet`) and `-nv` (`--no-verbose`) silence it, and `-o`/`-a` send it \
to a file.",
    bad: "FROM debian:12\nRUN wget https://example.com/big.tar.gz\n",
    good: "FROM debian:12\nRUN wget --progress=dot:giga https://example.com/big.tar.gz\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let found = run.named("wget").find(|(_, _, cmd)| {
            !cmd.has_any_flag(&[
                "progress",
                "q",
                "quiet",
                "o",
                "output-file",
                "a",
                "append-output",
                "no-verbose",
            ]) && !cmd.has_arg("-nv")
        });
        if let Some((part, c, _)) = found {
            out.add(
                run.command_span(cx, part, c),
                "Use `wget --progress=dot:giga` (or `-q`, `-nv`): the default progress output floods the build log",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_noisy_wget() {
        catches(&RULE, "FROM debian:12\nRUN wget https://x/y\n");
        catches(&RULE, "FROM debian:12\nRUN wget -O /tmp/y https://x/y\n");
        catches(&RULE, "FROM debian:12\nRUN x=$(wget -O- https://x/y)\n");
    }

    #[test]
    fn passes_quiet_wget() {
        for ok in [
            "wget --progress=dot:giga https://x/y",
            "wget -q https://x/y",
            "wget -qO- https://x/y",
            "wget -nv https://x/y",
            "wget --no-verbose https://x/y",
            "wget -o /tmp/log https://x/y",
            "wget --append-output=/tmp/log https://x/y",
            "curl -fsSL https://x/y",
        ] {
            passes(&RULE, &format!("FROM debian:12\nRUN {ok}\n"));
        }
    }
}
