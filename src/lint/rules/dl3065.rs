//! DL3065: `FROM --platform=$TARGETPLATFORM` is redundant.

use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3065",
    name: "redundant-target-platform",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Setting `FROM --platform` to predefined `$TARGETPLATFORM` in is redundant as this is the default behavior",
    description: "Stages are built for the target platform by default; saying so adds \
nothing.",
    bad: "FROM --platform=$TARGETPLATFORM alpine:3.20\n",
    good: "FROM alpine:3.20\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (_, item, f) in cx.stage_froms() {
        if matches!(
            f.platform.as_deref(),
            Some("$TARGETPLATFORM" | "${TARGETPLATFORM}")
        ) {
            out.add(item.find_flag("platform"), RULE.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_target_platform() {
        catches(&RULE, "FROM --platform=${TARGETPLATFORM} a:1\n");
    }

    #[test]
    fn passes_build_platform() {
        passes(&RULE, "FROM --platform=$BUILDPLATFORM a:1\nFROM a:1\n");
    }
}
