//! `layerkit tag SOURCE TARGET`: another name for an image in the store.

use anyhow::Context;
use clap::Args as ClapArgs;

use crate::store::parse_tag;
use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
#[command(after_help = "\
An image has one id and any number of names; a name points at one image
(tagging moves it, and an image left without names shows as <none>).

Examples:
  layerkit tag busybox:latest me/busybox:1
  layerkit tag 6e0b05049ed9 localhost:5000/app")]
pub struct Args {
    /// The image: a name, an image id (or a unique prefix) or a digest.
    pub source: String,
    /// The new name: [REGISTRY/]REPOSITORY[:TAG].
    pub target: String,
}

pub fn run(args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let store = ctx.store()?;
    let target = parse_tag(&args.target)?;
    let _lock = store.lock_shared()?;
    let images = store.images()?;
    let found = store.find(&images, &args.source)?;
    store
        .add_image(&found.image.entry, &[target])
        .with_context(|| format!("tagging {} as {}", args.source, args.target))?;
    Ok(Outcome::Ok)
}
