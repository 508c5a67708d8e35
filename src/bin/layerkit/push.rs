//! `layerkit push`: upload an image from the local store, or straight from
//! an image directory, to a registry.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use crate::copy::{store_layout, TransferArgs};
use crate::progress::Progress;
use crate::registry_args::parse_ref;
use crate::transfer::{self, Layout, Options, Source};
use crate::Outcome;

/// Upload an image to a registry.
///
/// The image comes from the local store, or with --from from an OCI layout
/// directory (`DIR` or `DIR:NAME`), as CI pipelines push a build result.
/// Blobs the registry already has are skipped; large blobs are uploaded in
/// chunks; the manifest is put under the tag.
#[derive(Args)]
#[command(after_help = "\
Examples:
  layerkit push registry.example.com:5000/app:1.2
  layerkit push --from ./build/oci-layout localhost:5000/app:ci-123")]
pub struct Push {
    /// Where to push: NAME[:TAG].
    reference: String,
    /// Push this OCI layout directory (`DIR` or `DIR:NAME`) instead of the
    /// store's image.
    #[arg(long, value_name = "PATH")]
    from: Option<String>,
    /// Print the result as JSON.
    #[arg(long, value_parser = ["json", "text"], default_value = "text")]
    format: String,
    #[command(flatten)]
    transfer: TransferArgs,
}

fn from_source(from: &str) -> anyhow::Result<Layout> {
    let path = PathBuf::from(from);
    let (dir, name) = if path.is_dir() {
        (path, None)
    } else {
        match from.rsplit_once(':') {
            Some((d, n)) if PathBuf::from(d).is_dir() => (PathBuf::from(d), Some(n.to_string())),
            _ if path.is_file() => bail!(
                "{from}: image archives (docker save / oci-archive) are not readable here yet; \
                 extract it, or use an OCI layout directory"
            ),
            _ => bail!("{from}: no such directory"),
        }
    };
    if !dir.join("index.json").exists() {
        bail!("{}: not an OCI image layout (no index.json)", dir.display());
    }
    Ok(Layout {
        dir,
        name,
        full_names: false,
    })
}

pub fn run(cmd: Push) -> anyhow::Result<Outcome> {
    let reference = parse_ref(&cmd.reference)?;
    if reference.digest.is_some() && reference.tag.is_none() {
        bail!("{}: push needs a tag, not a digest", cmd.reference);
    }
    let source: Box<dyn Source> = match &cmd.from {
        Some(f) => Box::new(from_source(f)?),
        None => Box::new(store_layout(cmd.transfer.root.as_ref(), Some(&reference))),
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
