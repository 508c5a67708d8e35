//! DL4000: MAINTAINER is deprecated.

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL4000",
    name: "maintainer-deprecated",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "MAINTAINER is deprecated",
    description: "`MAINTAINER` sets the image's `Author` field, which the OCI image format \
dropped. Put the author in a label (`org.opencontainers.image.authors`) where tools look \
for it. BuildKit reports the same as `MaintainerDeprecated`, which can fix it.",
    bad: "FROM alpine:3.20\nMAINTAINER Jane <jane@example.com>\n",
    good: "FROM alpine:3.20\nLABEL org.opencontainers.image.authors=\"Jane <jane@example.com>\"\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        if let InstructionKind::Maintainer(_) = item.kind() {
            out.add(item.keyword_span(), "MAINTAINER is deprecated");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_maintainer() {
        let f = catches(&RULE, "FROM a:1\nmaintainer me\n");
        assert_eq!(f[0].span.start.line, 2);
    }

    #[test]
    fn passes_label() {
        passes(&RULE, "FROM a:1\nLABEL maintainer=me\n");
    }
}
