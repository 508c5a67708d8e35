//! Dockerfile linting: hadolint's DL rules and BuildKit's build checks under
//! their own codes, over the BuildKit-exact parse of [`crate::dockerfile`].
//!
//! ```text
//! Dockerfile ──instructions()──▶ Instructions ──expand()──▶ Expanded
//!      └───────────────┬───────────────┘                       │
//!                      ▼                                       │
//!                 Context (stages, final/used stages, SHELL, ◀─┘
//!                      │   cache mounts, pragmas, .dockerignore)
//!      every enabled Rule.check(&Context, &mut Report)
//!                      ▼
//!   pragmas (`# hadolint ignore=`, `# check=skip=`), config (ignored,
//!   overrides) ──▶ Vec<Finding>, sorted by position
//! ```
//!
//! Rules see values after variable expansion (`FROM $BASE` is checked as
//! the image it names), know which stage is final and which stages the
//! build uses, and know `RUN --mount=type=cache` targets. A file with parse
//! errors is still linted: the errors are findings (`DL1000`) and the
//! instructions that parsed are checked.
//!
//! ```
//! use layerkit::lint::{lint_source, Config};
//! let findings = lint_source("FROM debian\nMAINTAINER me\n", &Config::default());
//! let codes: Vec<_> = findings.iter().map(|f| f.code).collect();
//! assert!(codes.contains(&"DL3006"));
//! assert!(codes.contains(&"MaintainerDeprecated"));
//! ```
//!
//! # Adding a rule
//!
//! 1. Create `src/lint/rules/<code>.rs` (lower case: `dl3006.rs`,
//!    `from_as_casing.rs`) with one `pub static RULE: Rule` holding its
//!    metadata (code, name, origin, default severity, summary, a Markdown
//!    description, a bad and a good example, whether it can fix) and its
//!    `check` function, a plain `fn(&Context, &mut Report)`:
//!
//!    ```ignore
//!    use crate::lint::{Context, Origin, Report, Rule, Severity};
//!    use crate::dockerfile::InstructionKind;
//!
//!    pub static RULE: Rule = Rule {
//!        code: "DL4000",
//!        name: "maintainer-deprecated",
//!        origin: Origin::Hadolint,
//!        severity: Severity::Error,
//!        enabled: true,
//!        summary: "MAINTAINER is deprecated",
//!        description: "Use `LABEL org.opencontainers.image.authors=…` instead.",
//!        bad: "FROM alpine:3.20\nMAINTAINER me@example.com\n",
//!        good: "FROM alpine:3.20\nLABEL org.opencontainers.image.authors=\"me@example.com\"\n",
//!        fixable: false,
//!        check,
//!    };
//!
//!    fn check(cx: &Context, out: &mut Report) {
//!        for item in cx.items() {
//!            if let InstructionKind::Maintainer(_) = item.kind() {
//!                out.add(item.keyword_span(), "MAINTAINER is deprecated");
//!            }
//!        }
//!    }
//!    ```
//!
//!    Look at values through [`Item::expanded`] (variables substituted)
//!    rather than [`Item::kind`] (as written) whenever a `$VAR` could hide
//!    the real value; walk `RUN`s with [`Context::runs`], which gives each
//!    its stage, its `SHELL` and its mounts ([`RunItem::has_cache_mount`]).
//!    A fix is a [`Fix`] of text [`Edit`]s attached with
//!    [`Finding::fix`]; build edits with [`Context::edit`] so they carry
//!    both byte ranges and line/column spans.
//! 2. Add tests in the same file with [`testing::catches`] and
//!    [`testing::passes`] (at least one of each), and for a fixable rule
//!    [`testing::fixes`], which checks that the fixed text parses and no
//!    longer triggers the rule.
//! 3. Register it: one line in the list in `src/lint/rules/mod.rs`.
//! 4. Regenerate the rules page: `layerkit lint --list-rules --format
//!    markdown > src/lint/rules/README.md` (a test fails when it is stale).

