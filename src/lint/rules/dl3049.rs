//! DL3049: schema labels are set in the image.

use super::labels;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3049",
    name: "label-missing",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "Label `<label>` is missing.",
    description: "With `label-schema` in the config, every label it names must be set on \
the image: in the final stage or a stage it is built `FROM`. Builder stages whose files \
are only copied need no labels (hadolint asks every stage for them).",
    bad: "# label-schema: {maintainer: text}\nFROM a:1\n",
    good: "# label-schema: {maintainer: text}\nFROM a:1\nLABEL maintainer=me\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    let Some(last) = cx.final_stage() else { return };
    let pairs = labels::pairs(cx);
    // The final stage and the stages it is built on.
    let mut chain = vec![last.index];
    let mut s = last;
    while let Some(p) = s.parent {
        chain.push(p);
        s = &cx.stages[p];
    }
    for key in cx.config.label_schema.keys() {
        let set = pairs
            .iter()
            .any(|(item, k, _)| k == key && item.stage.is_some_and(|st| chain.contains(&st.index)));
        if !set {
            out.add(
                cx.item(last.from).span(),
                format!("Label `{key}` is missing."),
            );
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
        c
    }

    #[test]
    fn catches_missing_label() {
        let f = catches_with(&RULE, "FROM a:1\nLABEL other=1\n", &cfg());
        assert_eq!(f[0].message, "Label `maintainer` is missing.");
        catches_with(
            &RULE,
            "FROM a:1 AS b\nLABEL maintainer=me\nFROM c:1\n",
            &cfg(),
        );
    }

    #[test]
    fn passes_label_in_the_image() {
        passes_with(&RULE, "FROM a:1\nLABEL maintainer=me\n", &cfg());
        passes_with(
            &RULE,
            "FROM a:1 AS base\nLABEL maintainer=me\nFROM base\n",
            &cfg(),
        );
        passes_with(
            &RULE,
            "FROM a:1 AS build\nRUN x\nFROM b:1\nLABEL maintainer=me\n",
            &cfg(),
        );
    }
}
