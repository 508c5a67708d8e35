//! `layerkit manifest REF`: print an image's manifest as the registry
//! serves it.

use std::io::Write;

use clap::Args;
use layerkit::oci::{Manifest as Parsed, Platform};
use layerkit::registry::{self, RegistryError};

use crate::registry_args::{parse_ref, RegistryArgs};
use crate::transport::block_on;
use crate::{registry_config, Outcome};

/// Print an image's manifest (or index) exactly as the registry serves it,
/// so its sha256 is the image's digest.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  layerkit manifest alpine:3.20 | jq .\n  layerkit manifest --platform linux/arm64 alpine:3.20"
)]
pub struct Manifest {
    /// The image: NAME[:TAG|@DIGEST].
    reference: String,
    /// From a multi-platform index, print this platform's manifest instead.
    #[arg(long)]
    platform: Option<Platform>,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub fn run(cmd: Manifest) -> anyhow::Result<Outcome> {
    let r = parse_ref(&cmd.reference)?;
    let settings = cmd.registry.settings(&[&r.registry])?;
    let client = registry_config::client(&settings, &r.registry)?;
    let mut m = block_on(client.manifest(&r.repository, &r.identifier()))?;
    if let (Some(p), Parsed::Index(index)) = (&cmd.platform, &m.manifest) {
        let Some(d) = registry::select_platform(index, p) else {
            return Err(RegistryError::NoMatchingPlatform {
                reference: r.to_string(),
                wanted: p.to_string(),
                available: registry::platforms(index),
            }
            .into());
        };
        m = block_on(client.manifest(&r.repository, &d.digest.to_string()))?;
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&m.bytes)?;
    if !m.bytes.ends_with(b"\n") {
        writeln!(out)?;
    }
    Ok(Outcome::Ok)
}
