//! CopyIgnoredFile: COPY/ADD sources are not excluded by `.dockerignore`.

use crate::dockerfile::InstructionKind;
use crate::lint::dockerignore::clean;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "CopyIgnoredFile",
    name: "copy-ignored-file",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Attempting to Copy file that is excluded by .dockerignore",
    description: "A source that `.dockerignore` excludes is not sent to the builder, so \
the `COPY` fails or copies nothing. Checked when the build context is known (`layerkit \
lint --context DIR`). As in BuildKit, a `.dockerignore` with `!` re-inclusions is not \
judged.",
    bad: "# .dockerignore: *.md\nFROM a:1\nCOPY README.md /doc/\n",
    good: "# .dockerignore: *.md\nFROM a:1\nCOPY docs/ /doc/\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    let Some(ignore) = &cx.dockerignore else {
        return;
    };
    if ignore.has_exclusions() {
        return;
    }
    let root_ignored = ignore
        .patterns
        .iter()
        .any(|(p, _)| matches!(p.as_str(), "*" | "**" | "**/*"));
    for item in cx.items() {
        let (cmd, sources) = match item.expanded() {
            InstructionKind::Copy(c) if c.from.is_none() => ("Copy", &c.sources),
            InstructionKind::Add(a) => ("Add", &a.sources),
            _ => continue,
        };
        for src in sources {
            if src.contains("://") || src.starts_with("git@") {
                continue;
            }
            let s = clean(src);
            let s = s.trim_start_matches('/');
            let s = if s.is_empty() { "." } else { s };
            if (s == "." && !root_ignored) || !ignore.matches(s) {
                continue;
            }
            out.add(
                item.find(src),
                format!("Attempting to {cmd} file {s:?} that is excluded by .dockerignore"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{check_with, passes};
    use crate::lint::{Config, Inputs};

    fn run(src: &str, ignore: &str) -> Vec<crate::lint::Finding> {
        check_with(
            &RULE,
            src,
            &Config::default(),
            &Inputs {
                dockerignore: Some(ignore),
            },
        )
    }

    #[test]
    fn catches_ignored_sources() {
        let f = run("FROM a:1\nCOPY README.md ./src /app/\n", "*.md\n");
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "Attempting to Copy file \"README.md\" that is excluded by .dockerignore"
        );
        assert_eq!(
            run("FROM a:1\nADD node_modules/x /x\n", "node_modules\n").len(),
            1
        );
    }

    #[test]
    fn passes_kept_files_and_other_stages() {
        assert!(run("FROM a:1\nCOPY src /app/\nCOPY . /app\n", "*.md\n").is_empty());
        assert!(run(
            "FROM a:1 AS b\nFROM c:1\nCOPY --from=b README.md /x\n",
            "*.md\n"
        )
        .is_empty());
        assert!(run("FROM a:1\nCOPY README.md /x\n", "*.md\n!README.md\n").is_empty());
        passes(&RULE, "FROM a:1\nCOPY README.md /x\n");
    }
}
