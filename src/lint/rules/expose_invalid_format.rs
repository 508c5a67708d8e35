//! ExposeInvalidFormat: EXPOSE takes container ports only.

use super::expose::{exposed_ports, split_port};
use crate::lint::{Context, Origin, Report, Rule, Severity};

pub static RULE: Rule = Rule {
    code: "ExposeInvalidFormat",
    name: "expose-invalid-format",
    origin: Origin::Buildkit,
    severity: Severity::Warning,
    enabled: true,
    summary: "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release",
    description: "`EXPOSE` documents the ports the container listens on. Publishing to a \
host port or address is decided at `docker run -p`, not in the image; BuildKit will \
refuse these forms.",
    bad: "FROM a:1\nEXPOSE 127.0.0.1:8080:80\n",
    good: "FROM a:1\nEXPOSE 80\n",
    fixable: false,
    check,
};

fn check(cx: &Context, out: &mut Report) {
    for (item, p) in exposed_ports(cx) {
        let (ip, host, _) = split_port(p);
        if !ip.is_empty() || !host.is_empty() {
            out.add(
                item.find(p),
                format!("EXPOSE instruction should not define an IP address or host-port mapping, found '{p}'"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::testing::{catches, passes};

    #[test]
    fn catches_mappings() {
        catches(&RULE, "FROM a:1\nEXPOSE 8080:80\n");
        let f = catches(&RULE, "FROM a:1\nEXPOSE 127.0.0.1:8080:80/tcp\n");
        assert_eq!(f[0].message, "EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:8080:80/tcp'");
    }

    #[test]
    fn passes_ports() {
        passes(&RULE, "FROM a:1\nEXPOSE 80 443/tcp 8000-8010/udp\n");
    }
}
