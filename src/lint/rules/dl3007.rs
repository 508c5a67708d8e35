//! DL3007: do not build from `:latest`.

use crate::lint::image::ImageRef;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3007",
    name: "no-latest-tag",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag",
    description: "`latest` moves. Builds that worked stop working, and two builds of the \
same Dockerfile differ. Pin a release tag (or a digest). A digest next to `latest` pins \
it and is accepted. Checked after build arguments are substituted.",
    bad: "FROM node:latest\n",
    good: "FROM node:22-alpine\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for stage in &cx.stages {
        if stage.parent.is_some() {
            continue;
        }
        let r = ImageRef::parse(&stage.base);
        if r.tag == Some("latest") && r.digest.is_none() {
            let item = cx.item(stage.from);
            out.add(item.args_span(), RULE.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_latest() {
        catches(&RULE, "FROM node:latest\n");
        catches(&RULE, "ARG T=latest\nFROM node:$T AS x\n");
    }

    #[test]
    fn passes_pinned() {
        passes(&RULE, "FROM node:22\n");
        passes(&RULE, "FROM node:latest@sha256:abcd\n");
        passes(&RULE, "FROM node\n");
    }
}
