//! DL3051: schema labels are not empty.

use super::labels;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3051",
    name: "label-empty",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "label `<label>` is empty.",
    description: "A label the `label-schema` asks for must have a value. Checked after \
variables are substituted, so `LABEL version=$VERSION` with no value for `VERSION` is \
empty.",
    bad: "# label-schema: {maintainer: text}\nFROM a:1\nLABEL maintainer=\"\"\n",
    good: "# label-schema: {maintainer: text}\nFROM a:1\nLABEL maintainer=me\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (item, key, value) in labels::pairs(cx) {
        if value.is_empty() && cx.config.label_schema.contains_key(&key) {
            out.add(item.find(&key), format!("label `{key}` is empty."));
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
        c.label_schema.insert("version".into(), LabelType::Text);
        c
    }

    #[test]
    fn catches_empty() {
        catches_with(&RULE, "FROM a:1\nLABEL version=\"\"\n", &cfg());
        catches_with(&RULE, "FROM a:1\nLABEL version=$UNSET\n", &cfg());
    }

    #[test]
    fn passes_values() {
        passes_with(&RULE, "FROM a:1\nLABEL version=1 other=\"\"\n", &cfg());
    }
}
