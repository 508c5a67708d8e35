//! LegacyKeyValueFormat: `ENV key=value`, not `ENV key value`.

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Fix, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "LegacyKeyValueFormat",
    name: "legacy-key-value-format",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Legacy key/value format with whitespace separator should not be used",
    description: "`ENV key value` takes the whole rest of the line as the value, so a \
second pair cannot follow and `ENV A B=C` means something surprising. Write `key=value`. \
Fixable when the value keeps its meaning (it is quoted if it holds spaces).",
    bad: "FROM a:1\nENV VERSION 1.2\nLABEL maintainer Jane Doe\n",
    good: "FROM a:1\nENV VERSION=1.2\nLABEL maintainer=\"Jane Doe\"\n",
    fixable: true,
    check,
};

/// The value text for `key=…` that means what `raw` meant in the legacy
/// form, if there is an obvious one.
fn convert(raw: &str, escape: char) -> Option<String> {
    let mut quote = None;
    let mut unquoted_space = false;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == escape => {
                chars.next();
            }
            Some(_) => {}
            None if c == escape => {
                chars.next();
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => unquoted_space = true,
            None => {}
        }
    }
    if quote.is_some() {
        return None;
    }
    if !unquoted_space {
        return Some(raw.to_string());
    }
    if raw.contains(['"', '\'', escape]) {
        return None;
    }
    Some(format!("\"{raw}\""))
}

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let pairs = match item.kind() {
            InstructionKind::Env(e) => &e.pairs,
            InstructionKind::Label(l) => &l.pairs,
            _ => continue,
        };
        let Some(p) = pairs.iter().find(|p| p.legacy) else {
            continue;
        };
        let kw = &item.node.keyword;
        let f = out.add(
            item.args_span(),
            format!(
                "\"{kw} key=value\" should be used instead of legacy \"{kw} key value\" format"
            ),
        );
        if let Some(v) = convert(&p.value, cx.df.escape) {
            let at = item.args_offset();
            let end = item.node.original.trim_end().len();
            f.fix(Fix {
                title: format!("Write {}={v}", p.key),
                edits: vec![cx.edit(item.node, at, end - at, format!("{}={v}", p.key))],
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, fixes, passes};

    #[test]
    fn catches_legacy() {
        let f = catches(&RULE, "FROM a:1\nENV A 1\n");
        assert_eq!(
            f[0].message,
            "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format"
        );
        catches(&RULE, "FROM a:1\nlabel a b c\n");
    }

    #[test]
    fn passes_key_value() {
        passes(&RULE, "FROM a:1\nENV A=1 B=\"x y\"\nLABEL a=b\n");
    }

    #[test]
    fn fixes_keeping_the_value() {
        fixes(
            &RULE,
            "FROM a:1\nENV A 1\nENV B \"x y\"\nLABEL c hello  world\nENV D $HOME/x\n",
            "FROM a:1\nENV A=1\nENV B=\"x y\"\nLABEL c=\"hello  world\"\nENV D=$HOME/x\n",
        );
        let src = "FROM a:1\nENV A 1\nENV B \"x y\"\nLABEL c hello  world\nENV D $HOME/x\n";
        let fixed = crate::lint::fix_source(src, &Default::default(), &Default::default()).0;
        let values = |s: &str| {
            let df = crate::dockerfile::parse(s);
            let t = df.instructions();
            let e = crate::dockerfile::expand(&df, &t, &Default::default());
            e.items
                .iter()
                .flatten()
                .filter_map(|k| match k {
                    crate::dockerfile::InstructionKind::Env(e) => Some(e.pairs.clone()),
                    crate::dockerfile::InstructionKind::Label(l) => Some(l.pairs.clone()),
                    _ => None,
                })
                .flatten()
                .map(|p| (p.key, p.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(values(src), values(&fixed));
    }
}
