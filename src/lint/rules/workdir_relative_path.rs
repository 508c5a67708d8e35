//! WorkdirRelativePath: the first WORKDIR of a stage chain is absolute.

use super::common::is_absolute;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "WorkdirRelativePath",
    name: "workdir-relative-path",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes",
    description: "A relative `WORKDIR` is resolved against the base image's working \
directory until this build sets an absolute one. Only the first `WORKDIR` of a stage (and \
the stages it is built on) is checked: later relative ones build on it.",
    bad: "FROM alpine:3.20\nWORKDIR app\n",
    good: "FROM alpine:3.20\nWORKDIR /app\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    let mut set = vec![false; cx.stages.len()];
    for stage in &cx.stages {
        let mut s = stage.parent.is_some_and(|p| set[p]);
        for item in cx.stage_items(stage) {
            if let (InstructionKind::Workdir(raw), InstructionKind::Workdir(w)) =
                (item.kind(), item.expanded())
            {
                let unknown = raw.path.contains('$') && w.path.is_empty();
                if !s && !unknown && !is_absolute(&w.path) {
                    out.add(
                        item.args_span(),
                        format!(
                            "Relative workdir {:?} can have unexpected results if the base image changes",
                            w.path
                        ),
                    );
                }
                s = true;
            }
        }
        set[stage.index] = s;
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_first_relative() {
        let f = catches(&RULE, "FROM a:1\nWORKDIR app\nWORKDIR sub\n");
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "Relative workdir \"app\" can have unexpected results if the base image changes"
        );
    }

    #[test]
    fn passes_after_absolute() {
        passes(&RULE, "FROM a:1\nWORKDIR /app\nWORKDIR sub\n");
        passes(&RULE, "FROM a:1 AS b\nWORKDIR /app\nFROM b\nWORKDIR sub\n");
    }
}
