//! `layerkit delete REF`: delete an image from a registry.

use clap::Args;

use crate::registry_args::{parse_ref, RegistryArgs};
use crate::transport::block_on;
use crate::{registry_config, Outcome};

/// Delete an image's manifest from a registry.
///
/// A tag is first resolved to its digest: registries delete manifests by
/// digest, so every tag pointing at that manifest goes too. Blobs are
/// reclaimed by the registry's garbage collection. The registry must allow
/// deletes (distribution: `storage.delete.enabled: true`).
#[derive(Args)]
#[command(
    after_help = "Examples:\n  layerkit delete localhost:5000/app:old\n  layerkit delete localhost:5000/app@sha256:…"
)]
pub struct Delete {
    /// The image: NAME:TAG or NAME@DIGEST.
    reference: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub fn run(cmd: Delete) -> anyhow::Result<Outcome> {
    let r = parse_ref(&cmd.reference)?;
    let settings = cmd.registry.settings(&[&r.registry])?;
    let client = registry_config::origin_client(&settings, &r.registry)?;
    let digest = match &r.digest {
        Some(d) => d.clone(),
        None => block_on(client.manifest_descriptor(&r.repository, &r.identifier()))?.digest,
    };
    block_on(client.delete_manifest(&r.repository, &digest))?;
    println!("Deleted: {}@{digest}", r.name());
    Ok(Outcome::Ok)
}
