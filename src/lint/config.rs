//! Lint settings, compatible with hadolint's: the `.hadolint.yaml` keys,
//! the same keys in layerkit's `layerkit.toml` (`[lint]` table), the inline
//! pragmas, and BuildKit's `# check=` directive.
//!
//! ```yaml
//! # .hadolint.yaml
//! ignored: [DL3008]                  # never report these
//! override:                          # change a rule's severity
//!   error: [DL3006]
//!   info: [DL3059]
//! trustedRegistries: [docker.io, "*.corp.example"]  # turns on DL3026
//! failure-threshold: warning         # exit non-zero at warning or worse
//! label-schema: {maintainer: email, version: semver}  # DL3049-DL3058
//! strict-labels: true                # DL3050: no labels outside the schema
//! no-fail: false                     # always exit 0
//! disable-ignore-pragma: false       # ignore `# hadolint ignore=` comments
//! ```
//!
//! Inline, in the Dockerfile:
//!
//! ```text
//! # hadolint ignore=DL3008,DL3009     the next instruction only
//! # hadolint global ignore=DL3059     the whole file
//! # hadolint stage ignore=DL3059      up to the next FROM
//! # hadolint shell=powershell         RUN commands are not POSIX shell
//! # check=skip=JSONArgsRecommended;error=true   BuildKit's directive (first lines)
//! ```
//!
//! The file formats are parsed by the host (the CLI reads YAML and TOML,
//! the npm package takes a JS object); this module takes the parsed tree as
//! a [`serde_json::Value`] so the core stays free of format parsers.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::{Origin, Rule, Severity};

/// What a label's value must look like (hadolint's `label-schema` types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelType {
    /// Any text (`text` or empty).
    Text,
    /// A URL (`url`).
    Url,
    /// An SPDX license expression (`spdx`).
    Spdx,
    /// A 7- or 40-character git hash (`hash`).
    Hash,
    /// An RFC 3339 time (`rfc3339`).
    Rfc3339,
    /// A semantic version (`semver`).
    Semver,
    /// An e-mail address (`email`).
    Email,
}

impl LabelType {
    pub fn parse(s: &str) -> Option<LabelType> {
        Some(match s {
            "text" | "" => LabelType::Text,
            "url" => LabelType::Url,
            "spdx" => LabelType::Spdx,
            "hash" => LabelType::Hash,
            "rfc3339" => LabelType::Rfc3339,
            "semver" => LabelType::Semver,
            "email" => LabelType::Email,
            _ => return None,
        })
    }
}

/// Lint settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Codes never reported.
    pub ignored: Vec<String>,
    /// Per code, the severity to report it with (turns on rules that are
    /// off by default).
    pub overrides: BTreeMap<String, Severity>,
    /// Registries `FROM` may pull from; when not empty, DL3026 reports
    /// others. `*` wildcards at either end.
    pub trusted_registries: Vec<String>,
    /// The least severe finding that makes `lint` fail (default `info`).
    pub failure_threshold: Severity,
    /// Required labels and their value types.
    pub label_schema: BTreeMap<String, LabelType>,
    /// Labels outside the schema are reported (DL3050).
    pub strict_labels: bool,
    /// Never fail, whatever is found.
    pub no_fail: bool,
    /// Inline `# hadolint ignore=` pragmas are not honoured.
    pub disable_ignore_pragma: bool,
    /// The output format the file asks for (`format:`), for the CLI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ignored: Vec::new(),
            overrides: BTreeMap::new(),
            trusted_registries: Vec::new(),
            failure_threshold: Severity::Info,
            label_schema: BTreeMap::new(),
            strict_labels: false,
            no_fail: false,
            disable_ignore_pragma: false,
            format: None,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A key has a value of the wrong kind, or is not a known key.
    #[error("{file}: `{key}`: {message}")]
    Key {
        file: String,
        key: String,
        message: String,
    },
    /// The file is not valid YAML/TOML/JSON.
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
}

const KEYS: &str = "ignored, override, trustedRegistries, failure-threshold, label-schema, \
strict-labels, no-fail, disable-ignore-pragma, format";

