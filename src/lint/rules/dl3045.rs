//! DL3045: COPY to a relative destination needs a WORKDIR.

use super::common::{is_absolute, unquote};
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3045",
    name: "copy-relative-without-workdir",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "`COPY` to a relative destination without `WORKDIR` set.",
    description: "A relative `COPY` destination is resolved against the working directory, \
which the base image chooses unless this stage (or a stage it is built on) sets \
`WORKDIR`. Set it first, or copy to an absolute path. The destination is checked after \
variables are substituted.",
    bad: "FROM node:22\nCOPY package.json .\n",
    good: "FROM node:22\nWORKDIR /app\nCOPY package.json .\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    let mut workdir_set = vec![false; cx.stages.len()];
    for stage in &cx.stages {
        let mut set = stage.parent.is_some_and(|p| workdir_set[p]);
        for item in cx.stage_items(stage) {
            match (item.kind(), item.expanded()) {
                (InstructionKind::Workdir(_), _) => set = true,
                (InstructionKind::Copy(raw), InstructionKind::Copy(c)) if !set => {
                    let dest = unquote(&c.dest);
                    let unknown =
                        raw.dest.starts_with('$') && (dest.is_empty() || dest == raw.dest);
                    if !unknown && !is_absolute(dest) {
                        out.add(item.find(&raw.dest), RULE.summary);
                    }
                }
                _ => {}
            }
        }
        workdir_set[stage.index] = set;
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_relative_without_workdir() {
        catches(&RULE, "FROM a:1\nCOPY x .\n");
        catches(&RULE, "FROM a:1\nCOPY x app/\nWORKDIR /app\n");
        catches(&RULE, "FROM a:1\nARG D=rel\nCOPY x $D\n");
    }

    #[test]
    fn passes_absolute_or_after_workdir() {
        passes(&RULE, "FROM a:1\nCOPY x /app/\n");
        passes(&RULE, "FROM a:1\nWORKDIR /app\nCOPY x .\n");
        passes(&RULE, "FROM a:1 AS b\nWORKDIR /app\nFROM b\nCOPY x .\n");
        passes(&RULE, "FROM a:1\nARG D=/app\nCOPY x $D\n");
        passes(&RULE, "FROM a:1\nCOPY x $HOME\n");
    }
}
