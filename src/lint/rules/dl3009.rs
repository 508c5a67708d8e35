//! DL3009: delete the apt lists after installing.

use crate::lint::rules::run_scripts::{removes_recursively, run_scripts, stage_is_kept};
use crate::lint::shell::Cmd;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3009",
    name: "apt-lists-cleanup",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "Delete the apt lists (`/var/lib/apt/lists`) after installing something",
    description: "`apt-get update` downloads package lists (tens of MB) into \
`/var/lib/apt/lists`; unless the same `RUN` deletes them, they stay in the layer forever. \
End the `RUN` with `rm -rf /var/lib/apt/lists/*`, or keep them out of the image with a \
cache or tmpfs mount (`RUN --mount=type=cache,target=/var/lib/apt/lists …`, or on \
`/var/lib/apt`). `apt-get dist-clean` (apt 2.7 and later) deletes them too. Only stages whose files reach an image count: the final stage and \
stages other stages are built `FROM`; a build stage only copied from is not reported.",
    bad: "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8\n",
    good: "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \\\n && rm -rf /var/lib/apt/lists/*\n",
    fixable: false,
    check,
};

const LISTS: &str = "/var/lib/apt/lists";

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        if !stage_is_kept(cx, run.stage) || run.has_cache_mount(LISTS) {
            continue;
        }
        let update = run.effective().find(|(_, _, cmd)| {
            (cmd.is("apt-get") || cmd.is("apt") || cmd.is("aptitude")) && cmd.has_arg("update")
        });
        let Some((part, c, _)) = update else { continue };
        let cleans = |cmd: &Cmd| {
            removes_recursively(cmd, LISTS)
                // apt ≥ 2.7: `dist-clean` also deletes the lists.
                || ((cmd.is("apt-get") || cmd.is("apt")) && cmd.has_any_arg(&["dist-clean", "distclean"]))
        };
        if run.effective().any(|(_, _, cmd)| cleans(&cmd)) {
            continue;
        }
        out.add(
            run.command_span(cx, part, c),
            "Delete the apt lists (`rm -rf /var/lib/apt/lists/*`) in the RUN that downloads them",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_lists_left_behind() {
        catches(
            &RULE,
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
        );
        catches(&RULE, "FROM debian:12\nRUN apt update\n");
        // Removing something else is not cleaning up (hadolint accepts any
        // `rm -rf`).
        catches(
            &RULE,
            "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /tmp/*\n",
        );
        // A stage other stages build on ends up in an image.
        catches(
            &RULE,
            "FROM debian:12 AS base\nRUN apt-get update\nFROM base\nRUN true\n",
        );
        // A cache mount elsewhere does not help.
        catches(
            &RULE,
            "FROM debian:12\nRUN --mount=type=cache,target=/var/cache/apt apt-get update\n",
        );
    }

    #[test]
    fn passes_cleanup_mounts_and_build_stages() {
        passes(&RULE, "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n");
        passes(
            &RULE,
            "FROM debian:12\nRUN apt-get update; rm -r /var/lib/apt/lists\n",
        );
        passes(
            &RULE,
            "FROM debian:13\nRUN apt-get update; apt-get install -y x; apt-get dist-clean\n",
        );
        passes(
            &RULE,
            "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update\n",
        );
        // A cache mount above the lists keeps them out too (hadolint wants
        // both /var/lib/apt and /var/cache/apt mounted).
        passes(&RULE, "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update\n");
        passes(
            &RULE,
            "FROM debian:12\nRUN --mount=type=tmpfs,target=/var/lib/apt/lists apt-get update\n",
        );
        // Only copied from: its lists never reach the final image.
        passes(&RULE, "FROM debian:12 AS build\nRUN apt-get update && apt-get install -y gcc\nFROM debian:12\nCOPY --from=build /out /out\n");
    }
}
