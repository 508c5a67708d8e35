//! `layerkit push`: upload an image from the local store, or straight from
//! an image directory, to a registry.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use crate::copy::{store_image, TransferArgs};
use crate::progress::Progress;
use crate::registry_args::parse_ref;
use crate::transfer::{self, Layout, Options, Source};
use crate::{load, store, Ctx, Outcome};

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

/// A temporary store holding an archive's images while they are pushed;
/// removed when dropped.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The source `--from` names: an OCI layout directory (`DIR` or
/// `DIR:NAME`), or an archive file (docker-archive, oci-archive, maybe
/// compressed; `FILE` or `FILE:NAME` when it holds several images), which
/// is read once into a temporary store next to the local store.
fn from_source(from: &str, ctx: &Ctx) -> anyhow::Result<(Layout, Option<Staging>)> {
    let path = PathBuf::from(from);
    let (path, name) = if path.exists() {
        (path, None)
    } else {
        match from.rsplit_once(':') {
            Some((p, n)) if PathBuf::from(p).exists() => (PathBuf::from(p), Some(n.to_string())),
            _ => bail!("{from}: no such file or directory"),
        }
    };
    if path.is_dir() {
        if !path.join("index.json").exists() {
            bail!(
                "{}: not an OCI image layout (no index.json)",
                path.display()
            );
        }
        return Ok((Layout::dir(path, name), None));
    }
    let root = store::default_root(ctx.root.as_deref())?;
    let staging = Staging(
        root.join("ingest")
            .join(format!("push-{}", std::process::id())),
    );
    let _ = std::fs::remove_dir_all(&staging.0);
    let tmp_ctx = Ctx {
        root: Some(staging.0.clone()),
    };
    load::run(
        load::Args {
            input: Some(path.clone()),
            quiet: true,
            platform: None,
        },
        &tmp_ctx,
    )
    .with_context(|| format!("reading {}", path.display()))?;
    let store = tmp_ctx.store()?;
    let images = store.images()?;
    let entry = match (&name, images.as_slice()) {
        (Some(n), _) => store.find(&images, n)?.image.entry.clone(),
        (None, [one]) => one.entry.clone(),
        (None, many) => bail!(
            "{}: the archive holds {} images; name one as {}:NAME (names: {})",
            path.display(),
            many.len(),
            path.display(),
            many.iter()
                .flat_map(|i| i.tags.iter().map(|t| t.familiar()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut layout = Layout::store(store)?;
    layout.entry = Some(entry);
    Ok((layout, Some(staging)))
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
