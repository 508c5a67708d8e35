//! `layerkit digest REF`: the digest a tag points at.

use clap::Args;
use layerkit::oci::{Manifest, Platform};
use layerkit::registry::{self, RegistryError};

use crate::registry_args::{parse_ref, RegistryArgs};
use crate::transport::block_on;
use crate::{registry_config, Outcome};

/// Print the digest of an image's manifest (a HEAD request: it does not
/// count against Docker Hub's pull limit).
#[derive(Args)]
#[command(
    after_help = "Examples:\n  layerkit digest alpine:3.20\n  docker pull alpine@$(layerkit digest alpine:3.20)"
)]
pub struct Digest {
    /// The image: NAME[:TAG|@DIGEST].
    reference: String,
    /// From a multi-platform index, the digest of this platform's manifest.
    #[arg(long)]
    platform: Option<Platform>,
    /// Print the descriptor (mediaType, digest, size) as JSON.
    #[arg(long, value_parser = ["json", "text"], default_value = "text")]
    format: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub fn run(cmd: Digest) -> anyhow::Result<Outcome> {
    let r = parse_ref(&cmd.reference)?;
    let settings = cmd.registry.settings(&[&r.registry])?;
    let client = registry_config::client(&settings, &r.registry)?;
    let desc = match &cmd.platform {
        None => block_on(client.manifest_descriptor(&r.repository, &r.identifier()))?,
        Some(p) => {
            let m = block_on(client.manifest(&r.repository, &r.identifier()))?;
            match &m.manifest {
                Manifest::Index(index) => match registry::select_platform(index, p) {
                    Some(d) => {
                        let mut d = d.clone();
                        d.platform = None;
                        d.annotations.clear();
                        d
                    }
                    None => {
                        return Err(RegistryError::NoMatchingPlatform {
                            reference: r.to_string(),
                            wanted: p.to_string(),
                            available: registry::platforms(index),
                        }
                        .into())
                    }
                },
                Manifest::Image(_) => m.descriptor(),
            }
        }
    };
    if cmd.format == "json" {
        println!("{}", serde_json::to_string_pretty(&desc)?);
    } else {
        println!("{}", desc.digest);
    }
    Ok(Outcome::Ok)
}
