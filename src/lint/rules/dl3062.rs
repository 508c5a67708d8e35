//! DL3062: pin versions in `go install`.

use crate::lint::rules::run_scripts::run_scripts;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3062",
    name: "go-pin-versions",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Pin versions in go: `go install <package>@<version>`",
    description: "`go install example.com/tool@latest` (or without a version, `go get`, `go \
run`) builds whatever the module's newest version is at build time. Name a version: \
`go install example.com/tool@v1.2.3`. Local packages (`.`, `./cmd/x`, absolute paths) \
are not reported.",
    bad: "FROM golang:1.23\nRUN go install golang.org/x/tools/gopls@latest\n",
    good: "FROM golang:1.23\nRUN go install golang.org/x/tools/gopls@v0.16.2\n",
    fixable: false,
    check,
};

fn pinned(package: &str) -> bool {
    package == "."
        || package.starts_with('/')
        || package.starts_with('.')
        || (package.contains('@') && !package.ends_with("@latest") && !package.ends_with("@none"))
}

fn check(cx: &Context, out: &mut Report) {
    for run in run_scripts(cx).iter() {
        let mut runs = Vec::new();
        let mut installs = Vec::new();
        for (part, _, cmd) in run.named("go") {
            let words = cmd.positional(&[]);
            match words.first().map(|w| w.value()) {
                // `go run pkg args…`: the package only.
                Some("run") => runs.extend(words.get(1).map(|w| (part, *w))),
                Some("install" | "get") => installs.extend(
                    words[1..]
                        .iter()
                        .filter(|w| w.value() != "tool")
                        .map(|w| (part, *w)),
                ),
                _ => {}
            }
        }
        let packages = if runs.is_empty() { installs } else { runs };
        if let Some((part, w)) = packages.into_iter().find(|(_, w)| !pinned(w.value())) {
            out.add(
                run.span(cx, part, w.span.clone()),
                format!(
                    "Pin the version of `{}`: `go install <package>@<version>`",
                    w.value()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_unpinned_modules() {
        catches(
            &RULE,
            "FROM golang:1.23\nRUN go install golang.org/x/tools/gopls@latest\n",
        );
        catches(&RULE, "FROM golang:1.23\nRUN go get github.com/x/y\n");
        catches(
            &RULE,
            "FROM golang:1.23\nRUN go run github.com/x/gen -out z\n",
        );
    }

    #[test]
    fn passes_pinned_and_local() {
        for ok in [
            "go install golang.org/x/tools/gopls@v0.16.2",
            "go install ./cmd/...",
            "go build -o /app .",
            "go get -d -v ./...",
            "go run ./gen.go -out z",
            "go mod download",
        ] {
            passes(&RULE, &format!("FROM golang:1.23\nRUN {ok}\n"));
        }
    }
}
