//! DL3011: EXPOSE ports are 0-65535.

use super::common::var_refs;
use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "DL3011",
    name: "valid-port",
    origin: Origin::Hadolint,
    severity: Severity::Error,
    enabled: true,
    summary: "Valid UNIX ports range from 0 to 65535",
    description: "A port number above 65535 cannot be listened on; the image metadata would \
be wrong. Checked after variables are substituted.",
    bad: "FROM nginx:1.27\nEXPOSE 80000\n",
    good: "FROM nginx:1.27\nEXPOSE 8000\n",
    fixable: false,
    check,
};

/// The container port numbers of an `EXPOSE` entry (`[ip:][host:]port[-end][/proto]`).
pub fn container_ports(spec: &str) -> Vec<u64> {
    let port = spec.rsplit(':').next().unwrap_or(spec);
    let port = port.split('/').next().unwrap_or(port);
    port.split('-')
        .filter_map(|p| p.parse::<u64>().ok())
        .collect()
}

fn check(cx: &Context, out: &mut Report) {
    for item in cx.items() {
        let (InstructionKind::Expose(raw), InstructionKind::Expose(e)) =
            (item.kind(), item.expanded())
        else {
            continue;
        };
        let has_vars = raw
            .ports
            .iter()
            .any(|p| !var_refs(p, cx.df.escape).is_empty());
        for p in &e.ports {
            if container_ports(p).iter().any(|&n| n > 65535) {
                let span = if has_vars {
                    item.args_span()
                } else {
                    item.find(p)
                };
                out.add(span, RULE.summary);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_out_of_range() {
        catches(&RULE, "FROM a:1\nEXPOSE 80 65536/tcp\n");
        catches(&RULE, "FROM a:1\nEXPOSE 8000-70000\n");
        catches(&RULE, "FROM a:1\nARG P=99999\nEXPOSE $P\n");
    }

    #[test]
    fn passes_valid() {
        passes(
            &RULE,
            "FROM a:1\nEXPOSE 80 443/tcp 53/udp 8000-9000 65535\n",
        );
        passes(&RULE, "FROM a:1\nEXPOSE $PORT\n");
    }
}
