//! DL3000: WORKDIR takes an absolute path.

use super::common::is_absolute;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3000",
    name: "absolute-workdir",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "Use absolute WORKDIR",
    description: "A relative `WORKDIR` is resolved against the previous one, which may come \
from the base image and change with it. Absolute paths say where files go. The path is \
checked after variables are substituted; a path from a variable nobody set is not judged.",
    bad: "FROM alpine:3.20\nWORKDIR app\n",
    good: "FROM alpine:3.20\nWORKDIR /app\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let (InstructionKind::Workdir(raw), InstructionKind::Workdir(w)) =
            (item.kind(), item.expanded())
        else {
            continue;
        };
        let unknown = raw.path.contains('$') && (w.path.is_empty() || w.path == raw.path);
        if unknown || is_absolute(&w.path) {
            continue;
        }
        out.add(item.args_span(), "Use absolute WORKDIR");
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_relative() {
        catches(&RULE, "FROM a:1\nWORKDIR app\n");
        catches(&RULE, "FROM a:1\nARG D=app\nWORKDIR $D\n");
    }

    #[test]
    fn passes_absolute() {
        passes(&RULE, "FROM a:1\nWORKDIR /app\n");
        passes(&RULE, "FROM a:1\nWORKDIR \"/app\"\n");
        passes(&RULE, "FROM a:1\nWORKDIR C:\\\\app\n");
        passes(&RULE, "FROM a:1\nARG D=/srv\nWORKDIR $D/x\n");
        passes(&RULE, "FROM a:1\nWORKDIR $HOME\n");
    }
}
