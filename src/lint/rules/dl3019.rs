//! DL3019: `apk add --no-cache`.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3019",
    name: "apk-no-cache",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages",
    description: "`apk add` without `--no-cache` leaves the package index in \
`/var/cache/apk` in the layer. `apk add --no-cache` fetches a fresh index and keeps \
nothing. A cache mount on `/var/cache/apk` (`RUN --mount=type=cache,target=/var/cache/apk \
…`) keeps the cache out of the image too, and `--no-network` installs download nothing.",
    bad: "FROM alpine:3.20\nRUN apk update && apk add curl=8.11.1-r0\n",
    good: "FROM alpine:3.20\nRUN apk add --no-cache curl=8.11.1-r0\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        if run.has_cache_mount("/var/cache/apk") || run.has_cache_mount("/etc/apk/cache") {
            continue;
        }
        let found = run.named("apk").find(|(_, _, cmd)| {
            cmd.has_arg("add") && !cmd.has_any_flag(&["no-cache", "no-network"])
        });
        if let Some((part, c, _)) = found {
            out.add(
                run.command_span(cx, part, c),
                "Use `apk add --no-cache` so the package index does not stay in the layer",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_cache_left_behind() {
        catches(&RULE, "FROM alpine:3.20\nRUN apk add curl\n");
        catches(
            &RULE,
            "FROM alpine:3.20\nRUN apk update && apk add --virtual .d gcc\n",
        );
        catches(
            &RULE,
            "FROM alpine:3.20\nRUN --mount=type=cache,target=/root/.cache apk add x\n",
        );
    }

    #[test]
    fn passes_no_cache_and_mounts() {
        passes(&RULE, "FROM alpine:3.20\nRUN apk add --no-cache curl\n");
        passes(&RULE, "FROM alpine:3.20\nRUN apk --no-cache add curl\n");
        passes(
            &RULE,
            "FROM alpine:3.20\nRUN --mount=type=cache,target=/var/cache/apk apk add curl\n",
        );
        passes(
            &RULE,
            "FROM alpine:3.20\nRUN --mount=type=tmpfs,target=/var/cache apk add curl\n",
        );
        // Installing from what is already there downloads nothing.
        passes(&RULE, "FROM alpine:3.20\nRUN apk add --no-network --virtual .rundeps so:libc.musl-x86_64.so.1\n");
        passes(&RULE, "FROM alpine:3.20\nRUN apk del curl\n");
    }
}
