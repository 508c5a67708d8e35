//! DL3029: no `FROM --platform`.

use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3029",
    name: "no-from-platform",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Do not use --platform flag with FROM",
    description: "A fixed `--platform` makes the image the same architecture whatever the \
build is for, which breaks multi-platform builds. `$BUILDPLATFORM` and \
`$TARGETPLATFORM` are the intended uses and are accepted.",
    bad: "FROM --platform=linux/amd64 debian:12\n",
    good: "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (_, item, f) in cx.stage_froms() {
        if let Some(p) = &f.platform {
            if !p.contains("BUILDPLATFORM") && !p.contains("TARGETPLATFORM") {
                out.add(item.find_flag("platform"), RULE.summary);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_fixed_platform() {
        catches(&RULE, "FROM --platform=linux/arm64 a:1\n");
    }

    #[test]
    fn passes_build_or_target_platform() {
        passes(
            &RULE,
            "FROM --platform=$BUILDPLATFORM a:1\nFROM --platform=${TARGETPLATFORM} b:1\nFROM c:1\n",
        );
    }
}
