//! DL3044: an ENV value cannot see a variable set earlier in the same ENV.

use super::common::var_refs;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3044",
    name: "env-self-reference",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "Do not refer to an environment variable within the same `ENV` statement where it is defined.",
    description: "Values in one `ENV` are substituted with the variables as they were \
before the instruction: in `ENV A=1 B=$A`, `B` does not get `1`. Split the instruction. \
A variable's reference to its own old value (`ENV PATH=/x:$PATH`) is fine. Reported \
even when the variable was set before (then `B` silently gets the old value).",
    bad: "FROM a:1\nENV DIR=/opt/app BIN=$DIR/bin\n",
    good: "FROM a:1\nENV DIR=/opt/app\nENV BIN=$DIR/bin\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let InstructionKind::Env(env) = item.kind() else {
            continue;
        };
        for (i, pair) in env.pairs.iter().enumerate() {
            let earlier: Vec<&str> = env.pairs[..i].iter().map(|p| p.key.as_str()).collect();
            let refs = var_refs(&pair.value, cx.df.escape);
            if let Some(name) = refs.iter().find(|r| earlier.contains(&r.as_str())) {
                out.add(
                    item.find(&pair.value),
                    format!(
                        "Do not refer to an environment variable within the same `ENV` statement where it is defined: `{name}` is not set yet"
                    ),
                );
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_same_statement_reference() {
        catches(&RULE, "FROM a:1\nENV A=1 B=$A\n");
        catches(&RULE, "FROM a:1\nENV A=1 \\\n    B=\"${A}/x\"\n");
        // hadolint skips this because A was set before; B gets "0".
        catches(&RULE, "FROM a:1\nENV A=0\nENV A=1 B=$A\n");
    }

    #[test]
    fn passes_separate_or_own_reference() {
        passes(&RULE, "FROM a:1\nENV A=1\nENV B=$A\n");
        passes(&RULE, "FROM a:1\nENV PATH=/x:$PATH\n");
        passes(&RULE, "FROM a:1\nENV A=1 B='$A'\n");
        passes(&RULE, "FROM a:1\nENV A=1 B=$AB\n");
    }
}
