//! DL3064: no secrets in ARG or ENV.

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3064",
    name: "sensitive-arg-env",
    origin: Origin::Hadolint,
    severity: Severity::Warning,
    enabled: true,
    summary: "Potentially sensitive data should not be used in the `ARG` or `ENV` commands",
    description: "`ENV` values are stored in the image and `ARG` values in its history: \
anyone who pulls the image can read them. Pass secrets with `RUN --mount=type=secret`. \
Names are suspicious when they contain `password`, `secret`, `token`, `api_key`, \
`client_key`, `private` or `username`, or are well-known credential variables \
(`AWS_ACCESS_KEY_ID`, …). Unlike hadolint, names that only describe the environment \
(`TRAVIS_OS_NAME`, `STRIPE_DEVICE_NAME`) are not reported.",
    bad: "FROM a:1\nARG GITHUB_TOKEN\n",
    good: "FROM a:1\nRUN --mount=type=secret,id=github_token make\n",
    fixable: false,
    check,
};

const SUBSTRINGS: &[&str] = &[
    "api_key",
    "client_key",
    "password",
    "private",
    "secret",
    "token",
    "username",
];

/// Well-known credential variables the substrings miss.
const NAMES: &[&str] = &[
    "APPLICATION_KEY",
    "AWS_ACCESS_KEY_ID",
    "DOCKER_EMAIL",
    "HEROKU_API_USER",
    "OKTA_OAUTH2_CLIENTID",
];

pub fn sensitive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    NAMES.contains(&name.to_ascii_uppercase().as_str())
        || SUBSTRINGS.iter().any(|s| lower.contains(s))
}

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let keys: Vec<&str> = match item.kind() {
            InstructionKind::Arg(a) => a.pairs.iter().map(|p| p.key.as_str()).collect(),
            InstructionKind::Env(e) => e.pairs.iter().map(|p| p.key.as_str()).collect(),
            _ => continue,
        };
        if let Some(k) = keys.iter().find(|k| sensitive(k)) {
            out.add(item.find(k), RULE.summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_secret_names() {
        catches(&RULE, "FROM a:1\nARG GITHUB_TOKEN\n");
        catches(&RULE, "ARG DB_PASSWORD=x\nFROM a:1\n");
        catches(&RULE, "FROM a:1\nENV A=1 AWS_ACCESS_KEY_ID=x\n");
        catches(&RULE, "FROM a:1\nARG USERNAME=vscode\n");
    }

    #[test]
    fn passes_ordinary_names() {
        passes(&RULE, "FROM a:1\nARG VERSION=1\nENV PATH=/x:$PATH\n");
        // hadolint lists these among secrets; they are not.
        passes(
            &RULE,
            "FROM a:1\nENV TRAVIS_OS_NAME=linux STRIPE_DEVICE_NAME=x\n",
        );
    }
}
