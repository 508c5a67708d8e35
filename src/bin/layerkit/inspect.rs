//! `layerkit inspect TARGET`: the image as `docker image inspect` shows it.

use std::io::Write;

use clap::{Args, ValueEnum};
use layerkit::image::{inspect::inspect, units::human_size, Limits};

use crate::target::{self, Target};
use crate::Outcome;

/// Show an image's config, layers and manifest, as `docker image inspect`
/// does, from a tarball or OCI layout: no daemon, nothing loaded.
///
/// Reads the input once; every layer is hashed, decompressed and listed
/// as it streams past, and every digest is checked (compressed digests
/// against the manifest, uncompressed ones against the config's
/// rootfs.diff_ids).
#[derive(Args)]
#[command(after_help = "\
TARGET: an image tarball (`docker save`, `skopeo copy … docker-archive:` or
`oci-archive:`, gzip'd or not), `-` for standard input, or an OCI layout
directory; add `:NAME:TAG` or `@INDEX` to choose an image.

Examples:
  layerkit inspect busybox.tar
  docker save busybox | layerkit inspect -
  layerkit inspect images.tar:busybox:latest --format json | jq '.[0].Config.Cmd'
  layerkit inspect ./oci-layout --platform linux/arm64")]
pub struct InspectArgs {
    /// The image: FILE[.tar|.tar.gz], `-`, or an OCI layout DIR, with an
    /// optional `:NAME:TAG` or `@INDEX`.
    target: String,
    /// `json`: docker's JSON array (plus Manifest, Layers, Source);
    /// `table`: a summary.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Json)]
    format: Format,
    /// For an index with several platforms: os/arch[/variant].
    #[arg(long)]
    platform: Option<String>,
    /// No progress on standard error.
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Table,
}

pub fn run(a: InspectArgs) -> anyhow::Result<Outcome> {
    let t = Target::parse(&a.target, a.platform.as_deref())?;
    let (archive, _) = target::read(&t, a.quiet, Limits::default(), None)?;
    let image = target::image(&archive, &t)?;
    let i = inspect(&image);
    let mut out = std::io::stdout().lock();
    match a.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &[&i])?;
            writeln!(out)?;
        }
        Format::Table => {
            let cfg = i.config.as_object();
            let list = |k: &str| -> String {
                cfg.and_then(|c| c.get(k))
                    .filter(|v| !v.is_null())
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "-".into())
            };
            let mut platform = format!("{}/{}", i.os, i.architecture);
            if !i.variant.is_empty() {
                platform = format!("{platform}/{}", i.variant);
            }
            writeln!(out, "Id:           {}", i.id)?;
            writeln!(out, "RepoTags:     {}", i.repo_tags.join(", "))?;
            writeln!(out, "Created:      {}", i.created)?;
            writeln!(out, "Platform:     {platform}")?;
            writeln!(
                out,
                "Size:         {} ({} bytes)",
                human_size(i.size),
                i.size
            )?;
            writeln!(out, "Source:       {} ({})", i.source.name, i.source.format)?;
            writeln!(out, "Manifest:     {}", i.manifest.media_type)?;
            if let Some(d) = &i.manifest.digest {
                writeln!(out, "  digest:     {d}")?;
            }
            writeln!(out, "Entrypoint:   {}", list("Entrypoint"))?;
            writeln!(out, "Cmd:          {}", list("Cmd"))?;
            writeln!(out, "Env:          {}", list("Env"))?;
            writeln!(out, "WorkingDir:   {}", list("WorkingDir"))?;
            writeln!(out, "User:         {}", list("User"))?;
            writeln!(out, "ExposedPorts: {}", list("ExposedPorts"))?;
            writeln!(out, "Labels:       {}", list("Labels"))?;
            writeln!(out, "Layers:")?;
            let rows: Vec<Vec<String>> = std::iter::once(vec![
                "#".into(),
                "DIGEST".into(),
                "SIZE".into(),
                "UNCOMPRESSED".into(),
                "FILES".into(),
                "MEDIA TYPE".into(),
            ])
            .chain(i.layers.iter().enumerate().map(|(n, l)| {
                vec![
                    n.to_string(),
                    l.digest.to_string()[..19].to_string(),
                    human_size(l.size),
                    human_size(l.uncompressed_size),
                    l.files.to_string(),
                    l.media_type.clone(),
                ]
            }))
            .collect();
            crate::table::write(&mut out, &rows)?;
        }
    }
    Ok(Outcome::Ok)
}
