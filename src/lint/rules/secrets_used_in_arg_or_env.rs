//! SecretsUsedInArgOrEnv: no secrets in ARG or ENV names.

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "SecretsUsedInArgOrEnv",
    name: "secrets-used-in-arg-or-env",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Sensitive data should not be used in the ARG or ENV commands",
    description: "`ARG` and `ENV` values end up in the image's config or history. A name \
is suspicious when one of its `_`-separated words is `apikey`, `auth`, `credential(s)`, \
`key`, `password`, `pword`, `passwd`, `secret` or `token`, unless another word is \
`public`, `file` or `version` (`GPG_KEY_FILE`, `PUBLIC_KEY`). Use secret mounts.",
    bad: "FROM a:1\nARG GITHUB_TOKEN\n",
    good: "FROM a:1\nRUN --mount=type=secret,id=github_token make\n",
    fixable: false,
    check,
};

fn is_secret(key: &str) -> bool {
    let words: Vec<String> = key.split('_').map(|w| w.to_ascii_lowercase()).collect();
    let deny = [
        "apikey",
        "auth",
        "credential",
        "credentials",
        "key",
        "password",
        "pword",
        "passwd",
        "secret",
        "token",
    ];
    let allow = ["public", "file", "version"];
    words.iter().any(|w| deny.contains(&w.as_str()))
        && !words.iter().any(|w| allow.contains(&w.as_str()))
}

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let (kw, keys): (&str, Vec<&str>) = match item.kind() {
            InstructionKind::Arg(a) => ("ARG", a.pairs.iter().map(|p| p.key.as_str()).collect()),
            InstructionKind::Env(e) => ("ENV", e.pairs.iter().map(|p| p.key.as_str()).collect()),
            _ => continue,
        };
        for k in keys.into_iter().filter(|k| is_secret(k)) {
            out.add(
                item.find(k),
                format!("Do not use ARG or ENV instructions for sensitive data ({kw} {k:?})"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_secret_words() {
        let f = catches(&RULE, "FROM a:1\nARG GITHUB_TOKEN\n");
        assert_eq!(
            f[0].message,
            "Do not use ARG or ENV instructions for sensitive data (ARG \"GITHUB_TOKEN\")"
        );
        catches(&RULE, "FROM a:1\nENV aws_secret_access_key=x\n");
        catches(&RULE, "FROM a:1\nENV AUTH=x\n");
    }

    #[test]
    fn passes_allowed_words() {
        passes(
            &RULE,
            "FROM a:1\nENV GPG_KEYS=x GPG_KEY_FILE=/k PUBLIC_KEY=x NODE_VERSION=1 TOKENIZER=x\n",
        );
    }
}
