//! `layerkit push`: upload an image from the local store, or straight from
//! an image directory, to a registry.

use anyhow::{bail, Context};
use clap::Args;

use crate::copy::{from_source, store_image, Staging, TransferArgs};
use crate::progress::Progress;
use crate::registry_args::parse_ref;
use crate::transfer::{self, Options, Source};
use crate::{Ctx, Outcome};

/// Upload an image to a registry.
///
/// The image comes from the local store, or with --from straight from an
/// image file — a `docker save` archive, an oci-archive, an OCI layout
/// directory (`PATH` or `PATH:NAME`) — as CI pipelines push a build result.
/// Blobs the registry already has are skipped; large blobs are uploaded in
/// chunks; the manifest is put under the tag.
#[derive(Args)]
#[command(after_help = "\
Examples:
  layerkit push registry.example.com:5000/app:1.2
  layerkit push --from ./build/oci-layout localhost:5000/app:ci-123
  docker save app | gzip > app.tar.gz && layerkit push --from app.tar.gz registry.example.com/app:1")]
pub struct Push {
    /// Where to push: NAME[:TAG].
    reference: String,
    /// Push this image file instead of the store's image: a docker-archive
    /// or oci-archive (maybe gzip'd), or an OCI layout directory; `PATH:NAME`
    /// picks one of several images.
    #[arg(long, value_name = "PATH")]
    from: Option<String>,
    /// Print the result as JSON.
    #[arg(long, value_parser = ["json", "text"], default_value = "text")]
    format: String,
    #[command(flatten)]
    transfer: TransferArgs,
}

pub fn run(cmd: Push, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let reference = parse_ref(&cmd.reference)?;
    if reference.digest.is_some() && reference.tag.is_none() {
        bail!("{}: push needs a tag, not a digest", cmd.reference);
    }
    let (source, _staging): (Box<dyn Source>, Option<Staging>) = match &cmd.from {
        Some(f) => {
            let (layout, staging) = from_source(f, ctx)?;
            (Box::new(layout), staging)
        }
        None => (Box::new(store_image(ctx, &cmd.reference)?), None),
    };
    let quiet = cmd.transfer.quiet || cmd.format == "json";
    let progress = Progress::new(quiet);
    progress.message(&format!(
        "The push refers to repository [{}]",
        reference.name()
    ));
    let dst = cmd.transfer.registry_image(&reference)?;
    let opts = Options {
        platform: None,
        all_platforms: true,
        jobs: cmd.transfer.jobs,
        progress,
    };
    let copied = transfer::copy(
        source.as_ref(),
        &dst,
        std::slice::from_ref(&reference),
        &opts,
    )
    .with_context(|| format!("pushing {} to {reference}", source.describe()))?;
    if cmd.format == "json" {
        println!("{}", serde_json::to_string_pretty(&copied)?);
    } else {
        println!(
            "{}: digest: {} size: {}",
            reference.tag.as_deref().unwrap_or("latest"),
            copied.digest,
            copied.size
        );
    }
    Ok(Outcome::Ok)
}
