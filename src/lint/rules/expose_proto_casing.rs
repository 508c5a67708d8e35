//! ExposeProtoCasing: EXPOSE protocols are lower case.

use super::expose::{exposed_ports, split_port};
use crate::lint::{Context, Fix, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "ExposeProtoCasing",
    name: "expose-proto-casing",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "Protocol in EXPOSE instruction should be lowercase",
    description: "`80/TCP` works, but the protocol is stored lower case and tools compare \
it that way. Fixable.",
    bad: "FROM a:1\nEXPOSE 80/TCP\n",
    good: "FROM a:1\nEXPOSE 80/tcp\n",
    fixable: true,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (item, p) in exposed_ports(cx) {
        let (_, _, container) = split_port(p);
        let Some((_, proto)) = container.split_once('/') else {
            continue;
        };
        if proto == proto.to_lowercase() {
            continue;
        }
        let msg = format!("Defined protocol '{p}' in EXPOSE instruction should be lowercase");
        let o = &item.node.original;
        let literal = o[item.args_offset()..]
            .split_whitespace()
            .any(|w| w == p)
            .then(|| item.args_offset() + o[item.args_offset()..].find(p).unwrap_or(0));
        match literal {
            Some(at) => {
                let proto_at = at + p.len() - proto.len();
                out.add(cx.df.span_in(item.node, at, p.len()), msg)
                    .fix(Fix {
                        title: format!("Write '{}'", proto.to_lowercase()),
                        edits: vec![cx.edit(
                            item.node,
                            proto_at,
                            proto.len(),
                            proto.to_lowercase(),
                        )],
                    });
            }
            None => {
                out.add(item.args_span(), msg);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, fixes, passes};

    #[test]
    fn catches_upper_proto() {
        let f = catches(&RULE, "FROM a:1\nEXPOSE 80/TCP\n");
        assert_eq!(
            f[0].message,
            "Defined protocol '80/TCP' in EXPOSE instruction should be lowercase"
        );
    }

    #[test]
    fn passes_lower() {
        passes(&RULE, "FROM a:1\nEXPOSE 80/tcp 53/udp 8080\n");
    }

    #[test]
    fn fixes_proto() {
        fixes(
            &RULE,
            "FROM a:1\nEXPOSE 443 80/TCP 53/Udp\n",
            "FROM a:1\nEXPOSE 443 80/tcp 53/udp\n",
        );
    }
}
