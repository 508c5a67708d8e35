//! DL3050: with strict labels, only schema labels.

use super::labels;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3050",
    name: "label-superfluous",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "Superfluous label(s) present.",
    description: "With `strict-labels: true`, labels that `label-schema` does not name are \
reported.",
    bad: "# label-schema: {maintainer: text}, strict-labels: true\nFROM a:1\nLABEL maintainer=me extra=1\n",
    good: "# label-schema: {maintainer: text}, strict-labels: true\nFROM a:1\nLABEL maintainer=me\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    if !cx.config.strict_labels {
        return;
    }
    for (item, key, _) in labels::pairs(cx) {
        if !cx.config.label_schema.contains_key(&key) {
            out.add(item.find(&key), RULE.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches_with, passes_with};
    use crate::lint::{Config, LabelType};

    fn cfg() -> Config {
        let mut c = Config::default();
        c.label_schema.insert("maintainer".into(), LabelType::Text);
        c.strict_labels = true;
        c
    }

    #[test]
    fn catches_extra_label() {
        catches_with(&RULE, "FROM a:1\nLABEL maintainer=me extra=1\n", &cfg());
    }

    #[test]
    fn passes_schema_labels_or_not_strict() {
        passes_with(&RULE, "FROM a:1\nLABEL maintainer=me\n", &cfg());
        passes_with(&RULE, "FROM a:1\nLABEL extra=1\n", &Config::default());
    }
}
