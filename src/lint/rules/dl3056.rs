//! DL3056: schema label Semver values.

use super::labels;
use crate::lint::config::LabelType;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3056",
    name: "label-semver",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Label `<label>` does not conform to semantic versioning.",
    description: "With `label-schema` in the config, a label declared of type `semver` must hold a semantic version. Labels are checked after variables are substituted.",
    bad: "# label-schema: {version: semver}\nFROM a:1\nLABEL version=\"v1\"\n",
    good: "# label-schema: {version: semver}\nFROM a:1\nLABEL version=\"1.2.3\"\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    labels::check_type(cx, out, LabelType::Semver, labels::is_semver, |k| {
        format!("Label `{k}` does not conform to semantic versioning.")
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches_with, passes_with};
    use crate::lint::{Config, LabelType};

    fn cfg() -> Config {
        let mut c = Config::default();
        c.label_schema.insert("version".into(), LabelType::Semver);
        c
    }

    #[test]
    fn catches_bad_value() {
        catches_with(&RULE, "FROM a:1\nLABEL version=\"v1\"\n", &cfg());
    }

    #[test]
    fn passes_good_value() {
        passes_with(
            &RULE,
            "FROM a:1\nLABEL version=\"1.2.3\" other=\"v1\"\n",
            &cfg(),
        );
        passes_with(
            &RULE,
            "FROM a:1\nLABEL version=\"v1\"\n",
            &Config::default(),
        );
    }
}
