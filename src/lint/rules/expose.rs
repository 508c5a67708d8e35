//! Shared by the EXPOSE rules.

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
