//! UndefinedVar: variables are defined before they are used.

use std::collections::BTreeSet;

use super::common::suggest;
use crate::dockerfile::InstructionKind;
use crate::lint::image::ImageRef;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "UndefinedVar",
    name: "undefined-var",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Variables should be defined before their use",
    description: "A variable in `COPY`, `ENV`, `WORKDIR`, `LABEL` and the other \
instructions the builder expands is replaced by nothing when no `ARG` or `ENV` defines \
it, usually a typo. `RUN` commands are left to the shell and not checked. The base \
image's own environment is not known without pulling it: in stages built on an image, \
upper-case names are assumed to come from it unless they look like a typo of a defined \
name.",
    bad: "FROM alpine:3.20\nARG VERSION=1\nCOPY app-$VERSON.tar /app/\n",
    good: "FROM alpine:3.20\nARG VERSION=1\nCOPY app-$VERSION.tar /app/\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    // Per stage: names declared by ARG (even without a value), own and
    // inherited through FROM.
    let mut declared: Vec<BTreeSet<String>> = Vec::new();
    for stage in &cx.stages {
        let mut d: BTreeSet<String> = stage
            .parent
            .map(|p| declared[p].clone())
            .unwrap_or_default();
        for item in cx.stage_items(stage) {
            if let InstructionKind::Arg(a) = item.kind() {
                d.extend(a.pairs.iter().map(|p| p.key.clone()));
            }
        }
        declared.push(d);
    }
    let mut seen = BTreeSet::new();
    for (i, name) in &cx.expanded.unmatched {
        let item = cx.item(*i);
        let Some(stage) = item.stage else { continue };
        if stage.from == *i || name == "PATH" || name.starts_with("BUILDKIT_SBOM_SCAN_") {
            continue;
        }
        // Declared in this stage before this instruction.
        let declared_before = cx.stage_items(stage).take_while(|x| x.index < *i).any(|x| {
            matches!(x.kind(), InstructionKind::Arg(a) if a.pairs.iter().any(|p| &p.key == name))
        });
        let inherited = stage.parent.is_some_and(|p| declared[p].contains(name));
        if declared_before || inherited || !seen.insert((*i, name.clone())) {
            continue;
        }
        let env = cx.expanded.stages.get(stage.index).map(|s| &s.env);
        let mut options: BTreeSet<&str> =
            env.into_iter().flatten().map(|(k, _)| k.as_str()).collect();
        options.extend(declared[stage.index].iter().map(String::as_str));
        let hint = suggest(name, options.iter().copied());
        // The base image may define it.
        let mut root = stage;
        while let Some(p) = root.parent {
            root = &cx.stages[p];
        }
        let from_image = !ImageRef::parse(&root.base).is_scratch();
        if from_image && hint.is_none() && *name == name.to_uppercase() {
            continue;
        }
        let mut msg = format!("Usage of undefined variable '${name}'");
        if let Some(s) = hint {
            msg.push_str(&format!(" (did you mean ${s}?)"));
        }
        out.add(item.find(name), msg);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_undefined() {
        let f = catches(
            &RULE,
            "FROM a:1\nARG VERSION=1\nCOPY app-$VERSON.tar /app/\n",
        );
        assert_eq!(
            f[0].message,
            "Usage of undefined variable '$VERSON' (did you mean $VERSION?)"
        );
        catches(&RULE, "FROM a:1\nCOPY $src /x\n");
        catches(&RULE, "FROM scratch\nENV A=$HOME\n");
        catches(&RULE, "FROM a:1\nWORKDIR /$v\nARG v=x\n");
    }

    #[test]
    fn passes_defined_and_base_image_env() {
        passes(&RULE, "FROM a:1\nARG V\nCOPY $V /x\nENV P=/x:$PATH\n");
        passes(
            &RULE,
            "FROM a:1\nENV A=1\nWORKDIR /$A\nRUN echo $UNDEFINED\n",
        );
        passes(&RULE, "FROM a:1 AS b\nARG V=1\nFROM b\nCOPY $V /x\n");
        // JAVA_HOME may come from the base image.
        passes(&RULE, "FROM eclipse-temurin:21\nENV P=$JAVA_HOME/bin\n");
    }
}
