//! The shell-aware DL rules against hadolint 2.15.1 itself
//! (`target/oracles/bin/hadolint`, installed by `.ci/setup --deps-only`) on
//! the cases in `tests/fixtures/lint/shell/`: every finding must agree,
//! keyed by (file, first line of the instruction, code), except the
//! deliberate differences listed in [`EXPECTED`], each with its reason.
//! The corpus comparison (`tests/lint_corpus.rs`) covers real files; these
//! cases cover the rules and shell syntax the corpus does not exercise.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use layerkit::dockerfile::parse;
use layerkit::lint::{lint, Config};

/// The rules this test compares: those that read `RUN` scripts.
const SHELL_RULES: &[&str] = &[
    "DL3001", "DL3003", "DL3004", "DL3008", "DL3009", "DL3010", "DL3013", "DL3014", "DL3015",
    "DL3016", "DL3018", "DL3019", "DL3027", "DL3028", "DL3030", "DL3032", "DL3033", "DL3034",
    "DL3035", "DL3036", "DL3037", "DL3038", "DL3040", "DL3041", "DL3042", "DL3046", "DL3047",
    "DL3060", "DL3062", "DL4001", "DL4005", "DL4006",
];

/// Who reports a finding the other does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    Layerkit,
    Hadolint,
}

