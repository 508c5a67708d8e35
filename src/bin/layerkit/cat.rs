//! `layerkit cat TARGET PATH`: one file of the image to standard output.

use std::collections::HashSet;
use std::fs::File;

use anyhow::{bail, Context};
use clap::Args;
use layerkit::image::filetree::content_source;
use layerkit::image::EntryKind;

use crate::extract::{gather, image_path};
use crate::target::Target;
use crate::Outcome;

/// Print a file of the image's merged filesystem (symlinks followed
/// inside the image), like `cat` in a container of it — no daemon.
#[derive(Args)]
#[command(after_help = "\
Examples:
  layerkit cat app.tar /etc/os-release
  docker save app | layerkit cat - /app/config.yaml")]
pub struct CatArgs {
    /// The image: FILE[.tar|.tar.gz], `-`, or an OCI layout DIR, with an
    /// optional `:NAME:TAG` or `@INDEX`.
    target: String,
    /// The file in the image.
    path: String,
    /// For an index with several platforms: os/arch[/variant].
    #[arg(long)]
    platform: Option<String>,
    /// No progress on standard error.
    #[arg(long, short = 'q')]
    quiet: bool,
}

pub fn run(a: CatArgs) -> anyhow::Result<Outcome> {
    let t = Target::parse(&a.target, a.platform.as_deref())?;
    let path = image_path(&a.path)?;
    let stage = std::env::temp_dir().join(format!("layerkit-cat-{}", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        let g = gather(&t, &path, &stage, a.quiet, |image, tree| {
            let m = tree.resolve(&path)?;
            match m.entry.kind {
                EntryKind::File | EntryKind::Hardlink => {}
                EntryKind::Dir => {
                    bail!("/{path}: is a directory (use `layerkit extract` or `layerkit tree`)")
                }
                _ => bail!("/{path}: not a regular file"),
            }
            Ok(content_source(image, m).into_iter().collect::<HashSet<_>>())
        })?;
        let m = g.tree.resolve(&path)?;
        let src = content_source(&g.image, m)
            .and_then(|s| g.staged.get(&s).cloned())
            .with_context(|| format!("/{path}: its content was not found in its layer"))?;
        let mut f = File::open(src)?;
        let mut out = std::io::stdout().lock();
        std::io::copy(&mut f, &mut out).context("writing to standard output")?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&stage);
    result?;
    Ok(Outcome::Ok)
}
