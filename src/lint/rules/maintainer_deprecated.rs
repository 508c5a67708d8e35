//! MaintainerDeprecated: use a label instead of `MAINTAINER`.

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Fix, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "MaintainerDeprecated",
    name: "maintainer-deprecated",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary:
        "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
    description: "`MAINTAINER` fills the image's deprecated `Author` field. The label \
`org.opencontainers.image.authors` is where registries and scanners look. The fix \
replaces the instruction with that label, quoting the name.",
    bad: "FROM alpine:3.20\nMAINTAINER Jane <jane@example.com>\n",
    good: "FROM alpine:3.20\nLABEL org.opencontainers.image.authors=\"Jane <jane@example.com>\"\n",
    fixable: true,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let InstructionKind::Maintainer(m) = item.kind() else {
            continue;
        };
        let label = if item.node.keyword == item.node.keyword.to_lowercase() {
            "label"
        } else {
            "LABEL"
        };
        let text = format!(
            "{label} org.opencontainers.image.authors={}",
            quote(&m.name, cx.df.escape)
        );
        let len = item.node.original.len();
        let fix = Fix {
            title: "Replace MAINTAINER with the org.opencontainers.image.authors label".into(),
            edits: vec![cx.edit(item.node, 0, len, text)],
        };
        out.add(
            item.keyword_span(),
            "Maintainer instruction is deprecated in favor of using label",
        )
        .fix(fix);
    }
}

/// A double-quoted LABEL value that reads back as `s` (quotes, escapes and
/// `$` escaped: label values are expanded).
fn quote(s: &str, escape: char) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == escape || c == '$' {
            out.push(escape);
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::dockerfile::{self, InstructionKind};
    use crate::lint::testing::{catches, fixes, passes};

    #[test]
    fn catches_maintainer() {
        let f = catches(&RULE, "FROM a:1\nMAINTAINER me\n");
        assert_eq!(f[0].span.start.line, 2);
    }

    #[test]
    fn passes_label() {
        passes(
            &RULE,
            "FROM a:1\nLABEL org.opencontainers.image.authors=me\n",
        );
    }

    #[test]
    fn fixes_to_a_label_with_the_same_value() {
        let src = "FROM a:1\nMAINTAINER Jane \"J\" <j@x.org> $HOME\nRUN x\n";
        fixes(
            &RULE,
            src,
            "FROM a:1\nLABEL org.opencontainers.image.authors=\"Jane \\\"J\\\" <j@x.org> \\$HOME\"\nRUN x\n",
        );
        let fixed = crate::lint::fix_source(src, &Default::default(), &Default::default()).0;
        let df = dockerfile::parse(&fixed);
        let t = df.instructions();
        let e = dockerfile::expand(&df, &t, &Default::default());
        let Some(InstructionKind::Label(l)) = &e.items[1] else {
            panic!("{fixed}")
        };
        assert_eq!(l.pairs[0].value, "Jane \"J\" <j@x.org> $HOME");
        fixes(
            &RULE,
            "from a:1\nmaintainer me\n",
            "from a:1\nlabel org.opencontainers.image.authors=\"me\"\n",
        );
    }
}
