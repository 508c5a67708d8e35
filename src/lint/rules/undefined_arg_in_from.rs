//! UndefinedArgInFrom: FROM uses only declared ARGs.

use super::common::suggest;
use crate::dockerfile::shell::Lex;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "UndefinedArgInFrom",
    name: "undefined-arg-in-from",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "FROM command must use declared ARGs",
    description: "`FROM` sees only the `ARG`s declared before the first `FROM` (and the \
predefined platform arguments). A variable nobody declared expands to nothing, often a \
typo.",
    bad: "ARG VERSION=3.20\nFROM alpine:${VERSIN}\n",
    good: "ARG VERSION=3.20\nFROM alpine:${VERSION}\n",
    fixable: false,
    check,
};

const PREDEFINED: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

fn check(cx: &Context, out: &mut Report) {
    let mut declared: Vec<(String, String)> = PREDEFINED
        .iter()
        .map(|k| (k.to_string(), String::new()))
        .collect();
    for &i in &cx.typed.meta_args {
        if let InstructionKind::Arg(a) = &cx.typed.items[i].kind {
            declared.extend(a.pairs.iter().map(|p| (p.key.clone(), String::new())));
        }
    }
    let keys: Vec<&str> = declared
        .iter()
        .filter(|(k, _)| !PREDEFINED.contains(&k.as_str()))
        .map(|(k, _)| k.as_str())
        .collect();
    let lex = Lex::new(cx.df.escape);
    for (_, item, f) in cx.stage_froms() {
        for word in std::iter::once(&f.image).chain(&f.platform) {
            if !word.contains('$') {
                continue;
            }
            let Ok(p) = lex.process(word, &declared) else {
                continue;
            };
            for name in p.unmatched {
                let mut msg = format!("FROM argument '{name}' is not declared");
                if let Some(s) = suggest(&name, keys.iter().copied()) {
                    msg.push_str(&format!(" (did you mean {s}?)"));
                }
                out.add(item.find(&name), msg);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_undeclared() {
        let f = catches(&RULE, "ARG VERSION=1\nFROM a:${VERSIN}\n");
        assert_eq!(
            f[0].message,
            "FROM argument 'VERSIN' is not declared (did you mean VERSION?)"
        );
        catches(&RULE, "FROM a:1\nARG TAG=2\nFROM b:$TAG\n");
    }

    #[test]
    fn passes_declared_and_predefined() {
        passes(
            &RULE,
            "ARG TAG\nFROM a:$TAG\nFROM --platform=$BUILDPLATFORM b:1\n",
        );
    }
}
