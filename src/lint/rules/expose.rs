//! Shared by the EXPOSE rules.

use crate::dockerfile::InstructionKind;
use crate::lint::{Context, Item};

/// Every port of every `EXPOSE` (variables substituted), with its item.
pub fn exposed_ports<'c>(cx: &'c Context) -> impl Iterator<Item = (Item<'c>, &'c str)> {
    cx.items().flat_map(|item| {
        let ports: &[String] = match item.expanded() {
            InstructionKind::Expose(e) => &e.ports,
            _ => &[],
        };
        ports.iter().map(move |p| (item, p.as_str()))
    })
}

/// Splits `[ip:][host:]container` as the builder does: the last part is
/// the container port (with `/proto`), the one before the host port, the
/// rest the address.
pub fn split_port(p: &str) -> (String, String, String) {
    let parts: Vec<&str> = p.split(':').collect();
    match parts.len() {
        1 => (String::new(), String::new(), parts[0].into()),
        2 => (String::new(), parts[0].into(), parts[1].into()),
        n => (
            parts[..n - 2].join(":"),
            parts[n - 2].into(),
            parts[n - 1].into(),
        ),
    }
}
