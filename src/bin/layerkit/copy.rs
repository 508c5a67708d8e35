//! `layerkit copy SRC DST`: move an image between registries, OCI layout
//! directories and the local store without unpacking it.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;
use layerkit::oci::{Platform, Reference};

use crate::progress::Progress;
use crate::registry_args::{parse_ref, parse_size, RegistryArgs};
use crate::registry_config;
use crate::transfer::{self, Dest, Layout, Options, RegistryImage, Source};
use crate::{Ctx, Outcome};

/// Where an image is.
pub enum Location {
    /// `docker://REF` or a bare reference.
    Registry(Reference),
    /// `oci:DIR[:NAME]`.
    Layout(PathBuf, Option<String>),
    /// `store:REF` (the local store).
    Store(Reference),
}

impl Location {
    pub fn parse(s: &str) -> anyhow::Result<Location> {
        if let Some(r) = s.strip_prefix("docker://") {
            return Ok(Location::Registry(parse_ref(r)?));
        }
        if let Some(rest) = s.strip_prefix("oci:") {
            let (dir, name) = match rest.rsplit_once(':') {
                Some((d, n)) if !n.contains('/') && !d.is_empty() => (d, Some(n.to_string())),
                _ => (rest, None),
            };
            if dir.is_empty() {
                bail!("{s:?}: expected oci:DIR[:NAME]");
            }
            return Ok(Location::Layout(PathBuf::from(dir), name));
        }
        if let Some(r) = s.strip_prefix("store:") {
            return Ok(Location::Store(parse_ref(r)?));
        }
        if s.contains("://") || s.starts_with("docker-archive:") || s.starts_with("oci-archive:") {
            bail!("{s:?}: unsupported location; use docker://REF, oci:DIR[:NAME], store:REF or a plain image reference");
        }
        Ok(Location::Registry(parse_ref(s)?))
    }
}

/// Options shared by the commands that transfer images.
#[derive(Args, Clone)]
pub struct TransferArgs {
    /// Blobs transferred at once.
    #[arg(long, short = 'j', default_value_t = 4, value_name = "N")]
    pub jobs: usize,
    /// Blobs larger than this are uploaded in chunks of this size (PATCH
    /// requests); smaller ones in one request.
    #[arg(long, default_value = "64MiB", value_parser = parse_size, value_name = "SIZE")]
    pub chunk_size: u64,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

impl TransferArgs {
    pub fn source(&self, loc: &Location, ctx: &Ctx) -> anyhow::Result<Box<dyn Source>> {
        Ok(match loc {
            Location::Registry(r) => Box::new(self.registry_image(r)?),
            Location::Layout(dir, name) => {
                if !dir.join("index.json").exists() {
                    bail!("{}: not an OCI layout (no index.json)", dir.display());
                }
                Box::new(Layout::dir(dir.clone(), name.clone()))
            }
            Location::Store(r) => Box::new(store_image(ctx, &r.to_string())?),
        })
    }

    pub fn dest(&self, loc: &Location, ctx: &Ctx) -> anyhow::Result<Box<dyn Dest>> {
        Ok(match loc {
            Location::Registry(r) => Box::new(self.registry_image(r)?),
            Location::Layout(dir, name) => Box::new(Layout::dir(dir.clone(), name.clone())),
            Location::Store(_) => Box::new(Layout::store(ctx.store()?)?),
        })
    }

    pub fn registry_image(&self, r: &Reference) -> anyhow::Result<RegistryImage> {
        let settings = self.registry.settings(&[&r.registry])?;
        Ok(RegistryImage {
            client: Arc::new(registry_config::client(&settings, &r.registry)?),
            reference: r.clone(),
            chunk_size: self.chunk_size,
        })
    }
}

/// Copy an image between registries, OCI layouts and the local store.
///
/// Blobs stream from source to destination without being unpacked or kept
/// in memory; blobs the destination has are skipped, blobs in another
/// repository of the same registry are mounted, and every blob is checked
/// against its digest. Retag on the way by naming a different destination.
#[derive(Args)]
#[command(after_help = "\
Locations:
  REF | docker://REF     an image in a registry (ubuntu:24.04, localhost:5000/app:1)
  oci:DIR[:NAME]         an OCI image layout directory (NAME: its ref.name)
  store:REF              the local store

Examples:
  layerkit copy ghcr.io/org/app:1.2 registry.example.com/app:1.2
  layerkit copy --all alpine:3.20 localhost:5000/alpine:3.20
  layerkit copy localhost:5000/app:1 oci:./app-layout:1")]
pub struct Copy {
    /// Where the image is.
    src: String,
    /// Where it goes (a different tag retags it).
    dst: String,
    /// Copy every platform of a multi-platform image (the whole index).
    #[arg(long, short = 'a')]
    all: bool,
    /// The platform to copy from a multi-platform image (os/arch[/variant]).
    #[arg(long)]
    platform: Option<Platform>,
    /// Print the result as JSON.
    #[arg(long, value_parser = ["json", "text"], default_value = "text")]
    format: String,
    #[command(flatten)]
    transfer: TransferArgs,
}

/// The store image `name` names (as `docker push` finds it), as a source.
pub fn store_image(ctx: &Ctx, name: &str) -> anyhow::Result<Layout> {
    let store = ctx.store()?;
    let images = store.images()?;
    let entry = store.find(&images, name)?.image.entry.clone();
    let mut layout = Layout::store(store)?;
    layout.entry = Some(entry);
    Ok(layout)
}

pub fn run(cmd: Copy, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let src_loc = Location::parse(&cmd.src)?;
    let dst_loc = Location::parse(&cmd.dst)?;
    let src = cmd.transfer.source(&src_loc, ctx)?;
    let dst = cmd.transfer.dest(&dst_loc, ctx)?;
    let tags: Vec<Reference> = match &dst_loc {
        Location::Registry(r) | Location::Store(r) => vec![r.clone()],
        Location::Layout(..) => Vec::new(),
    };
    if let Location::Registry(r) = &dst_loc {
        if r.digest.is_some() && r.tag.is_none() {
            bail!("{}: cannot copy to a digest; name a tag", cmd.dst);
        }
    }
    let progress = Progress::new(cmd.transfer.quiet || cmd.format == "json");
    let opts = Options {
        platform: cmd.platform,
        all_platforms: cmd.all,
        jobs: cmd.transfer.jobs,
        progress,
    };
    let copied = transfer::copy(src.as_ref(), dst.as_ref(), &tags, &opts)
        .with_context(|| format!("copying {} to {}", src.describe(), dst.describe()))?;
    if cmd.format == "json" {
        println!("{}", serde_json::to_string_pretty(&copied)?);
    } else if !cmd.transfer.quiet {
        println!(
            "Copied {} to {}: digest: {} size: {}",
            src.describe(),
            dst.describe(),
            copied.digest,
            copied.size
        );
    }
    Ok(Outcome::Ok)
}
