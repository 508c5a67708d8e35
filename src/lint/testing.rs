//! Helpers for rule tests: run one rule over a Dockerfile and assert what
//! it reports.
//!
//! ```ignore
//! #[test]
//! fn catches_untagged() {
//!     let f = catches(&super::RULE, "FROM debian\n");
//!     assert_eq!(f[0].span.start.line, 1);
//! }
//! #[test]
//! fn passes_tagged() {
//!     passes(&super::RULE, "FROM debian:12\n");
//! }
//! ```

use super::{apply_fixes, run, Config, Finding, Inputs, Rule};
use crate::dockerfile;

/// The findings of `rule` alone on `src` (the rule runs even when it is
/// off by default), after pragmas and `config`.
pub fn check_with(
    rule: &'static Rule,
    src: &str,
    config: &Config,
    inputs: &Inputs,
) -> Vec<Finding> {
    let df = dockerfile::parse(src);
    run(&df, config, inputs, &[rule], true)
        .into_iter()
        .filter(|f| f.code == rule.code)
        .collect()
}

/// The findings of `rule` alone on `src` with the default config.
pub fn check(rule: &'static Rule, src: &str) -> Vec<Finding> {
    check_with(rule, src, &Config::default(), &Inputs::default())
}

/// Asserts that `rule` reports something on `src`; returns the findings.
#[track_caller]
pub fn catches(rule: &'static Rule, src: &str) -> Vec<Finding> {
    let f = check(rule, src);
    assert!(!f.is_empty(), "{} reports nothing on:\n{src}", rule.code);
    f
}

/// Asserts that `rule` reports nothing on `src`.
#[track_caller]
pub fn passes(rule: &'static Rule, src: &str) {
    let f = check(rule, src);
    assert!(f.is_empty(), "{} reports on:\n{src}\n{:#?}", rule.code, f);
}

/// Like [`catches`], with a config.
#[track_caller]
pub fn catches_with(rule: &'static Rule, src: &str, config: &Config) -> Vec<Finding> {
    let f = check_with(rule, src, config, &Inputs::default());
    assert!(!f.is_empty(), "{} reports nothing on:\n{src}", rule.code);
    f
}

/// Like [`passes`], with a config.
#[track_caller]
pub fn passes_with(rule: &'static Rule, src: &str, config: &Config) {
    let f = check_with(rule, src, config, &Inputs::default());
    assert!(f.is_empty(), "{} reports on:\n{src}\n{f:#?}", rule.code);
}

/// Asserts that `rule` reports on `src`, that its fixes turn `src` into
/// `want`, and that the fixed text parses and no longer triggers the rule.
#[track_caller]
pub fn fixes(rule: &'static Rule, src: &str, want: &str) {
    let f = catches(rule, src);
    assert!(
        f.iter().all(|f| f.fix.is_some()),
        "{}: a finding without a fix: {f:#?}",
        rule.code
    );
    let mut text = src.to_string();
    for _ in 0..4 {
        let f = check(rule, &text);
        let (next, n) = apply_fixes(&text, &f);
        text = next;
        if n == 0 {
            break;
        }
    }
    assert_eq!(text, want, "{}: fixed text", rule.code);
    let df = dockerfile::parse(&text);
    assert!(
        df.is_ok() == dockerfile::parse(src).is_ok(),
        "{}: the fix broke parsing: {:?}",
        rule.code,
        df.diagnostics
    );
    passes(rule, &text);
}
