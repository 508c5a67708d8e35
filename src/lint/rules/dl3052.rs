//! DL3052: schema label Url values.

use super::labels;
use crate::lint::config::LabelType;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3052",
    name: "label-url",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Label `<label>` is not a valid URL.",
    description: "With `label-schema` in the config, a label declared of type `url` must hold a URL. Labels are checked after variables are substituted.",
    bad: "# label-schema: {source: url}\nFROM a:1\nLABEL source=\"example.com/x\"\n",
    good: "# label-schema: {source: url}\nFROM a:1\nLABEL source=\"https://example.com/x\"\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    labels::check_type(cx, out, LabelType::Url, labels::is_url, |k| {
        format!("Label `{k}` is not a valid URL.")
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches_with, passes_with};
    use crate::lint::{Config, LabelType};

    fn cfg() -> Config {
        let mut c = Config::default();
        c.label_schema.insert("source".into(), LabelType::Url);
        c
    }

    #[test]
    fn catches_bad_value() {
        catches_with(&RULE, "FROM a:1\nLABEL source=\"example.com/x\"\n", &cfg());
    }

    #[test]
    fn passes_good_value() {
        passes_with(
            &RULE,
            "FROM a:1\nLABEL source=\"https://example.com/x\" other=\"example.com/x\"\n",
            &cfg(),
        );
        passes_with(
            &RULE,
            "FROM a:1\nLABEL source=\"example.com/x\"\n",
            &Config::default(),
        );
    }
}
