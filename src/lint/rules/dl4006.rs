//! DL4006: set `-o pipefail` before a `RUN` with a pipe.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::shell::{basename, is_posix_shell};
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL4006",
    name: "pipefail",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Set the SHELL option `-o pipefail` before RUN with a pipe in it",
    description: "A pipeline's status is its last command's: in `curl -fsSL $URL | tar -xz` \
a failed download is ignored when `tar` exits 0, and the build goes on with a broken \
layer. `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` makes every later `RUN` fail \
when any part of a pipe fails (on Alpine, `/bin/ash` supports it too). A `set -o \
pipefail` in the `RUN` before the pipe counts as well. The `SHELL` of a parent stage \
carries over to stages built `FROM` it.",
    bad: "FROM debian:12\nRUN curl -fsSL https://x/y.tar.gz | tar -xz\n",
    good: "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -fsSL https://x/y.tar.gz | tar -xz\n",
    fixable: false,
    check,
};

/// Whether a `SHELL` value turns pipefail on: a POSIX shell with `-o
/// pipefail` (also `-euo pipefail`).
fn shell_has_pipefail(shell: &[String]) -> bool {
    let Some(exe) = shell.first() else {
        return false;
    };
    is_posix_shell(basename(exe))
        && shell.windows(2).any(|w| {
            w[0].starts_with('-')
                && !w[0].starts_with("--")
                && w[0].contains('o')
                && w[1] == "pipefail"
        })
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        if run.onbuild || shell_has_pipefail(cx.shell_at(run.item.index)) {
            continue;
        }
        let pipe = run.parts.iter().find_map(|p| {
            let s = &p.script;
            let first = s.pipes.first()?;
            (!s.pipefail_before(first.start)).then(|| (p, first.clone()))
        });
        if let Some((part, pipe)) = pipe {
            out.add(
                run.span(cx, part, pipe),
                "Set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before a RUN with a pipe, so a failure inside the pipe fails the build",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_pipes_without_pipefail() {
        let f = catches(&RULE, "FROM debian:12\nRUN curl -fsSL u | tar -xz\n");
        assert_eq!((f[0].span.start.col, f[0].span.end.col), (18, 19));
        catches(&RULE, "FROM debian:12\nRUN x=\"$(ls | head -1)\"\n");
        catches(
            &RULE,
            "FROM debian:12\nSHELL [\"/bin/bash\", \"-c\"]\nRUN a | b\n",
        );
        catches(
            &RULE,
            "FROM debian:12\nRUN <<EOF\nset -e\ncurl u | sh\nEOF\n",
        );
        // Set after the pipe: too late.
        catches(&RULE, "FROM debian:12\nRUN a | b; set -o pipefail\n");
    }

    #[test]
    fn passes_pipefail_shell_and_scripts() {
        passes(
            &RULE,
            "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN a | b\n",
        );
        passes(
            &RULE,
            "FROM alpine:3\nSHELL [\"/bin/ash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN a | b\n",
        );
        passes(&RULE, "FROM debian:12\nRUN a || b\n");
        // hadolint ignores a `set -o pipefail` in the RUN.
        passes(
            &RULE,
            "FROM debian:12\nRUN set -euxo pipefail; curl u | tar -x\n",
        );
        // hadolint forgets the SHELL at every FROM; a stage built from
        // another keeps it.
        passes(&RULE, "FROM debian:12 AS base\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nFROM base\nRUN a | b\n");
        passes(&RULE, "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL [\"powershell\", \"-Command\"]\nRUN Get-Item x | Select-Object\n");
        // The pipe runs in a shell of its own, which SHELL cannot reach.
        passes(
            &RULE,
            "FROM debian:12\nRUN [\"/bin/sh\", \"-c\", \"a | b\"]\n",
        );
    }
}