pub mod config;
mod context;
mod dockerignore;
pub mod format;
pub mod image;
pub mod rules;
pub mod shell;
#[doc(hidden)]
pub mod testing;

use std::collections::BTreeSet;

use serde::{Serialize, Serializer};

use crate::dockerfile::{self, Dockerfile, Severity as ParseSeverity};
use crate::span::Span;

pub use config::{Config, ConfigError, LabelType};
pub use context::{Context, DockerIgnore, Item, RunItem, StageInfo};

/// How serious a finding is, most serious first (hadolint's order: a
/// failure threshold of `info` fails on error, warning and info).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Style,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Style => "style",
        }
    }

    /// Parses `error`, `warning`, `info` or `style`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            "style" => Some(Severity::Style),
            _ => None,
        }
    }

    /// Whether a finding of this severity fails a run with `threshold`.
    pub fn reaches(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whose catalog a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// hadolint's `DLxxxx` rules.
    Hadolint,
    /// BuildKit's build checks (`docker build --check`).
    Buildkit,
    /// layerkit's own.
    Layerkit,
}

/// A lint rule: its metadata and its check. See the module docs for how to
/// add one.
pub struct Rule {
    /// `DL3006`, or a BuildKit check name (`FromAsCasing`).
    pub code: &'static str,
    /// A short kebab-case name (`tag-image-version`).
    pub name: &'static str,
    pub origin: Origin,
    /// The default severity.
    pub severity: Severity,
    /// Whether the rule runs unless a config turns it on (hadolint's
    /// `ignore`-severity rules DL1001 and DL3057 are off by default; giving
    /// them a severity in `override` turns them on).
    pub enabled: bool,
    /// One sentence: what the rule wants.
    pub summary: &'static str,
    /// Why, in Markdown.
    pub description: &'static str,
    /// A Dockerfile the rule reports.
    pub bad: &'static str,
    /// The same Dockerfile, fixed.
    pub good: &'static str,
    /// Whether findings carry a fix that `--fix` applies.
    pub fixable: bool,
    pub check: fn(&Context, &mut Report),
}

impl Rule {
    /// Where the rule's upstream documentation is.
    pub fn url(&self) -> String {
        match self.origin {
            Origin::Hadolint => format!("https://github.com/hadolint/hadolint/wiki/{}", self.code),
            Origin::Buildkit => format!(
                "https://docs.docker.com/go/dockerfile/rule/{}/",
                kebab(self.code)
            ),
            Origin::Layerkit => String::new(),
        }
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("code", &self.code).finish()
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct R<'a> {
            code: &'a str,
            name: &'a str,
            origin: Origin,
            severity: Severity,
            enabled: bool,
            summary: &'a str,
            description: &'a str,
            bad: &'a str,
            good: &'a str,
            fixable: bool,
            url: String,
        }
        R {
            code: self.code,
            name: self.name,
            origin: self.origin,
            severity: self.severity,
            enabled: self.enabled,
            summary: self.summary,
            description: self.description,
            bad: self.bad,
            good: self.good,
            fixable: self.fixable,
            url: self.url(),
        }
        .serialize(s)
    }
}

/// `FromAsCasing` → `from-as-casing`.
fn kebab(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && !chars[i - 1].is_ascii_uppercase();
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if i > 0 && (prev_lower || next_lower) {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The pseudo-rule for parse errors, as hadolint calls them.
pub const PARSE_ERROR: &str = "DL1000";

/// One text replacement: `range` (bytes of the source) becomes `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Edit {
    /// The replaced text as line/column positions (1-based, end exclusive).
    #[serde(flatten, serialize_with = "ser_span_flat")]
    pub span: Span,
    /// Byte offset in the source where the replaced text starts.
    pub start: usize,
    /// Byte offset just after the replaced text.
    pub end: usize,
    pub text: String,
}

/// A change that resolves a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What the fix does (`Replace 'as' with 'AS'`).
    pub title: String,
    /// Non-overlapping edits, in order.
    pub edits: Vec<Edit>,
}

