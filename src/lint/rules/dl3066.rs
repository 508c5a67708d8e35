//! DL3066: USER by numeric id.

use super::common::var_refs;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3066",
    name: "numeric-user",
    origin: Origin::Hadolint,
    severity: Severity::Info,
    enabled: true,
    summary: "Non-numeric user-id may not be resolvable by host system",
    description: "A user name is resolved through the image's `/etc/passwd`; the host and \
policies such as Kubernetes `runAsNonRoot` only see numbers. Use the numeric id. A user \
from a build argument is not judged; one from `ENV` is judged by its value.",
    bad: "FROM a:1\nUSER app\n",
    good: "FROM a:1\nUSER 10001:10001\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    let mut args: Vec<String> = Vec::new();
    for item in cx.items() {
        match (item.kind(), item.expanded()) {
            (InstructionKind::Arg(a), _) => args.extend(a.pairs.iter().map(|p| p.key.clone())),
            (InstructionKind::User(raw), InstructionKind::User(u)) => {
                let refs = var_refs(&raw.user, cx.df.escape);
                if refs.iter().any(|r| args.contains(r)) {
                    continue;
                }
                let uid = u.user.split(':').next().unwrap_or("");
                if uid.is_empty() && !refs.is_empty() {
                    continue;
                }
                if !uid.bytes().all(|b| b.is_ascii_digit()) || uid.is_empty() {
                    out.add(item.args_span(), RULE.summary);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_names() {
        catches(&RULE, "FROM a:1\nUSER app\n");
        catches(&RULE, "FROM a:1\nUSER app:1000\n");
        catches(&RULE, "FROM a:1\nENV U=app\nUSER $U\n");
    }

    #[test]
    fn passes_ids_and_build_args() {
        passes(&RULE, "FROM a:1\nUSER 1000\nUSER 1000:1000\n");
        passes(&RULE, "FROM a:1\nARG UID=app\nUSER ${UID}\n");
        passes(&RULE, "FROM a:1\nENV U=10\nUSER $U\n");
    }
}
