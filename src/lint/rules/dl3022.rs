//! DL3022: `COPY --from` names an earlier stage.

use super::common::copies_from;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3022",
    name: "copy-from-known-stage",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "`COPY --from` should reference a previously defined `FROM` alias",
    description: "`COPY --from=name` takes files from the stage `name`; when no earlier \
stage has that name the builder pulls an image called `name` instead, which is rarely \
what was meant. Image references (with a tag, a registry or a path) and stage numbers \
are fine.",
    bad: "FROM golang:1.22 AS build\nRUN make\nFROM alpine:3.20\nCOPY --from=biuld /out /out\n",
    good: "FROM golang:1.22 AS build\nRUN make\nFROM alpine:3.20\nCOPY --from=build /out /out\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (item, stage, f) in copies_from(cx) {
        if f.contains([':', '/', '@', '$']) || cx.stage_named(f, stage.index).is_some() {
            continue;
        }
        // The own stage is DL3023's business.
        if stage.name.as_deref() == Some(f.to_ascii_lowercase().as_str()) {
            continue;
        }
        out.add(item.find_flag("from"), RULE.summary);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_unknown_stage() {
        catches(
            &RULE,
            "FROM a:1 AS build\nFROM b:1\nCOPY --from=biuld /x /x\n",
        );
        catches(&RULE, "FROM a:1\nCOPY --from=1 /x /x\nFROM b:1\n");
    }

    #[test]
    fn passes_stages_and_images() {
        passes(
            &RULE,
            "FROM a:1 AS build\nFROM b:1\nCOPY --from=build /x /x\n",
        );
        passes(
            &RULE,
            "FROM a:1 AS Build\nFROM b:1\nCOPY --from=BUILD /x /x\n",
        );
        passes(&RULE, "FROM a:1\nFROM b:1\nCOPY --from=0 /x /x\n");
        passes(&RULE, "FROM b:1\nCOPY --from=nginx:1.27 /etc/nginx /x\n");
        passes(
            &RULE,
            "FROM b:1\nCOPY --from=docker.io/library/nginx /etc/nginx /x\n",
        );
    }
}
