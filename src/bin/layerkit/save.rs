//! `layerkit save [-o FILE] IMAGE…`: images from the store as one archive.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args as ClapArgs, ValueEnum};
use layerkit::image::{archive_parts, write_archive, ArchiveFormat, ArchiveImage, Part};
use layerkit::oci::{Digest, Reference};

use crate::compress::{threads, ParGzWriter, DEFAULT_GZIP_LEVEL};
use crate::store::{Image, Store, StoreBlobs};
use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
#[command(after_help = "\
The default docker-archive is what Docker 25 writes: an OCI image layout
plus manifest.json and repositories, so `docker load` (20.10 and later),
skopeo (docker-archive: and, once extracted, oci:) and umoci all read it.
A name without a tag saves every tag of that repository; an image id saves
the image without names.

Examples:
  layerkit save busybox > busybox.tar
  layerkit save -o images.tar.gz app:1 app:2 redis
  layerkit save --format oci -o ./layout busybox")]
pub struct Args {
    /// Images: names, image ids or digests.
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Write to a file instead of standard output (a directory for
    /// --format oci). A name ending in .gz or .tgz is gzip'd.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// docker-archive, oci-archive, or oci (an OCI layout directory).
    #[arg(long, value_enum, default_value_t = SaveFormat::DockerArchive)]
    pub format: SaveFormat,
    /// gzip the archive (also implied by a .gz/.tgz output name).
    #[arg(long)]
    pub gzip: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SaveFormat {
    DockerArchive,
    OciArchive,
    Oci,
}

/// The images to save and the names to give each, merged by image.
fn select(
    store: &Store,
    images: &[Image],
    names: &[String],
) -> anyhow::Result<Vec<(usize, Vec<Reference>)>> {
    let mut picked: Vec<(usize, Vec<Reference>)> = Vec::new();
    let mut add = |i: usize, tag: Option<Reference>| {
        let pos = match picked.iter().position(|(j, _)| *j == i) {
            Some(p) => p,
            None => {
                picked.push((i, Vec::new()));
                picked.len() - 1
            }
        };
        if let Some(t) = tag {
            if !picked[pos].1.contains(&t) {
                picked[pos].1.push(t);
            }
        }
    };
    for name in names {
        // `busybox` (no tag, no digest): every tag of the repository.
        if let Ok(r) = name.parse::<Reference>() {
            if r.tag.is_none() && r.digest.is_none() {
                let mut any = false;
                for (i, img) in images.iter().enumerate() {
                    for t in img.tags.iter().filter(|t| t.name() == r.name()) {
                        add(i, Some(t.clone()));
                        any = true;
                    }
                }
                if any {
                    continue;
                }
            }
        }
        let found = store.find(images, name)?;
        let i = images
            .iter()
            .position(|x| std::ptr::eq(x, found.image))
            .unwrap_or(0);
        add(i, found.tag);
    }
    Ok(picked)
}

pub fn run(args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let store = ctx.store()?;
    let _lock = store.lock_shared()?;
    let images = store.images()?;
    let picked = select(&store, &images, &args.images)?;
    let archive: Vec<ArchiveImage> = picked
        .iter()
        .map(|(i, tags)| {
            let img = &images[*i];
            ArchiveImage::new(
                img.manifest_bytes.clone(),
                descriptor_of(img),
                img.config_bytes.clone(),
                tags.clone(),
            )
            .map_err(anyhow::Error::from)
        })
        .collect::<anyhow::Result<_>>()?;

    if args.format == SaveFormat::Oci {
        let Some(dir) = &args.output else {
            bail!("--format oci writes a directory: give it with -o DIR");
        };
        write_layout(&store, &archive, dir)?;
        return Ok(Outcome::Ok);
    }
    let format = match args.format {
        SaveFormat::OciArchive => ArchiveFormat::OciArchive,
        _ => ArchiveFormat::DockerArchive,
    };
    let gzip = args.gzip
        || args.output.as_ref().is_some_and(|p| {
            let s = p.to_string_lossy();
            s.ends_with(".gz") || s.ends_with(".tgz")
        });
    match &args.output {
        None => {
            let stdout = io::stdout();
            if stdout.is_terminal() {
                bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            }
            let mut out = stdout.lock();
            if gzip {
                let mut buffered = io::BufWriter::with_capacity(1 << 20, out);
                write_to(&mut buffered, &archive, format, gzip, &store)?;
                buffered.flush()?;
            } else {
                write_direct(&mut out, &archive, format, &store)?;
                out.flush()?;
            }
        }
        Some(path) => {
            let tmp = temp_name(path);
            let result = (|| -> anyhow::Result<()> {
                let mut file =
                    File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
                if gzip {
                    let mut out = io::BufWriter::with_capacity(1 << 20, &mut file);
                    write_to(&mut out, &archive, format, gzip, &store)?;
                    out.flush()?;
                } else {
                    write_direct(&mut file, &archive, format, &store)?;
                }
                // No fsync, like `cp` and `docker save`; the rename still
                // means a killed save never leaves a partial FILE.
                fs::rename(&tmp, path)
                    .with_context(|| format!("renaming to {}", path.display()))?;
                Ok(())
            })();
            if result.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            result.with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(Outcome::Ok)
}

fn write_to(
    out: &mut dyn Write,
    archive: &[ArchiveImage],
    format: ArchiveFormat,
    gzip: bool,
    store: &Store,
) -> anyhow::Result<()> {
    if gzip {
        let mut gz = ParGzWriter::new(out, DEFAULT_GZIP_LEVEL, threads());
        write_archive(&mut gz, archive, format, &mut StoreBlobs(store))?;
        gz.finish()?;
    } else {
        write_archive(out, archive, format, &mut StoreBlobs(store))?;
    }
    Ok(())
}

/// Writes the archive with blobs copied by the kernel (`copy_file_range`
/// or `splice`, which `std::io::copy` uses between files and pipes): the
/// bytes never pass through this process.
fn write_direct<W: Write>(
    out: &mut W,
    archive: &[ArchiveImage],
    format: ArchiveFormat,
    store: &Store,
) -> anyhow::Result<()> {
    use io::Read as _;
    for part in archive_parts(archive, format)? {
        match part {
            Part::Bytes(b) => out.write_all(&b)?,
            Part::Blob(d) => {
                let f = store
                    .open_blob(&d.digest)
                    .with_context(|| format!("opening blob {}", d.digest))?;
                let n = io::copy(&mut f.take(d.size), out)
                    .with_context(|| format!("copying blob {}", d.digest))?;
                if n != d.size {
                    bail!(
                        "blob {} in the store has {n} bytes, the manifest says {}: the store is damaged",
                        d.digest,
                        d.size
                    );
                }
            }
        }
    }
    Ok(())
}

/// The descriptor of the image manifest itself (not of an index above it).
pub fn descriptor_of(img: &Image) -> layerkit::oci::Descriptor {
    let mut d = layerkit::oci::Descriptor::new(
        img.manifest
            .media_type
            .clone()
            .unwrap_or_else(|| layerkit::oci::media_type::OCI_MANIFEST.to_string()),
        img.manifest_digest.clone(),
        img.manifest_bytes.len() as u64,
    );
    d.platform = Some(img.config.platform());
    d
}

/// `dir/.name.PID.tmp` beside `path`.
pub fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "archive".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes an OCI layout directory: blobs, then index.json last.
fn write_layout(store: &Store, archive: &[ArchiveImage], dir: &Path) -> anyhow::Result<()> {
    let target = Store::open(dir)?;
    let lock = target.lock_shared()?;
    let mut blobs: BTreeMap<Digest, ()> = BTreeMap::new();
    for img in archive {
        target.put_bytes(&img.manifest)?;
        target.put_bytes(&img.config)?;
        for l in &img.parsed.layers {
            if blobs.insert(l.digest.clone(), ()).is_some() || target.has_blob(&l.digest) {
                continue;
            }
            let mut src = store
                .open_blob(&l.digest)
                .with_context(|| format!("opening blob {}", l.digest))?;
            crate::store::ingest_reader(&target, &mut src, Some(&l.digest))?;
        }
    }
    for img in archive {
        target.add_image(&img.manifest_descriptor, &img.tags)?;
    }
    drop(lock);
    // Leave a plain layout: the store's bookkeeping files go.
    let _ = fs::remove_dir(dir.join("ingest"));
    let _ = fs::remove_file(dir.join("lock"));
    let _ = fs::remove_file(dir.join("index.lock"));
    Ok(())
}
