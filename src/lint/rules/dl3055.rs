//! DL3055: schema label Hash values.

use super::labels;
use crate::lint::config::LabelType;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3055",
    name: "label-git-hash",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Label `<label>` is not a valid git hash.",
    description: "With `label-schema` in the config, a label declared of type `hash` must hold a git commit hash. Labels are checked after variables are substituted.",
    bad: "# label-schema: {revision: hash}\nFROM a:1\nLABEL revision=\"main\"\n",
    good: "# label-schema: {revision: hash}\nFROM a:1\nLABEL revision=\"0123abcd0123abcd0123abcd0123abcd0123abcd\"\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    labels::check_type(cx, out, LabelType::Hash, labels::is_git_hash, |k| {
        format!("Label `{k}` is not a valid git hash.")
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches_with, passes_with};
    use crate::lint::{Config, LabelType};

    fn cfg() -> Config {
        let mut c = Config::default();
        c.label_schema.insert("revision".into(), LabelType::Hash);
        c
    }

    #[test]
    fn catches_bad_value() {
        catches_with(&RULE, "FROM a:1\nLABEL revision=\"main\"\n", &cfg());
    }

    #[test]
    fn passes_good_value() {
        passes_with(&RULE, "FROM a:1\nLABEL revision=\"0123abcd0123abcd0123abcd0123abcd0123abcd\" other=\"main\"\n", &cfg());
        passes_with(
            &RULE,
            "FROM a:1\nLABEL revision=\"main\"\n",
            &Config::default(),
        );
    }
}
