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
use crate::{load, store, Ctx, Outcome};

/// Where an image is.
pub enum Location {
    /// `docker://REF` or a bare reference.
    Registry(Reference),
    /// `oci:DIR[:NAME]`.
    Layout(PathBuf, Option<String>),
    /// `store:REF` (the local store).
    Store(Reference),
    /// `docker-archive:FILE[:NAME]`, `oci-archive:FILE[:NAME]` (read only).
    Archive(String),
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
        if let Some(f) = s
            .strip_prefix("docker-archive:")
            .or_else(|| s.strip_prefix("oci-archive:"))
        {
            return Ok(Location::Archive(f.to_string()));
        }
        if s.contains("://") {
            bail!("{s:?}: unsupported location; use docker://REF, oci:DIR[:NAME], store:REF, docker-archive:FILE or a plain image reference");
        }
        Ok(Location::Registry(parse_ref(s)?))
    }
}

/// A temporary store holding an archive's images while they are pushed;
/// removed when dropped.
pub struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The source `--from` names: an OCI layout directory (`DIR` or
/// `DIR:NAME`), or an archive file (docker-archive, oci-archive, maybe
/// compressed; `FILE` or `FILE:NAME` when it holds several images), which
/// is read once into a temporary store next to the local store.
pub fn from_source(from: &str, ctx: &Ctx) -> anyhow::Result<(Layout, Option<Staging>)> {
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
    /// The source at `loc`, and the staging copy that must outlive it when
    /// the source is an archive.
    pub fn source(
        &self,
        loc: &Location,
        ctx: &Ctx,
    ) -> anyhow::Result<(Box<dyn Source>, Option<Staging>)> {
        if let Location::Archive(f) = loc {
            let (layout, staging) = from_source(f, ctx)?;
            return Ok((Box::new(layout), staging));
        }
        Ok((
            match loc {
                Location::Registry(r) => Box::new(self.registry_image(r)?),
                Location::Layout(dir, name) => {
                    if !dir.join("index.json").exists() {
                        bail!("{}: not an OCI layout (no index.json)", dir.display());
                    }
                    Box::new(Layout::dir(dir.clone(), name.clone()))
                }
                Location::Store(r) => Box::new(store_image(ctx, &r.to_string())?),
                Location::Archive(_) => unreachable!("handled above"),
            },
            None,
        ))
    }

    pub fn dest(&self, loc: &Location, ctx: &Ctx) -> anyhow::Result<Box<dyn Dest>> {
        Ok(match loc {
            Location::Registry(r) => Box::new(self.registry_image(r)?),
            Location::Layout(dir, name) => Box::new(Layout::dir(dir.clone(), name.clone())),
            Location::Store(_) => Box::new(Layout::store(ctx.store()?)?),
            Location::Archive(f) => bail!(
                "{f}: copy writes to registries, OCI layouts and the store; to make an archive, copy to store:REF and `layerkit save` it"
            ),
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
  docker-archive:FILE[:NAME], oci-archive:FILE[:NAME]
                         an image archive (as a source; gzip'd is fine)

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
    let (src, _staging) = cmd.transfer.source(&src_loc, ctx)?;
    let dst = cmd.transfer.dest(&dst_loc, ctx)?;
    let tags: Vec<Reference> = match &dst_loc {
        Location::Registry(r) | Location::Store(r) => vec![r.clone()],
        Location::Layout(..) | Location::Archive(_) => Vec::new(),
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
