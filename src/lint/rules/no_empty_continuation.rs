//! NoEmptyContinuation: no empty lines inside a continued instruction.

use crate::lint::{Context, Fix, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "NoEmptyContinuation",
    name: "no-empty-continuation",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Empty continuation lines will become errors in a future release",
    description: "An empty line after a `\\` continuation is skipped today, but it looks \
like the end of the instruction and BuildKit plans to refuse it. Fixable: the empty \
lines are removed.",
    bad: "FROM a:1\nRUN apk add \\\n\n    curl\n",
    good: "FROM a:1\nRUN apk add \\\n    curl\n",
    fixable: true,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for d in &cx.df.diagnostics {
        if d.code != "NoEmptyContinuation" {
            continue;
        }
        let node = cx
            .df
            .nodes
            .iter()
            .find(|n| n.span.start.line == d.span.start.line);
        let f = out.add(d.span, "Empty continuation line");
        let Some(node) = node.filter(|n| n.heredocs.is_empty()) else {
            continue;
        };
        let idx = cx.df.line_index();
        let mut edits = Vec::new();
        for line in node.start_line + 1..node.end_line {
            if cx.df.line(line).trim().is_empty() {
                if let (Some(a), Some(b)) = (idx.line_start(line), idx.line_start(line + 1)) {
                    edits.push(cx.edit_bytes(a, b, ""));
                }
            }
        }
        if !edits.is_empty() {
            f.fix(Fix {
                title: "Remove the empty lines".into(),
                edits,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, fixes, passes};

    #[test]
    fn catches_empty_line() {
        catches(&RULE, "FROM a:1\nRUN a \\\n\n  b\n");
    }

    #[test]
    fn passes_comment_lines() {
        passes(&RULE, "FROM a:1\nRUN a \\\n# note\n  b\n");
    }

    #[test]
    fn fixes_by_removing_lines() {
        fixes(
            &RULE,
            "FROM a:1\nRUN a \\\n\n  \n  b\nRUN c\n",
            "FROM a:1\nRUN a \\\n  b\nRUN c\n",
        );
    }
}
