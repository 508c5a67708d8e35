//! Machine-readable reports of findings: JSON, SARIF 2.1.0, Checkstyle XML,
//! GitHub workflow commands and GitLab code quality; and the rules page in
//! Markdown. Pure functions from findings to text (the terminal format,
//! which needs to know about the terminal, lives in the CLI).

use serde_json::{json, Value};

use super::{rules, Finding, Origin, Rule, Severity};

/// The findings of one file.
#[derive(Debug, Clone)]
pub struct FileReport<'a> {
    /// The name to report (a path, or `-`).
    pub path: &'a str,
    pub findings: &'a [Finding],
}

/// A JSON array of `{file, line, column, endLine, endColumn, code,
/// severity, message}`, one object per finding.
pub fn json(files: &[FileReport]) -> String {
    let mut out = Vec::new();
    for f in files {
        for x in f.findings {
            out.push(json!({
                "file": f.path,
                "line": x.span.start.line,
                "column": x.span.start.col,
                "endLine": x.span.end.line,
                "endColumn": x.span.end.col,
                "code": x.code,
                "severity": x.severity,
                "message": x.message,
            }));
        }
    }
    pretty(&Value::Array(out))
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "note",
    }
}

fn sarif_rule(r: &Rule) -> Value {
    let mut help = format!("{}\n\n{}\n", r.summary, r.description);
    help.push_str(&format!(
        "\nBad:\n\n```dockerfile\n{}```\n\nGood:\n\n```dockerfile\n{}```\n",
        r.bad, r.good
    ));
    let mut v = json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.description},
        "help": {"text": help, "markdown": help},
        "defaultConfiguration": {"level": sarif_level(r.severity), "enabled": r.enabled},
        "properties": {"tags": [match r.origin {
            Origin::Hadolint => "hadolint",
            Origin::Buildkit => "buildkit",
            Origin::Layerkit => "layerkit",
        }]},
    });
    let url = r.url();
    if !url.is_empty() {
        v["helpUri"] = json!(url);
    }
    v
}

/// A SARIF 2.1.0 log, as GitHub code scanning reads it: one run, the whole
/// catalog as rules, one result per finding with its region.
pub fn sarif(files: &[FileReport]) -> String {
    let mut catalog: Vec<Value> = rules::ALL.iter().map(|r| sarif_rule(r)).collect();
    catalog.push(json!({
        "id": super::PARSE_ERROR,
        "name": "parse-error",
        "shortDescription": {"text": "The Dockerfile cannot be built as written"},
        "fullDescription": {"text": "A syntax error, or an instruction the builder refuses."},
        "defaultConfiguration": {"level": "error"},
    }));
    let index = |code: &str| {
        rules::ALL
            .iter()
            .position(|r| r.code == code)
            .unwrap_or(rules::ALL.len())
    };
    let mut results = Vec::new();
    for f in files {
        for x in f.findings {
            results.push(json!({
                "ruleId": x.code,
                "ruleIndex": index(x.code),
                "level": sarif_level(x.severity),
                "message": {"text": x.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(f.path)},
                        "region": {
                            "startLine": x.span.start.line,
                            "startColumn": x.span.start.col,
                            "endLine": x.span.end.line,
                            "endColumn": end_column(x),
                        }
                    }
                }],
                "partialFingerprints": {
                    "primaryLocationLineHash": fingerprint(&[f.path, x.code, &x.message]),
                },
            }));
        }
    }
    pretty(&json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "layerkit",
                "informationUri": "https://github.com/layerkit/layerkit",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": catalog,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }))
}

/// SARIF regions must not end before they start.
fn end_column(x: &Finding) -> u32 {
    if x.span.end.line <= x.span.start.line && x.span.end.col <= x.span.start.col {
        x.span.start.col + 1
    } else {
        x.span.end.col
    }
}

