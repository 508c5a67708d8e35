//! FromAsCasing: the `AS` keyword is written in the same case as `FROM`.

use crate::lint::{Context, Fix, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "FromAsCasing",
    name: "from-as-casing",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "The 'as' keyword should match the case of the 'from' keyword",
    description: "Mixed casing such as `FROM debian AS build` next to `FROM alpine as x` \
reads as a mistake. When `FROM` is all upper or all lower case, `AS` should be too (a \
`From` in mixed case is left to ConsistentInstructionCasing). Fixable.",
    bad: "FROM debian:12 as build\n",
    good: "FROM debian:12 AS build\n",
    fixable: true,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (_, item, from) in cx.stage_froms() {
        let Some(as_kw) = &from.as_keyword else {
            continue;
        };
        let kw = &item.node.keyword;
        let want = if *kw == kw.to_lowercase() {
            as_kw.to_lowercase()
        } else if *kw == kw.to_uppercase() {
            as_kw.to_uppercase()
        } else {
            continue;
        };
        if *as_kw == want {
            continue;
        }
        // The AS keyword follows the image.
        let o = &item.node.original;
        let after_image = item.args_offset()
            + o[item.args_offset()..].find(&from.image).unwrap_or(0)
            + from.image.len();
        let Some(rel) = o[after_image..].find(as_kw.as_str()) else {
            continue;
        };
        let at = after_image + rel;
        let span = cx.df.span_in(item.node, at, as_kw.len());
        out.add(
            span,
            format!("'{as_kw}' and '{kw}' keywords' casing do not match"),
        )
        .fix(Fix {
            title: format!("Write '{as_kw}' as '{want}'"),
            edits: vec![cx.edit(item.node, at, as_kw.len(), want)],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, fixes, passes};

    #[test]
    fn catches_mismatched_as() {
        let f = catches(&RULE, "FROM debian:12 as build\n");
        assert_eq!(
            f[0].message,
            "'as' and 'FROM' keywords' casing do not match"
        );
        assert_eq!((f[0].span.start.col, f[0].span.end.col), (16, 18));
        catches(&RULE, "from debian:12 AS build\n");
    }

    #[test]
    fn passes_matching_or_mixed_from() {
        passes(&RULE, "FROM debian:12 AS build\n");
        passes(&RULE, "from debian:12 as build\n");
        passes(&RULE, "From debian:12 as build\n");
        passes(&RULE, "FROM debian:12\n");
    }

    #[test]
    fn fixes_the_keyword_only() {
        fixes(
            &RULE,
            "FROM debian:12 as build\nRUN x\nfrom alpine:3 As b2\n",
            "FROM debian:12 AS build\nRUN x\nfrom alpine:3 as b2\n",
        );
        fixes(
            &RULE,
            "FROM \\\n  img:1 \\\n  as x\n",
            "FROM \\\n  img:1 \\\n  AS x\n",
        );
    }
}
