//! `layerkit rmi [-f] IMAGE…`: remove names and images from the store.

use std::collections::BTreeSet;

use anyhow::bail;
use clap::Args as ClapArgs;
use layerkit::oci::Reference;

use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
#[command(after_help = "\
Removing a name only untags the image while other names point at it; the
image is deleted with its last name. An image id removes the image, which
with several names needs -f. Blobs shared with other images stay.

Examples:
  layerkit rmi busybox:latest
  layerkit rmi -f 6e0b05049ed9")]
pub struct Args {
    /// Images: names, image ids (or unique prefixes) or digests.
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Remove an image id with several names: all of them go.
    #[arg(short, long)]
    pub force: bool,
    /// Accepted for docker compatibility: the store has no parent images.
    #[arg(long)]
    pub no_prune: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let store = ctx.store()?;
    let _lock = store.lock_exclusive()?;
    let mut failed = false;
    for name in &args.images {
        let images = store.images()?;
        let found = match store.find(&images, name) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("Error: {e}");
                failed = true;
                continue;
            }
        };
        let img = found.image;
        // Named by id or digest: the image, which may be stored under
        // several manifests (its layers compressed differently) — all go.
        let same: Vec<&layerkit::oci::Digest> = match &found.tag {
            Some(_) => vec![&img.entry.digest],
            None => images
                .iter()
                .filter(|i| i.id() == img.id())
                .map(|i| &i.entry.digest)
                .collect(),
        };
        // Which names go: the one given, or (an id, a digest) all of them.
        let remove: Vec<Reference> = match &found.tag {
            Some(t) => vec![t.clone()],
            None => {
                let all: Vec<Reference> = images
                    .iter()
                    .filter(|i| i.id() == img.id())
                    .flat_map(|i| i.tags.iter().cloned())
                    .collect();
                if all.len() > 1 && !args.force {
                    eprintln!(
                        "Error: conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
                        img.id().short()
                    );
                    failed = true;
                    continue;
                }
                all
            }
        };
        let names: BTreeSet<String> = remove.iter().map(|t| t.to_string()).collect();
        let gone: Vec<layerkit::oci::Digest> = same.into_iter().cloned().collect();
        let deleted_image = store.update_index(|index| {
            index.manifests.retain(|d| {
                !gone.contains(&d.digest) || d.ref_name().is_some_and(|n| !names.contains(n))
            });
            Ok(!index.manifests.iter().any(|d| gone.contains(&d.digest)))
        })?;
        for t in &remove {
            println!("Untagged: {}", t.familiar());
        }
        if deleted_image {
            let layers: BTreeSet<_> = images
                .iter()
                .filter(|i| gone.contains(&i.entry.digest))
                .flat_map(|i| i.manifest.layers.iter().map(|l| l.digest.clone()))
                .collect();
            let freed = store.collect_garbage()?;
            println!("Deleted: {}", img.id());
            for (d, _) in freed {
                if layers.contains(&d) {
                    println!("Deleted: {d}");
                }
            }
        }
    }
    if failed {
        bail!("some images could not be removed");
    }
    Ok(Outcome::Ok)
}
