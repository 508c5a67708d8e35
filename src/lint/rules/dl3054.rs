//! DL3054: schema label Spdx values.

use super::labels;
use crate::lint::config::LabelType;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3054",
    name: "label-spdx",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Label `<label>` is not a valid SPDX identifier.",
    description: "With `label-schema` in the config, a label declared of type `spdx` must hold an SPDX license expression. Labels are checked after variables are substituted.",
    bad: "# label-schema: {license: spdx}\nFROM a:1\nLABEL license=\"my license\"\n",
    good: "# label-schema: {license: spdx}\nFROM a:1\nLABEL license=\"MIT OR Apache-2.0\"\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    labels::check_type(cx, out, LabelType::Spdx, labels::is_spdx, |k| {
        format!("Label `{k}` is not a valid SPDX identifier.")
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches_with, passes_with};
    use crate::lint::{Config, LabelType};

    fn cfg() -> Config {
        let mut c = Config::default();
        c.label_schema.insert("license".into(), LabelType::Spdx);
        c
    }

    #[test]
    fn catches_bad_value() {
        catches_with(&RULE, "FROM a:1\nLABEL license=\"my license\"\n", &cfg());
    }

    #[test]
    fn passes_good_value() {
        passes_with(
            &RULE,
            "FROM a:1\nLABEL license=\"MIT OR Apache-2.0\" other=\"my license\"\n",
            &cfg(),
        );
        passes_with(
            &RULE,
            "FROM a:1\nLABEL license=\"my license\"\n",
            &Config::default(),
        );
    }
}
