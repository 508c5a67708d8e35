//! DL3026: base images only from trusted registries.

use crate::dockerfile::InstructionKind;
use crate::lint::image::ImageRef;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3026",
    name: "trusted-registry",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "Use only an allowed registry in the FROM image",
    description: "With `trustedRegistries` set (config or `--trusted-registry`), every \
image a build pulls (`FROM`, `COPY --from`, `RUN --mount=from=`) must come from one of \
them; Docker Hub names count as `docker.io`. Entries may start or end with `*`. Images \
are checked after build arguments are substituted, so `FROM $REGISTRY/app:1` is judged \
by its value.",
    bad: "# trustedRegistries: [registry.example.com]\nFROM docker.io/library/debian:12\n",
    good: "# trustedRegistries: [registry.example.com]\nFROM registry.example.com/debian:12\n",
    fixable: false,
    check,
};

fn matches(allow: &str, registry: &str) -> bool {
    if allow == "*" {
        true
    } else if let Some(suffix) = allow.strip_prefix('*') {
        registry.ends_with(suffix)
    } else if let Some(prefix) = allow.strip_suffix('*') {
        registry.starts_with(prefix)
    } else {
        registry == allow
    }
}

fn allowed(cx: &Context, image: &str) -> bool {
    let allow = &cx.config.trusted_registries;
    let r = ImageRef::parse(image);
    match r.registry {
        Some(reg) => allow.iter().any(|a| matches(a, reg)),
        None => {
            r.is_scratch()
                || allow
                    .iter()
                    .any(|a| matches(a, "docker.io") || matches(a, "hub.docker.com"))
        }
    }
}

fn check(cx: &Context, out: &mut Report) {
    if cx.config.trusted_registries.is_empty() {
        return;
    }
    for stage in &cx.stages {
        if stage.parent.is_none() && !stage.base.is_empty() && !allowed(cx, &stage.base) {
            out.add(cx.item(stage.from).args_span(), RULE.summary);
        }
    }
    for item in cx.items() {
        if item.stage.is_none() {
            continue;
        }
        let refs: Vec<&str> = match item.expanded() {
            InstructionKind::Copy(c) => c.from.iter().map(String::as_str).collect(),
            InstructionKind::Run(r) => r.mounts.iter().filter_map(|m| m.get("from")).collect(),
            _ => continue,
        };
        for r in refs {
            let is_image = r.contains([':', '/', '@']) || !r.chars().all(|c| c.is_ascii_digit());
            let lower = r.to_ascii_lowercase();
            let is_stage = cx
                .stages
                .iter()
                .any(|s| s.name.as_deref() == Some(lower.as_str()));
            if is_image && !is_stage && !r.contains('$') && !allowed(cx, r) {
                out.add(item.span(), RULE.summary);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches_with, passes_with};
    use crate::lint::Config;

    fn cfg(list: &[&str]) -> Config {
        Config {
            trusted_registries: list.iter().map(|s| s.to_string()).collect(),
            ..Config::default()
        }
    }

    #[test]
    fn catches_untrusted() {
        catches_with(&RULE, "FROM debian:12\n", &cfg(&["registry.example.com"]));
        catches_with(&RULE, "FROM ghcr.io/o/app:1\n", &cfg(&["docker.io"]));
        catches_with(
            &RULE,
            "ARG R=quay.io\nFROM $R/o/app:1\n",
            &cfg(&["docker.io"]),
        );
        catches_with(
            &RULE,
            "FROM r.example.com/a:1\nCOPY --from=ghcr.io/o/x:1 /a /a\n",
            &cfg(&["*.example.com"]),
        );
    }

    #[test]
    fn passes_trusted_or_unset() {
        passes_with(&RULE, "FROM ghcr.io/o/app:1\n", &Config::default());
        passes_with(
            &RULE,
            "FROM debian:12 AS b\nFROM b\nFROM scratch\n",
            &cfg(&["docker.io"]),
        );
        passes_with(
            &RULE,
            "FROM r.example.com/a:1 AS b\nCOPY --from=b /a /a\n",
            &cfg(&["*.example.com"]),
        );
        passes_with(&RULE, "FROM ghcr.io/o/app:1\n", &cfg(&["ghcr*"]));
    }
}
