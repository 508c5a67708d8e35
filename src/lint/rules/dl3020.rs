//! DL3020: COPY, not ADD, for local files.

use super::common::unquote;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3020",
    name: "copy-not-add",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "Use COPY instead of ADD for files and folders",
    description: "`ADD` also downloads URLs, clones git repositories and unpacks local \
archives; for plain files that magic is a surprise waiting to happen. Use `ADD` only for \
an archive to extract, a URL or a git source. Sources are checked after variables are \
substituted.",
    bad: "FROM a:1\nADD app.py /app/\n",
    good: "FROM a:1\nCOPY app.py /app/\n",
    fixable: false,
    check,
};

const ARCHIVES: &[&str] = &[
    ".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
    ".tpz", ".txz", ".xz", ".zst", ".tzst",
];

/// Whether `ADD` has a reason to be used for `src`.
fn needs_add(src: &str) -> bool {
    let s = unquote(src);
    ARCHIVES.iter().any(|e| s.ends_with(e))
        || s.starts_with("http://")
        || s.starts_with("https://")
        || s.starts_with("git@")
        || s.contains(".git#")
        || s.ends_with(".git")
        || s.contains('$')
}

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let InstructionKind::Add(add) = item.expanded() else {
            continue;
        };
        if add.sources.is_empty() || add.sources.iter().any(|s| needs_add(s)) {
            continue;
        }
        out.add(item.keyword_span(), RULE.summary);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_local_files() {
        catches(&RULE, "FROM a:1\nADD app.py /app/\n");
        catches(&RULE, "FROM a:1\nARG F=app.py\nADD $F /app/\n");
    }

    #[test]
    fn passes_archives_urls_git() {
        passes(&RULE, "FROM a:1\nADD rootfs.tar.xz /\n");
        passes(&RULE, "FROM a:1\nADD https://example.com/x /x\n");
        passes(&RULE, "FROM a:1\nADD git@github.com:o/r.git /src\n");
        passes(
            &RULE,
            "FROM a:1\nARG URL=https://example.com/a\nADD ${URL} /x\n",
        );
        passes(&RULE, "FROM a:1\nCOPY app.py /app/\n");
    }
}
