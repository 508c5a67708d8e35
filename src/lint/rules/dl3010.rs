//! DL3010: use `ADD` to extract a local archive.

use std::collections::BTreeMap;

use crate::dockerfile::InstructionKind;
use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::shell::{basename, Cmd};
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3010",
    name: "use-add-for-archives",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "Use `ADD` for extracting archives into an image",
    description: "`COPY app.tar.gz /tmp/` followed by `RUN tar -xzf /tmp/app.tar.gz` stores \
the archive in one layer and its contents in another. `ADD app.tar.gz /dest/` extracts a \
local tar archive (plain, gzip, bzip2 or xz) in one step and one layer. The finding is on \
the `COPY` of an archive that a later `RUN` of the same stage extracts.",
    bad: "FROM debian:12\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt\n",
    good: "FROM debian:12\nADD app.tar.gz /opt/\n",
    fixable: false,
    check,
};

const ARCHIVE_EXTENSIONS: &[&str] = &[
    ".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
    ".tpz", ".txz", ".xz",
];

fn is_archive(name: &str) -> bool {
    ARCHIVE_EXTENSIONS.iter().any(|e| name.ends_with(e))
}

fn base(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn is_extract(cmd: &Cmd) -> bool {
    if cmd.is("tar") {
        let args = cmd.arg_values();
        // `tar -xzf`, `tar xzf` (old style, first word), `--extract`, `--get`.
        return args.iter().enumerate().any(|(i, a)| {
            *a == "--extract"
                || *a == "--get"
                || (a.starts_with('-') && !a.starts_with("--") && a.contains('x'))
                || (i == 0 && !a.starts_with('-') && a.contains('x'))
        });
    }
    matches!(
        cmd.base_name(),
        Some(
            "unzip"
                | "gunzip"
                | "bunzip2"
                | "unlzma"
                | "unxz"
                | "zgz"
                | "uncompress"
                | "zcat"
                | "gzcat"
        )
    )
}

fn check(cx: &Context, out: &mut Report) {
    let scripts = run_scripts(cx);
    let runs: BTreeMap<usize, _> = scripts.iter().map(|r| (r.item.index, r)).collect();
    for stage in &cx.stages {
        // Archive base names copied in this stage, with the COPY's item.
        let mut copied: BTreeMap<String, usize> = BTreeMap::new();
        let mut reported = Vec::new();
        for item in cx.stage_items(stage) {
            match item.expanded() {
                InstructionKind::Copy(c) if c.from.is_none() => {
                    if is_archive(&c.dest) {
                        copied.insert(base(&c.dest).to_string(), item.index);
                    } else {
                        for s in c.sources.iter().filter(|s| is_archive(s)) {
                            copied.insert(base(s).to_string(), item.index);
                        }
                    }
                }
                InstructionKind::Run(_) | InstructionKind::Onbuild(_) => {
                    let Some(run) = runs.get(&item.index) else {
                        continue;
                    };
                    for (_, _, cmd) in run.effective() {
                        if !is_extract(&cmd) {
                            continue;
                        }
                        for a in cmd.arg_values() {
                            if let Some(&copy) = copied.get(basename(a)) {
                                if !reported.contains(&copy) {
                                    reported.push(copy);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        reported.sort_unstable();
        for copy in reported {
            out.add(
                cx.item(copy).span(),
                "Use ADD to extract this archive: COPY then tar keeps the archive in a layer",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_copy_then_extract() {
        let f = catches(
            &RULE,
            "FROM debian:12\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt\n",
        );
        assert_eq!(f[0].span.start.line, 2);
        catches(
            &RULE,
            "FROM debian:12\nCOPY dist/x.tgz /tmp/pkg.tgz\nRUN cd /opt && tar xzf /tmp/pkg.tgz\n",
        );
        catches(
            &RULE,
            "FROM debian:12\nCOPY data.gz /d/\nRUN gunzip /d/data.gz\n",
        );
    }

    #[test]
    fn passes_add_other_stages_and_non_extraction() {
        passes(&RULE, "FROM debian:12\nADD app.tar.gz /opt/\n");
        passes(
            &RULE,
            "FROM debian:12\nCOPY app.tar.gz /tmp/\nRUN sha256sum /tmp/app.tar.gz\n",
        );
        passes(
            &RULE,
            "FROM debian:12\nCOPY app.tar.gz /tmp/\nFROM debian:12\nRUN tar -xzf /tmp/app.tar.gz\n",
        );
        passes(&RULE, "FROM debian:12 AS b\nFROM debian:12\nCOPY --from=b /app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz\n");
        // `--exclude` is not `-x`.
        passes(
            &RULE,
            "FROM debian:12\nCOPY a.tar /tmp/\nRUN tar --exclude=x -cf /tmp/b.tar /tmp/a.tar\n",
        );
    }
}
