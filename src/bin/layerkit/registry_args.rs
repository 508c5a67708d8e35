//! Options shared by the commands that talk to registries.

use std::sync::Arc;

use clap::Args;

use crate::registry_config::Settings;

#[derive(Args, Clone, Debug, Default)]
pub struct RegistryArgs {
    /// Treat the registries this command talks to as insecure: plain HTTP,
    /// or TLS without verifying the certificate. `localhost` and 127.0.0.0/8
    /// are insecure without it, as with docker. For a permanent setting use
    /// `insecure-registries` in ~/.config/layerkit/registries.json.
    #[arg(long)]
    pub insecure: bool,
}

impl RegistryArgs {
    /// The settings, with `registries` insecure when `--insecure` was given.
    pub fn settings(&self, registries: &[&str]) -> anyhow::Result<Arc<Settings>> {
        let extra: Vec<String> = if self.insecure {
            registries
                .iter()
                .map(|r| {
                    if *r == layerkit::oci::reference::DOCKER_HUB {
                        layerkit::oci::reference::DOCKER_HUB_API.to_string()
                    } else {
                        r.to_string()
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Arc::new(Settings::load(&extra)?))
    }
}

/// Parses a reference, adding `latest` when it has neither tag nor digest.
pub fn parse_ref(s: &str) -> anyhow::Result<layerkit::oci::Reference> {
    Ok(layerkit::oci::Reference::parse_with_default_tag(s)?)
}

/// Parses sizes like `16MiB`, `5MB`, `1048576`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size {s:?}: expected a number like 16MiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        u => {
            return Err(format!(
                "invalid size unit {u:?} in {s:?}: use B, KiB, MiB or GiB"
            ))
        }
    };
    n.checked_mul(mult)
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("invalid size {s:?}"))
}