/// A problem found in a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The rule's code (`DL3006`, `FromAsCasing`), or `DL1000` for a
    /// parse error.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Where: the token at fault when there is one, else the instruction.
    #[serde(flatten, serialize_with = "ser_span_flat")]
    pub span: Span,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Finding {
    /// Attaches a fix.
    pub fn fix(&mut self, fix: Fix) -> &mut Finding {
        self.fix = Some(fix);
        self
    }
}

/// Serializes a span as `line, column, endLine, endColumn` fields.
fn ser_span_flat<S: Serializer>(span: &Span, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(4))?;
    m.serialize_entry("line", &span.start.line)?;
    m.serialize_entry("column", &span.start.col)?;
    m.serialize_entry("endLine", &span.end.line)?;
    m.serialize_entry("endColumn", &span.end.col)?;
    m.end()
}

/// Where a rule's check reports its findings; fills in the rule's code and
/// severity.
pub struct Report<'r> {
    rule: &'static Rule,
    findings: &'r mut Vec<Finding>,
}

impl Report<'_> {
    /// Reports a finding of this rule at `span`.
    pub fn add(&mut self, span: Span, message: impl Into<String>) -> &mut Finding {
        self.findings.push(Finding {
            code: self.rule.code,
            severity: self.rule.severity,
            message: message.into(),
            span,
            fix: None,
        });
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }

    /// The rule being run.
    pub fn rule(&self) -> &'static Rule {
        self.rule
    }
}

/// What a lint run needs besides the Dockerfile and the config.
#[derive(Debug, Clone, Default)]
pub struct Inputs<'a> {
    /// The build context's `.dockerignore` text, for `CopyIgnoredFile`.
    pub dockerignore: Option<&'a str>,
}

/// Parses and lints `source`.
pub fn lint_source(source: &str, config: &Config) -> Vec<Finding> {
    lint(&dockerfile::parse(source), config)
}

/// Lints a parsed Dockerfile with `config`.
pub fn lint(df: &Dockerfile, config: &Config) -> Vec<Finding> {
    lint_with(df, config, &Inputs::default())
}

/// Lints a parsed Dockerfile with `config` and extra inputs.
pub fn lint_with(df: &Dockerfile, config: &Config, inputs: &Inputs) -> Vec<Finding> {
    run(df, config, inputs, rules::ALL, false)
}

/// Runs `rules` (all of them when `force`, regardless of the config's
/// enabling) and applies pragmas and the config.
pub(crate) fn run(
    df: &Dockerfile,
    config: &Config,
    inputs: &Inputs,
    rules: &[&'static Rule],
    force: bool,
) -> Vec<Finding> {
    let cx = Context::new(df, config, inputs);
    let mut findings = Vec::new();
    parse_findings(&cx, &mut findings);
    for &rule in rules {
        if !force && !cx.rule_enabled(rule) {
            continue;
        }
        let mut report = Report {
            rule,
            findings: &mut findings,
        };
        (rule.check)(&cx, &mut report);
    }
    let mut findings = cx.filter(findings);
    findings.sort_by(|a, b| (a.span.start, a.code).cmp(&(b.span.start, b.code)));
    findings.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
    findings
}

/// Parse and instruction errors as `DL1000` findings.
fn parse_findings(cx: &Context, out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    let diags = cx
        .df
        .diagnostics
        .iter()
        .chain(&cx.typed.diagnostics)
        .chain(&cx.expanded.diagnostics);
    for d in diags {
        if d.severity != ParseSeverity::Error || !seen.insert((d.span.start, d.message.clone())) {
            continue;
        }
        out.push(Finding {
            code: PARSE_ERROR,
            severity: Severity::Error,
            message: d.message.clone(),
            span: d.span,
            fix: None,
        });
    }
}

/// The rule with `code`, if any.
pub fn rule(code: &str) -> Option<&'static Rule> {
    rules::ALL.iter().copied().find(|r| r.code == code)
}

