//! DL3053: schema label Rfc3339 values.

use super::labels;
use crate::lint::config::LabelType;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3053",
    name: "label-rfc3339",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Label `<label>` is not a valid time format - must conform to RFC3339.",
    description: "With `label-schema` in the config, a label declared of type `rfc3339` must hold an RFC 3339 time. Labels are checked after variables are substituted.",
    bad: "# label-schema: {created: rfc3339}\nFROM a:1\nLABEL created=\"yesterday\"\n",
    good: "# label-schema: {created: rfc3339}\nFROM a:1\nLABEL created=\"2024-05-01T12:00:00Z\"\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    labels::check_type(cx, out, LabelType::Rfc3339, labels::is_rfc3339, |k| {
        format!("Label `{k}` is not a valid time format - must conform to RFC3339.")
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches_with, passes_with};
    use crate::lint::{Config, LabelType};

    fn cfg() -> Config {
        let mut c = Config::default();
        c.label_schema.insert("created".into(), LabelType::Rfc3339);
        c
    }

    #[test]
    fn catches_bad_value() {
        catches_with(&RULE, "FROM a:1\nLABEL created=\"yesterday\"\n", &cfg());
    }

    #[test]
    fn passes_good_value() {
        passes_with(
            &RULE,
            "FROM a:1\nLABEL created=\"2024-05-01T12:00:00Z\" other=\"yesterday\"\n",
            &cfg(),
        );
        passes_with(
            &RULE,
            "FROM a:1\nLABEL created=\"yesterday\"\n",
            &Config::default(),
        );
    }
}
