//! DL3067: do not copy a whole filesystem from another stage.

use super::common::unquote;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3067",
    name: "copy-whole-filesystem",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Do not copy an entire filesystem from another stage",
    description: "`COPY --from=stage / /` drags every file of that stage, including its \
package caches and tools, into this one. Copy the paths you need.",
    bad: "FROM a:1 AS build\nFROM b:1\nCOPY --from=build / /\n",
    good: "FROM a:1 AS build\nFROM b:1\nCOPY --from=build /out /app\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let InstructionKind::Copy(c) = item.expanded() else {
            continue;
        };
        let root = |p: &str| unquote(p) == "/";
        if c.from.is_some() && c.sources.iter().any(|s| root(s)) && root(&c.dest) {
            out.add(item.span(), RULE.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_root_copy() {
        catches(&RULE, "FROM a:1 AS b\nFROM c:1\nCOPY --from=b / /\n");
    }

    #[test]
    fn passes_paths() {
        passes(
            &RULE,
            "FROM a:1 AS b\nFROM c:1\nCOPY --from=b /out /\nCOPY / /\n",
        );
    }
}