/// A relative path as a URI reference (forward slashes, spaces escaped).
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A stable hex fingerprint of some strings (FNV-1a, 128 bits from two
/// seeds).
fn fingerprint(parts: &[&str]) -> String {
    let mut out = String::new();
    for seed in [0xcbf2_9ce4_8422_2325u64, 0x6c62_272e_07bb_0142] {
        let mut h = seed;
        for p in parts {
            for b in p.bytes().chain(std::iter::once(0)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Checkstyle XML (what Jenkins and many CI dashboards read). Style
/// findings are `info`.
pub fn checkstyle(files: &[FileReport]) -> String {
    let mut s =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    for f in files {
        s.push_str(&format!("  <file name=\"{}\">\n", xml_escape(f.path)));
        for x in f.findings {
            let sev = match x.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info | Severity::Style => "info",
            };
            s.push_str(&format!(
                "    <error line=\"{}\" column=\"{}\" severity=\"{sev}\" message=\"{}\" source=\"{}\"/>\n",
                x.span.start.line,
                x.span.start.col,
                xml_escape(&x.message),
                xml_escape(x.code),
            ));
        }
        s.push_str("  </file>\n");
    }
    s.push_str("</checkstyle>\n");
    s
}

fn gh_escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

/// GitHub Actions workflow commands: one `::error`/`::warning`/`::notice`
/// line per finding, which GitHub shows as annotations on the diff.
pub fn github(files: &[FileReport]) -> String {
    let mut s = String::new();
    for f in files {
        for x in f.findings {
            let level = match x.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info | Severity::Style => "notice",
            };
            s.push_str(&format!(
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                gh_escape(f.path, true),
                x.span.start.line,
                x.span.start.col,
                x.span.end.line,
                x.span.end.col,
                gh_escape(x.code, true),
                gh_escape(&x.message, false),
            ));
        }
    }
    s
}

/// GitLab code quality JSON (a Code Climate subset): `description`,
/// `check_name`, `fingerprint`, `severity`, `location.path/lines`.
pub fn gitlab(files: &[FileReport]) -> String {
    let mut out = Vec::new();
    for f in files {
        for x in f.findings {
            let severity = match x.severity {
                Severity::Error => "blocker",
                Severity::Warning => "major",
                Severity::Info => "info",
                Severity::Style => "minor",
            };
            let line = x.span.start.line.to_string();
            out.push(json!({
                "type": "issue",
                "description": x.message,
                "check_name": x.code,
                "categories": ["Bug Risk"],
                "fingerprint": fingerprint(&[f.path, x.code, &line, &x.message]),
                "severity": severity,
                "location": {
                    "path": f.path,
                    "lines": {"begin": x.span.start.line, "end": x.span.end.line},
                },
            }));
        }
    }
    pretty(&Value::Array(out))
}

/// One rule explained in plain text (for `layerkit lint --explain`).
pub fn explain(r: &Rule) -> String {
    let mut s = format!("{} ({}): {}\n\n", r.code, r.name, r.summary);
    s.push_str(&format!(
        "Severity: {}{}{}\n",
        r.severity,
        if r.enabled {
            ""
        } else {
            " (off unless enabled in the config)"
        },
        if r.fixable {
            "; fixable with --fix"
        } else {
            ""
        }
    ));
    s.push_str(&format!(
        "From: {}\n",
        match r.origin {
            Origin::Hadolint => "hadolint",
            Origin::Buildkit => "BuildKit build checks (docker build --check)",
            Origin::Layerkit => "layerkit",
        }
    ));
    let url = r.url();
    if !url.is_empty() {
        s.push_str(&format!("Upstream docs: {url}\n"));
    }
    s.push_str(&format!("\n{}\n", wrap(r.description, 78)));
    s.push_str("\nReported:\n\n");
    for l in r.bad.lines() {
        s.push_str(&format!("    {l}\n"));
    }
    s.push_str("\nFine:\n\n");
    for l in r.good.lines() {
        s.push_str(&format!("    {l}\n"));
    }
    s
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for w in text.split_whitespace() {
        if line > 0 && line + 1 + w.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(w);
        line += w.len();
    }
    out
}

/// The rules page: every rule with its code, severity, whether it fixes,
/// its description and examples. `src/lint/rules/README.md` is this text.
pub fn rules_markdown() -> String {
    let mut s = String::from(
        "# Lint rules\n\n\
<!-- Generated by `layerkit lint --list-rules --format markdown`; do not edit. -->\n\n\
`layerkit lint` checks Dockerfiles with hadolint's rules (under their `DL` codes) and \
BuildKit's build checks (under their names). Values are checked after build arguments \
and `ENV` are substituted, `RUN --mount=type=cache` counts as cleaning a cache, and rules \
know which stage is the image that is built. Turn rules off with `ignored:` in \
`.hadolint.yaml`, `--ignore CODE`, `# hadolint ignore=CODE` above an instruction or \
`# check=skip=Name` at the top of the file.\n\n\
| code | severity | fix | summary |\n|---|---|---|---|\n",
    );
    for r in rules::ALL {
        s.push_str(&format!(
            "| [{}](#{}) | {}{} | {} | {} |\n",
            r.code,
            r.code.to_lowercase(),
            r.severity,
            if r.enabled { "" } else { " (off)" },
            if r.fixable { "yes" } else { "" },
            r.summary.replace('|', "\\|"),
        ));
    }
    for r in rules::ALL {
        s.push_str(&format!("\n## {}\n\n", r.code));
        s.push_str(&format!("**{}** · {} · ", r.summary, r.severity));
        s.push_str(match r.origin {
            Origin::Hadolint => "hadolint",
            Origin::Buildkit => "BuildKit",
            Origin::Layerkit => "layerkit",
        });
        if !r.enabled {
            s.push_str(" · off by default");
        }
        if r.fixable {
            s.push_str(" · fixable");
        }
        let url = r.url();
        if !url.is_empty() {
            s.push_str(&format!(" · [upstream]({url})"));
        }
        s.push_str(&format!("\n\n{}\n", r.description));
        s.push_str(&format!(
            "\nReported:\n\n```dockerfile\n{}```\n\nFine:\n\n```dockerfile\n{}```\n",
            r.bad, r.good
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{lint_source, Config};

    fn report(src: &str) -> Vec<Finding> {
        lint_source(src, &Config::default())
    }

    #[test]
    fn json_fields() {
        let f = report("FROM debian\n");
        let v: Value = serde_json::from_str(&json(&[FileReport {
            path: "Dockerfile",
            findings: &f,
        }]))
        .unwrap();
        let o = &v[0];
        for k in [
            "file",
            "line",
            "column",
            "endLine",
            "endColumn",
            "code",
            "severity",
            "message",
        ] {
            assert!(!o[k].is_null(), "{k}");
        }
        assert_eq!(o.as_object().unwrap().len(), 8);
    }

    #[test]
    fn sarif_results_point_at_catalog_rules() {
        let f = report("FROM debian\nMAINTAINER x\n");
        let v: Value = serde_json::from_str(&sarif(&[FileReport {
            path: "a b/Dockerfile",
            findings: &f,
        }]))
        .unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for r in run["results"].as_array().unwrap() {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
            assert_eq!(
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                "a%20b/Dockerfile"
            );
        }
    }

    #[test]
    fn github_commands_escape() {
        let f = vec![Finding {
            code: "X1",
            severity: Severity::Info,
            message: "a\nb%".into(),
            span: Default::default(),
            fix: None,
        }];
        assert_eq!(
            github(&[FileReport {
                path: "d,f",
                findings: &f
            }]),
            "::notice file=d%2Cf,line=0,col=0,endLine=0,endColumn=0,title=X1::a%0Ab%25\n"
        );
    }

    #[test]
    fn checkstyle_escapes() {
        let f = report("FROM debian\n");
        let x = checkstyle(&[FileReport {
            path: "<a>",
            findings: &f,
        }]);
        assert!(x.contains("<file name=\"&lt;a&gt;\">"));
        assert!(x.contains("source=\"DL3006\""));
    }

    #[test]
    fn gitlab_fingerprints_differ() {
        let f = report("FROM debian\nFROM ubuntu\n");
        let v: Value = serde_json::from_str(&gitlab(&[FileReport {
            path: "D",
            findings: &f,
        }]))
        .unwrap();
        assert_ne!(v[0]["fingerprint"], v[1]["fingerprint"]);
        assert_eq!(v[0]["severity"], "major");
    }
}
