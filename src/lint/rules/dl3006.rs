//! DL3006: always tag the image a stage starts from.

use crate::lint::image::ImageRef;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3006",
    name: "tag-image-version",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Always tag the version of an image explicitly",
    description: "An untagged `FROM` pulls `latest`, which changes under you: the same \
Dockerfile builds a different image next month. Name the version (`debian:12`) or a \
digest. `scratch` and earlier stages need no tag. The image is checked after build \
arguments are substituted, so `FROM $BASE` is judged by the value `ARG BASE=…` gives it, \
and not reported when nothing gives it a value.",
    bad: "FROM debian\n",
    good: "FROM debian:12\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (stage, item, from) in cx.stage_froms() {
        if stage.parent.is_some() {
            continue;
        }
        // A base built from variables nobody set is unknown: say nothing.
        if from.image.contains('$') && cx.expanded.unmatched.iter().any(|(i, _)| *i == stage.from) {
            continue;
        }
        let r = ImageRef::parse(&stage.base);
        if stage.base.is_empty() || r.is_scratch() || r.tag.is_some() || r.digest.is_some() {
            continue;
        }
        out.add(
            item.find(&from.image),
            "Always tag the version of an image explicitly",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_untagged_image() {
        let f = catches(&RULE, "FROM debian\nRUN true\n");
        assert_eq!(f[0].span.start.col, 6);
        assert_eq!(f[0].span.end.col, 12);
        catches(&RULE, "FROM registry.example.com:5000/team/app AS x\n");
    }

    #[test]
    fn catches_untagged_value_of_a_variable() {
        // hadolint skips every `$…` image; the ARG default says what it is.
        catches(&RULE, "ARG BASE=debian\nFROM $BASE\n");
    }

    #[test]
    fn passes_tags_digests_scratch_and_stages() {
        passes(&RULE, "FROM debian:12\n");
        passes(&RULE, "FROM debian@sha256:0123456789abcdef\n");
        passes(&RULE, "FROM scratch\n");
        passes(&RULE, "FROM golang:1.22 AS build\nFROM build\n");
        passes(&RULE, "FROM localhost:5000/app:1\n");
    }

    #[test]
    fn passes_variables_no_fp() {
        passes(&RULE, "ARG BASE=debian:12\nFROM $BASE\n");
        passes(&RULE, "ARG TAG=12\nFROM debian:${TAG}\n");
        passes(&RULE, "FROM $UNSET_BASE\n");
    }
}