impl Config {
    /// Reads settings from a parsed config file (`file` names it in
    /// errors). Keys are hadolint's; `trusted-registries`,
    /// `failure_threshold`-style spellings are accepted too.
    pub fn from_value(value: &Value, file: &str) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        c.merge_value(value, file)?;
        Ok(c)
    }

    /// Adds the settings in `value` to these: lists are appended, single
    /// values replaced (as hadolint layers its config sources).
    pub fn merge_value(&mut self, value: &Value, file: &str) -> Result<(), ConfigError> {
        let err = |key: &str, message: String| ConfigError::Key {
            file: file.to_string(),
            key: key.to_string(),
            message,
        };
        let map = match value {
            Value::Object(m) => m,
            Value::Null => return Ok(()),
            other => {
                return Err(ConfigError::Syntax {
                    file: file.into(),
                    message: format!(
                        "expected a mapping of settings ({KEYS}), found {}",
                        kind(other)
                    ),
                })
            }
        };
        for (key, v) in map {
            let norm = key.replace('_', "-").to_ascii_lowercase();
            match norm.as_str() {
                "ignored" | "ignore" => self.ignored.extend(codes(v).map_err(|m| err(key, m))?),
                "override" => {
                    let Value::Object(o) = v else {
                        return Err(err(
                            key,
                            format!(
                                "expected a mapping of severity to codes (error: [DL3006]), found {}",
                                kind(v)
                            ),
                        ));
                    };
                    // hadolint applies style, info, warning, then error:
                    // a code under two severities gets the more severe.
                    let mut lists = Vec::new();
                    for (sev, list) in o {
                        let Some(s) = Severity::parse(sev) else {
                            return Err(err(
                                &format!("{key}.{sev}"),
                                "not a severity: use error, warning, info or style".into(),
                            ));
                        };
                        let list = codes(list).map_err(|m| err(&format!("{key}.{sev}"), m))?;
                        lists.push((s, list));
                    }
                    lists.sort_by_key(|l| std::cmp::Reverse(l.0));
                    for (s, list) in lists {
                        for code in list {
                            self.overrides.insert(code, s);
                        }
                    }
                }
                "trustedregistries" | "trusted-registries" => self
                    .trusted_registries
                    .extend(strings(v).map_err(|m| err(key, m))?),
                "failure-threshold" => {
                    let Value::String(s) = v else {
                        return Err(err(key, format!("expected a severity, found {}", kind(v))));
                    };
                    self.failure_threshold = parse_threshold(s).ok_or_else(|| {
                        err(
                            key,
                            format!(
                                "{s:?} is not a severity: use error, warning, info, style or none"
                            ),
                        )
                    })?;
                }
                "label-schema" => {
                    let Value::Object(o) = v else {
                        return Err(err(
                            key,
                            format!(
                                "expected a mapping of label to type (author: text), found {}",
                                kind(v)
                            ),
                        ));
                    };
                    for (label, t) in o {
                        let ty = match t {
                            Value::String(s) => LabelType::parse(s),
                            Value::Null => Some(LabelType::Text),
                            _ => None,
                        };
                        let ty = ty.ok_or_else(|| {
                            err(
                                &format!("{key}.{label}"),
                                format!(
                                    "{t} is not a label type: use text, url, spdx, hash, rfc3339, semver or email"
                                ),
                            )
                        })?;
                        self.label_schema.insert(label.clone(), ty);
                    }
                }
                "strict-labels" => self.strict_labels = boolean(v).map_err(|m| err(key, m))?,
                "no-fail" => self.no_fail = boolean(v).map_err(|m| err(key, m))?,
                "disable-ignore-pragma" => {
                    self.disable_ignore_pragma = boolean(v).map_err(|m| err(key, m))?
                }
                "format" => match v {
                    Value::String(s) => self.format = Some(s.clone()),
                    _ => {
                        return Err(err(
                            key,
                            format!("expected a format name, found {}", kind(v)),
                        ))
                    }
                },
                // hadolint's output settings: layerkit takes them from its
                // own flags.
                "formats" | "no-color" | "verbose" => {}
                _ => {
                    return Err(err(
                        key,
                        format!("unknown setting; the settings are {KEYS}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Parses a failure threshold: a severity, or `none`/`ignore` (hadolint:
/// every finding fails, as every severity is at or above "ignore").
pub fn parse_threshold(s: &str) -> Option<Severity> {
    match s {
        "none" | "ignore" => Some(Severity::Style),
        s => Severity::parse(s),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn strings(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "expected a list of strings, found {} in it",
                    kind(other)
                )),
            })
            .collect(),
        other => Err(format!("expected a list of strings, found {}", kind(other))),
    }
}

fn codes(v: &Value) -> Result<Vec<String>, String> {
    let list = strings(v)?;
    for c in &list {
        if c.is_empty() || !c.chars().all(|ch| ch.is_ascii_alphanumeric()) {
            return Err(format!(
                "{c:?} is not a rule code (like DL3008 or FromAsCasing)"
            ));
        }
    }
    Ok(list)
}

fn boolean(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(format!("expected true or false, found {}", kind(other))),
    }
}

/// A `# hadolint …` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pragma {
    /// `# hadolint ignore=A,B`: the next instruction.
    Ignore(Vec<String>),
    /// `# hadolint global ignore=A,B`: the whole file.
    GlobalIgnore(Vec<String>),
    /// `# hadolint stage ignore=A,B`: up to the next `FROM`.
    StageIgnore(Vec<String>),
    /// `# hadolint shell=pwsh`.
    Shell(String),
}

/// Parses the text of a comment after its `#`, as hadolint does:
/// `hadolint` then `ignore=`, `global ignore=`, `stage ignore=` or
/// `shell=`, then codes separated by commas; a trailing `# …` is a comment.
pub fn parse_pragma(comment: &str) -> Option<Pragma> {
    let is_space = |c: char| c == ' ' || c == '\t';
    let rest = comment
        .trim_start_matches(is_space)
        .strip_prefix("hadolint")?;
    if !rest.starts_with(is_space) {
        return None;
    }
    let rest = rest.trim_start_matches(is_space);
    let (kind, rest) = if let Some(r) = rest.strip_prefix("global") {
        (1, r)
    } else if let Some(r) = rest.strip_prefix("stage") {
        (2, r)
    } else {
        (0, rest)
    };
    if kind != 0 && !rest.starts_with(is_space) {
        return None;
    }
    let rest = rest.trim_start_matches(is_space);
    let value = |rest: &str, key: &str| -> Option<String> {
        let r = rest.strip_prefix(key)?.trim_start_matches(is_space);
        let r = r.strip_prefix('=')?.trim_start_matches(is_space);
        let r = r.split('#').next().unwrap_or("").trim_end_matches(is_space);
        Some(r.to_string())
    };
    if kind == 0 {
        if let Some(sh) = value(rest, "shell") {
            if sh.is_empty() || sh.contains(is_space) {
                return None;
            }
            return Some(Pragma::Shell(sh));
        }
    }
    let list = value(rest, "ignore")?;
    let codes: Vec<String> = list.split(',').map(|c| c.trim().to_string()).collect();
    if codes
        .iter()
        .any(|c| c.is_empty() || !c.chars().all(|ch| ch.is_ascii_alphanumeric()))
    {
        return None;
    }
    Some(match kind {
        0 => Pragma::Ignore(codes),
        1 => Pragma::GlobalIgnore(codes),
        _ => Pragma::StageIgnore(codes),
    })
}

/// BuildKit's `# check=` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckDirective {
    /// `skip=all`: no BuildKit check runs.
    pub skip_all: bool,
    /// `skip=A,B`.
    pub skip: BTreeSet<String>,
    /// `error=true`: BuildKit check findings are errors.
    pub error: bool,
}

impl CheckDirective {
    /// Whether `rule` is skipped.
    pub fn skips(&self, rule: &Rule) -> bool {
        (self.skip_all && rule.origin == Origin::Buildkit) || self.skip.contains(rule.code)
    }
}

/// Parses the value of a `# check=` directive: `skip=A,B;error=true;
/// experimental=all`, as BuildKit's linter does.
pub fn parse_check_directive(value: &str) -> Result<CheckDirective, String> {
    let value = value.trim();
    let mut d = CheckDirective::default();
    if value.is_empty() {
        return Ok(d);
    }
    for part in value.splitn(3, ';') {
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!("invalid check option {part:?}"));
        };
        let v = v.trim();
        match k.trim() {
            "skip" => {
                if v == "all" {
                    d.skip_all = true;
                } else {
                    d.skip.extend(v.split(',').map(|s| s.trim().to_string()));
                }
            }
            "experimental" => {}
            "error" => {
                d.error = match v {
                    "1" | "t" | "T" | "TRUE" | "true" | "True" => true,
                    "0" | "f" | "F" | "FALSE" | "false" | "False" => false,
                    _ => return Err(format!("failed to parse check option {part:?}")),
                }
            }
            other => return Err(format!("invalid check option {other:?}")),
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pragmas_parse_like_hadolint() {
        assert_eq!(
            parse_pragma(" hadolint ignore=DL3008, DL3009 # why"),
            Some(Pragma::Ignore(vec!["DL3008".into(), "DL3009".into()]))
        );
        assert_eq!(
            parse_pragma("hadolint global ignore = DL3059"),
            Some(Pragma::GlobalIgnore(vec!["DL3059".into()]))
        );
        assert_eq!(
            parse_pragma(" hadolint stage ignore=SC2086"),
            Some(Pragma::StageIgnore(vec!["SC2086".into()]))
        );
        assert_eq!(
            parse_pragma(" hadolint shell=powershell"),
            Some(Pragma::Shell("powershell".into()))
        );
        assert_eq!(parse_pragma(" hadolintignore=DL3008"), None);
        assert_eq!(parse_pragma(" hadolint ignore="), None);
        assert_eq!(parse_pragma(" some comment"), None);
    }

    #[test]
    fn check_directive() {
        let d =
            parse_check_directive("skip=JSONArgsRecommended, StageNameCasing;error=true").unwrap();
        assert!(d.error);
        assert!(d.skip.contains("StageNameCasing"));
        assert!(parse_check_directive("skip=all").unwrap().skip_all);
        assert!(parse_check_directive("bogus").is_err());
        assert!(parse_check_directive("error=maybe").is_err());
    }

    #[test]
    fn hadolint_yaml_keys() {
        let c = Config::from_value(
            &json!({
                "ignored": ["DL3008"],
                "override": {"error": ["DL3006"], "style": ["DL3006", "DL3059"]},
                "trustedRegistries": ["docker.io"],
                "failure-threshold": "warning",
                "label-schema": {"author": "email", "x": "text"},
                "strict-labels": true,
                "no-fail": true,
                "disable-ignore-pragma": true,
                "no-color": true,
            }),
            ".hadolint.yaml",
        )
        .unwrap();
        assert_eq!(c.ignored, ["DL3008"]);
        assert_eq!(c.overrides["DL3006"], Severity::Error);
        assert_eq!(c.overrides["DL3059"], Severity::Style);
        assert_eq!(c.failure_threshold, Severity::Warning);
        assert_eq!(c.label_schema["author"], LabelType::Email);
        assert!(c.strict_labels && c.no_fail && c.disable_ignore_pragma);
    }

    #[test]
    fn invalid_config_names_key_and_file() {
        let e = Config::from_value(&json!({"failure-threshold": "loud"}), ".hadolint.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(".hadolint.yaml") && e.contains("failure-threshold"),
            "{e}"
        );
        let e = Config::from_value(&json!({"override": {"fatal": ["DL1"]}}), "x.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("override.fatal"), "{e}");
        let e = Config::from_value(&json!({"ignored": "DL 3008"}), "f").unwrap_err();
        assert!(e.to_string().contains("not a rule code"), "{e}");
        let e = Config::from_value(&json!({"ignord": []}), "layerkit.toml").unwrap_err();
        assert!(e.to_string().contains("`ignord`: unknown setting"), "{e}");
        let e = Config::from_value(&json!({"label-schema": {"a": "number"}}), "f").unwrap_err();
        assert!(e.to_string().contains("label-schema.a"), "{e}");
    }
}