/// Applies the fixes carried by `findings` to `source`. Fixes whose edits
/// overlap an earlier accepted fix are skipped (run again to apply them).
/// Returns the new text and how many fixes were applied.
pub fn apply_fixes(source: &str, findings: &[Finding]) -> (String, usize) {
    let mut accepted: Vec<&Edit> = Vec::new();
    let mut count = 0;
    for fix in findings.iter().filter_map(|f| f.fix.as_ref()) {
        let overlaps = fix.edits.iter().any(|e| {
            accepted.iter().any(|a| {
                e.start < a.end && a.start < e.end
                    || (e.start == e.end && e.start == a.start)
                    || (a.start == a.end && a.start == e.start)
            })
        });
        let valid = fix.edits.iter().all(|e| {
            e.start <= e.end
                && e.end <= source.len()
                && source.is_char_boundary(e.start)
                && source.is_char_boundary(e.end)
        });
        if overlaps || !valid {
            continue;
        }
        accepted.extend(fix.edits.iter());
        count += 1;
    }
    accepted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    for e in accepted {
        out.push_str(&source[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&source[at..]);
    (out, count)
}

/// Lints and fixes `source` until no fix applies (at most a few rounds).
/// Returns the fixed text and the number of fixes applied.
pub fn fix_source(source: &str, config: &Config, inputs: &Inputs) -> (String, usize) {
    let mut text = source.to_string();
    let mut total = 0;
    for _ in 0..4 {
        let df = dockerfile::parse(&text);
        let findings = lint_with(&df, config, inputs);
        let (next, n) = apply_fixes(&text, &findings);
        if n == 0 || next == text {
            break;
        }
        total += n;
        text = next;
    }
    (text, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_names() {
        assert_eq!(kebab("FromAsCasing"), "from-as-casing");
        assert_eq!(kebab("JSONArgsRecommended"), "json-args-recommended");
        assert_eq!(kebab("UndefinedArgInFrom"), "undefined-arg-in-from");
    }

    #[test]
    fn parse_errors_are_findings_and_the_rest_is_linted() {
        let f = lint_source(
            "FROM debian\nCOPY --nope=1 a b\nMAINTAINER me\n",
            &Config::default(),
        );
        let codes: Vec<_> = f.iter().map(|f| (f.code, f.span.start.line)).collect();
        assert!(codes.contains(&("DL1000", 2)), "{codes:?}");
        assert!(codes.contains(&("DL4000", 3)), "{codes:?}");
        assert!(codes.contains(&("DL3006", 1)), "{codes:?}");
    }

    fn codes(src: &str, config: &Config) -> Vec<(&'static str, u32)> {
        lint_source(src, config)
            .iter()
            .map(|f| (f.code, f.span.start.line))
            .collect()
    }

    #[test]
    fn ignore_pragmas() {
        let c = Config::default();
        let src = "# hadolint ignore=DL3006\nFROM debian\nFROM alpine\n";
        assert_eq!(codes(src, &c), [("DL3006", 3)]);
        // Other comments may sit between the pragma and the instruction.
        let src = "# hadolint ignore=DL3006,DL4000\n# why\nFROM debian\n";
        assert_eq!(codes(src, &c), []);
        let src = "FROM debian\n# hadolint global ignore=DL3006\nFROM alpine\n";
        assert_eq!(codes(src, &c), []);
        let src = "FROM debian\n# hadolint stage ignore=DL4000\nFROM a:1\nMAINTAINER x\nFROM b:1\nMAINTAINER y\n";
        assert_eq!(
            codes(src, &c),
            [
                ("DL3006", 1),
                ("MaintainerDeprecated", 4),
                ("DL4000", 6),
                ("MaintainerDeprecated", 6)
            ]
        );
        let off = Config {
            disable_ignore_pragma: true,
            ..Config::default()
        };
        let src = "# hadolint ignore=DL3006\nFROM debian\n";
        assert_eq!(codes(src, &off), [("DL3006", 2)]);
    }

    #[test]
    fn check_directive_skips_and_raises() {
        let c = Config::default();
        let src = "# check=skip=FromAsCasing;error=true\nFROM a:1 as b\nMAINTAINER x\n";
        let f = lint_source(src, &c);
        assert!(f.iter().all(|f| f.code != "FromAsCasing"));
        let m = f.iter().find(|f| f.code == "MaintainerDeprecated").unwrap();
        assert_eq!(m.severity, Severity::Error);
        let src = "# check=skip=all\nFROM a:1 as b\nMAINTAINER x\n";
        assert_eq!(codes(src, &c), [("DL4000", 3)]);
        // BuildKit reads `# check=` comments above an instruction too.
        let src = "FROM a:1\n# check=skip=MaintainerDeprecated\nMAINTAINER x\nMAINTAINER y\n";
        assert_eq!(
            codes(src, &c),
            [("DL4000", 3), ("DL4000", 4), ("MaintainerDeprecated", 4)]
        );
    }

    #[test]
    fn config_ignores_and_overrides() {
        let mut c = Config::default();
        c.ignored.push("DL4000".into());
        c.overrides.insert("DL3006".into(), Severity::Error);
        let f = lint_source("FROM debian\nMAINTAINER x\n", &c);
        assert!(f.iter().all(|f| f.code != "DL4000"));
        assert_eq!(
            f.iter().find(|f| f.code == "DL3006").unwrap().severity,
            Severity::Error
        );
    }

    #[test]
    fn fix_edits_serialize_flat() {
        let f = lint_source("FROM a:1 as b\n", &Config::default());
        let v = serde_json::to_value(&f[0]).unwrap();
        let e = &v["fix"]["edits"][0];
        assert_eq!(
            (e["line"].as_u64(), e["column"].as_u64()),
            (Some(1), Some(10))
        );
        assert_eq!(
            (e["start"].as_u64(), e["end"].as_u64()),
            (Some(9), Some(11))
        );
        assert_eq!(e["text"], "AS");
    }

    #[test]
    fn json_shape() {
        let f = lint_source("FROM debian\n", &Config::default());
        let v = serde_json::to_value(&f[0]).unwrap();
        assert_eq!(v["code"], "DL3006");
        assert_eq!(v["severity"], "warning");
        assert_eq!(v["line"], 1);
        assert_eq!(v["column"], 6);
        assert_eq!(v["endLine"], 1);
        assert_eq!(v["endColumn"], 12);
    }

    #[test]
    fn every_rule_has_a_unique_code_and_docs() {
        let mut codes = BTreeSet::new();
        for r in rules::ALL {
            assert!(codes.insert(r.code), "duplicate rule {}", r.code);
            assert!(!r.summary.is_empty() && !r.bad.is_empty() && !r.good.is_empty());
        }
    }

    #[test]
    fn overlapping_fixes_are_applied_one_at_a_time() {
        let mk = |start, end, text: &str| Finding {
            code: "X",
            severity: Severity::Info,
            message: String::new(),
            span: Span::default(),
            fix: Some(Fix {
                title: String::new(),
                edits: vec![Edit {
                    span: Span::default(),
                    start,
                    end,
                    text: text.into(),
                }],
            }),
        };
        let (out, n) = apply_fixes("abcdef", &[mk(0, 2, "X"), mk(1, 3, "Y"), mk(4, 4, "Z")]);
        assert_eq!((out.as_str(), n), ("XcdZef", 2));
    }
}
