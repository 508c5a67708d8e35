//! DL3058: schema label Email values.

use super::labels;
use crate::lint::config::LabelType;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3058",
    name: "label-email",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Label `<label>` is not a valid email format - must conform to RFC5322.",
    description: "With `label-schema` in the config, a label declared of type `email` must hold an e-mail address. Labels are checked after variables are substituted.",
    bad: "# label-schema: {maintainer: email}\nFROM a:1\nLABEL maintainer=\"Jane\"\n",
    good: "# label-schema: {maintainer: email}\nFROM a:1\nLABEL maintainer=\"jane@example.com\"\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    labels::check_type(cx, out, LabelType::Email, labels::is_email, |k| {
        format!("Label `{k}` is not a valid email format - must conform to RFC5322.")
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches_with, passes_with};
    use crate::lint::{Config, LabelType};

    fn cfg() -> Config {
        let mut c = Config::default();
        c.label_schema.insert("maintainer".into(), LabelType::Email);
        c
    }

    #[test]
    fn catches_bad_value() {
        catches_with(&RULE, "FROM a:1\nLABEL maintainer=\"Jane\"\n", &cfg());
    }

    #[test]
    fn passes_good_value() {
        passes_with(
            &RULE,
            "FROM a:1\nLABEL maintainer=\"jane@example.com\" other=\"Jane\"\n",
            &cfg(),
        );
        passes_with(
            &RULE,
            "FROM a:1\nLABEL maintainer=\"Jane\"\n",
            &Config::default(),
        );
    }
}