/// (file, code, text on the instruction's first line, who reports it, why).
const EXPECTED: &[(&str, &str, &str, Only, &str)] = &[
    (
        "commands",
        "DL3008",
        "RUN exec apt-get",
        Only::Hadolint,
        "hadolint takes the command name after `exec` for a package",
    ),
    (
        "commands",
        "DL3008",
        "RUN sudo apt-get install curl",
        Only::Layerkit,
        "commands run through `sudo`/`env` are checked (hadolint sees only the wrapper)",
    ),
    (
        "commands",
        "DL3014",
        "RUN sudo apt-get install curl",
        Only::Layerkit,
        "through `sudo`",
    ),
    (
        "commands",
        "DL3015",
        "RUN sudo apt-get install curl",
        Only::Layerkit,
        "through `sudo`",
    ),
    (
        "commands",
        "DL3008",
        "RUN env A=1 apt-get install curl",
        Only::Layerkit,
        "through `env`",
    ),
    (
        "commands",
        "DL3014",
        "RUN env A=1 apt-get install curl",
        Only::Layerkit,
        "through `env`",
    ),
    (
        "commands",
        "DL3015",
        "RUN env A=1 apt-get install curl",
        Only::Layerkit,
        "through `env`",
    ),
    (
        "commands",
        "DL3019",
        "RUN apk add --no-network",
        Only::Hadolint,
        "`--no-network` downloads no index, so nothing is cached",
    ),
    (
        "commands",
        "DL3028",
        "RUN gem install --no-document bundler",
        Only::Layerkit,
        "hadolint takes the word after any option as its value and misses `bundler`",
    ),
    (
        "commands",
        "DL3033",
        "RUN yum install -y \"x-${V}\"",
        Only::Hadolint,
        "a version from a variable is a pin; hadolint wants the variable declared by ENV/ARG",
    ),
    (
        "commands",
        "DL3046",
        "RUN useradd --uid 1234567 app",
        Only::Layerkit,
        "hadolint reads the UID of `-u` only, not `--uid`",
    ),
    (
        "commands",
        "DL3046",
        "RUN useradd -u ${UID} app",
        Only::Hadolint,
        "a UID from a variable is unknown; hadolint measures the text `${UID}`",
    ),
    (
        "commands",
        "DL4006",
        "RUN set -o pipefail && curl x | sh",
        Only::Hadolint,
        "`set -o pipefail` before the pipe in the RUN itself counts",
    ),
    (
        "mount",
        "DL3009",
        "target=/var/lib/apt apt-get update",
        Only::Hadolint,
        "a cache mount on /var/lib/apt holds the lists; hadolint also wants /var/cache/apt",
    ),
    (
        "mount",
        "DL3032",
        "target=/var/cache/yum yum install",
        Only::Hadolint,
        "hadolint has no cache-mount exemption for yum",
    ),
    (
        "mount",
        "DL3040",
        "target=/var/cache/dnf dnf install",
        Only::Hadolint,
        "dnf 4 caches in /var/cache/dnf; hadolint knows only libdnf5's directory",
    ),
    (
        "mount",
        "DL3042",
        "target=/root/.cache pip install",
        Only::Hadolint,
        "a cache mount on ~/.cache holds pip's cache",
    ),
    (
        "archives",
        "DL3010",
        "COPY b.tgz /tmp/c.tgz",
        Only::Layerkit,
        "`tar xzf` (old-style options, no dash) extracts too",
    ),
    (
        "archives",
        "DL3010",
        "COPY d.tar /t/",
        Only::Hadolint,
        "`tar --exclude=… -cf` creates an archive; hadolint takes any `-…x…` word for extraction",
    ),
    (
        "exec",
        "DL4006",
        "RUN [\"/bin/sh\", \"-c\", \"a | b\"]",
        Only::Hadolint,
        "an exec-form RUN runs its own shell, which SHELL cannot give pipefail",
    ),
    (
        "exec",
        "DL3003",
        "RUN [\"sh\", \"-c\", \"cd /x\"]",
        Only::Layerkit,
        "scripts of nested shells are checked",
    ),
    (
        "onbuild",
        "DL3003",
        "ONBUILD RUN cd /x",
        Only::Layerkit,
        "ONBUILD triggers are checked like the other shell rules (hadolint's DL3003 skips them)",
    ),
    (
        "pip-env",
        "DL3042",
        "RUN pip install x==1",
        Only::Layerkit,
        "stages from the same image share no ENV; hadolint keys what it remembers by image name",
    ),
    (
        "pip-zero",
        "DL3042",
        "RUN pip install z==1",
        Only::Hadolint,
        "pip turns its cache off for PIP_NO_CACHE_DIR=0 as well",
    ),
    (
        "shell",
        "DL4006",
        "RUN c | d",
        Only::Hadolint,
        "a stage built FROM another keeps its SHELL; hadolint forgets it at every FROM",
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn hadolint() -> PathBuf {
    if let Some(p) = std::env::var_os("LAYERKIT_HADOLINT") {
        return p.into();
    }
    root().join("target/oracles/bin/hadolint")
}

fn cases() -> Vec<PathBuf> {
    let dir = root().join("tests/fixtures/lint/shell");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().to_string()
}

type Key = (String, u32, String);

/// The first line of the instruction that `line` belongs to.
fn instruction_line(src: &str, line: u32) -> u32 {
    let df = parse(src);
    df.nodes
        .iter()
        .find(|n| n.start_line <= line && line <= n.end_line)
        .map_or(line, |n| n.start_line)
}

#[test]
fn shell_rules_agree_with_hadolint() {
    let exe = hadolint();
    assert!(
        exe.exists(),
        "{} is missing: run `.ci/setup --deps-only` to install hadolint",
        exe.display()
    );
    let files = cases();
    let out = Command::new(&exe)
        .args(["--no-fail", "-f", "json"])
        .args(&files)
        .output()
        .expect("run hadolint");
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "hadolint output: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let theirs: BTreeSet<Key> = theirs
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| SHELL_RULES.contains(&f["code"].as_str().unwrap()))
        .map(|f| {
            let file = Path::new(f["file"].as_str().unwrap());
            (
                stem(file),
                f["line"].as_u64().unwrap() as u32,
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut ours = BTreeSet::new();
    let mut texts = std::collections::BTreeMap::new();
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
        for f in lint(&parse(&src), &Config::default()) {
            if SHELL_RULES.contains(&f.code) {
                let line = instruction_line(&src, f.span.start.line);
                ours.insert((stem(path), line, f.code.to_string()));
            }
        }
        texts.insert(stem(path), src);
    }
    assert!(
        theirs.len() > 150,
        "hadolint found only {} findings",
        theirs.len()
    );
    println!(
        "hadolint {}, layerkit {}, both {}, listed differences {}",
        theirs.len(),
        ours.len(),
        theirs.intersection(&ours).count(),
        EXPECTED.len()
    );

    let line_text = |k: &Key| -> String {
        texts[&k.0]
            .lines()
            .nth(k.1 as usize - 1)
            .unwrap_or("")
            .to_string()
    };
    let mut used = vec![false; EXPECTED.len()];
    let mut unexpected = Vec::new();
    let diffs = ours
        .difference(&theirs)
        .map(|k| (k, Only::Layerkit))
        .chain(theirs.difference(&ours).map(|k| (k, Only::Hadolint)));
    for (k, who) in diffs {
        let text = line_text(k);
        match EXPECTED
            .iter()
            .position(|e| e.0 == k.0 && e.1 == k.2 && text.contains(e.2) && e.3 == who)
        {
            Some(i) => used[i] = true,
            None => unexpected.push(format!("{who:?} only: {} {}:{} `{text}`", k.2, k.0, k.1)),
        }
    }
    let stale: Vec<String> = EXPECTED
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| format!("{} {} `{}` ({:?} only): {}", e.0, e.1, e.2, e.3, e.4))
        .collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "differences from hadolint not listed:\n{}\nlisted but gone:\n{}",
        unexpected.join("\n"),
        stale.join("\n")
    );
}
