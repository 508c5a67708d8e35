//! DL3021: COPY of several sources needs a directory destination.

use super::common::unquote;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3021",
    name: "copy-dest-dir",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "COPY with more than 2 arguments requires the last argument to end with /",
    description: "When several sources are copied the destination must be a directory, \
written with a trailing `/`; otherwise the build fails. Checked after variables are \
substituted.",
    bad: "FROM a:1\nCOPY a.txt b.txt /dst\n",
    good: "FROM a:1\nCOPY a.txt b.txt /dst/\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let InstructionKind::Copy(c) = item.expanded() else {
            continue;
        };
        let n = c.sources.len() + c.heredocs.len();
        if n > 1 && !unquote(&c.dest).ends_with('/') {
            let InstructionKind::Copy(raw) = item.kind() else {
                continue;
            };
            out.add(item.find(&raw.dest), RULE.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_file_destination() {
        catches(&RULE, "FROM a:1\nCOPY a b /dst\n");
        catches(&RULE, "FROM a:1\nARG D=/dst\nCOPY a b $D\n");
    }

    #[test]
    fn passes_directory_destination() {
        passes(&RULE, "FROM a:1\nCOPY a b /dst/\n");
        passes(&RULE, "FROM a:1\nCOPY a /dst\n");
        passes(&RULE, "FROM a:1\nARG D=/dst/\nCOPY a b $D\n");
    }
}
