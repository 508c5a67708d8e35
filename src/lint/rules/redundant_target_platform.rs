//! RedundantTargetPlatform: `FROM --platform=$TARGETPLATFORM` is the default.

use super::common::var_refs;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "RedundantTargetPlatform",
    name: "redundant-target-platform",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
    description: "Stages are built for the target platform unless told otherwise; \
`--platform=$TARGETPLATFORM` says nothing new.",
    bad: "FROM --platform=$TARGETPLATFORM alpine:3.20\n",
    good: "FROM alpine:3.20\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (_, item, f) in cx.stage_froms() {
        let Some(p) = &f.platform else { continue };
        let refs = var_refs(p, cx.df.escape);
        let stripped = p
            .replace("${TARGETPLATFORM}", "")
            .replace("$TARGETPLATFORM", "")
            .replace('"', "");
        if refs == ["TARGETPLATFORM"] && stripped.is_empty() {
            out.add(
                item.find_flag("platform"),
                format!("Setting platform to predefined {p} in FROM is redundant as this is the default behavior"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_target_platform() {
        let f = catches(&RULE, "FROM --platform=${TARGETPLATFORM} a:1\n");
        assert!(f[0].message.contains("${TARGETPLATFORM}"));
    }

    #[test]
    fn passes_others() {
        passes(
            &RULE,
            "FROM --platform=$BUILDPLATFORM a:1\nFROM --platform=linux/$TARGETARCH b:1\n",
        );
    }
}
