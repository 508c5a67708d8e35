//! `layerkit commit IMAGE DIR [NEWREF]`: a directory's differences from an
//! image become a new layer on top of it, as `docker commit` makes a
//! container's changes a layer.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use layerkit::image::compose::{append_layer, assemble, format_rfc3339, squash_config, Flavour};
use layerkit::image::layer_builder::EntryKind;
use layerkit::image::layer_builder::{padding, END_OF_ARCHIVE};
use layerkit::image::{apply_changes, TarEntry};
use layerkit::oci::{media_type as mt, Descriptor, History, ImageConfig};

use crate::compress::{LayerDigests, LayerWriter, Method};
use crate::export::{merged_view, Merged};
use crate::import::source_date_epoch;
use crate::store::{parse_tag, Image, Store};
use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
#[command(after_help = "\
DIR is compared with the image's filesystem (all layers applied): new and
changed entries (type, mode, owner, size, modification time, link target)
go into the new layer with their content; entries missing from DIR become
whiteouts. The layer is written in sorted order, so the same DIR gives the
same layer. --timestamp (or $SOURCE_DATE_EPOCH) clamps modification times
and sets the creation time, for reproducible images.

Examples:
  layerkit export busybox | tar -x -C rootfs && echo hi > rootfs/hello
  layerkit commit -m 'add hello' -c 'CMD [\"cat\",\"/hello\"]' busybox rootfs hello:1
  layerkit commit --squash app:1 ./rootfs app:flat")]
pub struct Args {
    /// The image DIR is compared with.
    pub image: String,
    /// The directory holding the new filesystem.
    pub dir: PathBuf,
    /// Name the new image: [REGISTRY/]REPOSITORY[:TAG].
    pub reference: Option<String>,
    /// Author (e.g. "John Hannibal Smith <hannibal@a-team.com>").
    #[arg(short, long)]
    pub author: Option<String>,
    /// Commit message.
    #[arg(short, long)]
    pub message: Option<String>,
    /// Apply a Dockerfile instruction to the config; repeatable.
    #[arg(short, long = "change", value_name = "CHANGE")]
    pub change: Vec<String>,
    /// Layer compression.
    #[arg(long, value_enum, default_value_t = Method::Gzip)]
    pub compression: Method,
    /// Compression level (gzip 1-9, default 6; zstd 1-19, default 3).
    #[arg(long)]
    pub level: Option<u32>,
    /// Clamp modification times to this many seconds since the epoch and
    /// use it as the creation time.
    #[arg(long, value_name = "SECONDS")]
    pub timestamp: Option<i64>,
    /// Make the result a single layer: the base's layers and the change
    /// merged.
    #[arg(long)]
    pub squash: bool,
    /// Accepted for docker compatibility (there is no container to pause).
    #[arg(short, long)]
    pub pause: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let tag = args.reference.as_deref().map(parse_tag).transpose()?;
    if !args.dir.is_dir() {
        bail!("{} is not a directory", args.dir.display());
    }
    let timestamp = match args.timestamp {
        Some(t) => Some(t),
        None => source_date_epoch()?,
    };
    let store = ctx.store()?;
    let _lock = store.lock_shared()?;
    let images = store.images()?;
    let base = store.find(&images, &args.image)?.image;
    let mut config = base.config.clone();
    apply_changes(&mut config, &args.change)?;

    let merged = merged_view(&store, base)?;
    let (pending, file) = crate::store::Pending::create(&store)?;
    let ingest = std::io::BufWriter::with_capacity(1 << 20, crate::store::WriteBehind::new(file));
    let mut layer = LayerWriter::new(ingest, args.compression, args.level)?;
    write_dir_layer(&args.dir, &merged, &mut layer, timestamp)?;
    let (ingest, digests) = layer.finish()?;
    ingest
        .into_inner()
        .map_err(|e| e.into_error())
        .context("writing the layer")?;
    pending.commit(&store, &digests.digest)?;

    let created = format_rfc3339(timestamp.unwrap_or_else(crate::images::now));
    config.created = Some(created.clone());
    if let Some(a) = &args.author {
        config.author = Some(a.clone());
    }
    match &args.message {
        Some(m) => {
            config
                .extra
                .insert("comment".into(), serde_json::Value::String(m.clone()));
        }
        None => {
            config.extra.remove("comment");
        }
    }
    let history = History {
        created: Some(created),
        created_by: Some("layerkit commit".into()),
        author: args.author.clone(),
        comment: args.message.clone(),
        empty_layer: false,
    };
    let flavour = flavour_of(base);
    let mut layers = base.manifest.layers.clone();
    layers.push(Descriptor::new(
        args.compression
            .compression()
            .layer_media_type(flavour.is_docker()),
        digests.digest.clone(),
        digests.size,
    ));
    append_layer(&mut config, digests.diff_id.clone(), history.clone());
    let mut image = assemble(&config, &layers, flavour)?;
    store.put_bytes(&image.config)?;
    store.put_bytes(&image.manifest)?;
    if args.squash {
        let committed = Image {
            entry: image.manifest_descriptor.clone(),
            manifest_digest: image.manifest_descriptor.digest.clone(),
            manifest_bytes: image.manifest.clone(),
            manifest: serde_json::from_slice(&image.manifest)?,
            config_bytes: image.config.clone(),
            config: config.clone(),
            tags: Vec::new(),
        };
        let (digests, squashed) = squash(
            &store,
            &committed,
            &config,
            history,
            args.compression,
            args.level,
        )?;
        let desc = Descriptor::new(
            args.compression
                .compression()
                .layer_media_type(flavour.is_docker()),
            digests.digest,
            digests.size,
        );
        image = assemble(&squashed, &[desc], flavour)?;
        store.put_bytes(&image.config)?;
        store.put_bytes(&image.manifest)?;
    }
    store.add_image(&image.manifest_descriptor, tag.as_slice())?;
    println!("{}", image.id());
    Ok(Outcome::Ok)
}

/// The flavour of an image's manifest.
pub fn flavour_of(img: &Image) -> Flavour {
    if img.manifest.media_type.as_deref() == Some(mt::DOCKER_MANIFEST) {
        Flavour::Docker
    } else {
        Flavour::Oci
    }
}

/// One layer holding `img`'s merged filesystem; the config to go with it.
pub fn squash(
    store: &Store,
    img: &Image,
    config: &ImageConfig,
    history: History,
    method: Method,
    level: Option<u32>,
) -> anyhow::Result<(LayerDigests, ImageConfig)> {
    let merged = merged_view(store, img)?;
    let (pending, file) = crate::store::Pending::create(store)?;
    let ingest = std::io::BufWriter::with_capacity(1 << 20, crate::store::WriteBehind::new(file));
    let mut layer = LayerWriter::new(ingest, method, level)?;
    crate::export::export_to(store, img, &merged, &mut layer)?;
    let (ingest, digests) = layer.finish()?;
    ingest
        .into_inner()
        .map_err(|e| e.into_error())
        .context("writing the layer")?;
    pending.commit(store, &digests.digest)?;
    let config = squash_config(config, digests.diff_id.clone(), history);
    Ok((digests, config))
}

/// Writes the layer tar of `dir`'s differences from `base` (everything,
/// when `base` is empty) to `out`, entries in sorted order, ending with
/// the end-of-archive marker. `timestamp` clamps modification times.
pub fn write_dir_layer<W: Write>(
    dir: &Path,
    base: &Merged,
    out: &mut W,
    timestamp: Option<i64>,
) -> anyhow::Result<()> {
    let mut diff = Diff {
        base,
        out,
        timestamp,
        links: BTreeMap::new(),
        buf: vec![0u8; 1 << 20],
    };
    diff.dir(dir, "")?;
    diff.out.write_all(&END_OF_ARCHIVE)?;
    Ok(())
}

struct Diff<'a, W: Write> {
    base: &'a Merged,
    out: &'a mut W,
    timestamp: Option<i64>,
    /// (dev, inode) of files with several links → the path written first.
    links: BTreeMap<(u64, u64), String>,
    buf: Vec<u8>,
}

impl<W: Write> Diff<'_, W> {
    /// Walks `dir` (whose layer path is `rel`), writing what differs.
    fn dir(&mut self, dir: &Path, rel: &str) -> anyhow::Result<()> {
        let mut names: Vec<std::ffi::OsString> = fs::read_dir(dir)
            .with_context(|| format!("listing {}", dir.display()))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .with_context(|| format!("listing {}", dir.display()))?;
        names.sort();
        let mut present: BTreeSet<String> = BTreeSet::new();
        for name in names {
            let Some(name) = name.to_str().map(str::to_string) else {
                bail!(
                    "{}: a file name is not UTF-8; layers need UTF-8 names",
                    dir.display()
                );
            };
            let path = dir.join(&name);
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            present.insert(name);
            let meta = fs::symlink_metadata(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let Some(entry) = self.entry(&path, &child, &meta)? else {
                continue;
            };
            let same = self
                .base
                .get(&child)
                .is_some_and(|(_, b)| unchanged(b, &entry));
            if !same {
                self.write(&path, &entry, &meta)?;
            }
            if entry.kind == EntryKind::Dir {
                self.dir(&path, &child)?;
            }
        }
        // What the image has here and DIR does not: whiteouts.
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        let gone: Vec<String> = self
            .base
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| {
                let name = &k[prefix.len()..];
                (!name.is_empty() && !name.contains('/') && !present.contains(name))
                    .then(|| name.to_string())
            })
            .collect();
        for name in gone {
            let mut w = TarEntry::file(format!("{prefix}.wh.{name}"), 0);
            w.mode = 0o600;
            w.mtime = self.timestamp.unwrap_or(0).max(0);
            self.out.write_all(&w.header_bytes())?;
        }
        Ok(())
    }

    fn entry(
        &self,
        path: &Path,
        rel: &str,
        meta: &fs::Metadata,
    ) -> anyhow::Result<Option<TarEntry>> {
        let ft = meta.file_type();
        let kind = if ft.is_dir() {
            EntryKind::Dir
        } else if ft.is_file() {
            EntryKind::File
        } else if ft.is_symlink() {
            EntryKind::Symlink
        } else if ft.is_char_device() {
            EntryKind::Char
        } else if ft.is_block_device() {
            EntryKind::Block
        } else if ft.is_fifo() {
            EntryKind::Fifo
        } else {
            // Sockets do not go in layers.
            return Ok(None);
        };
        let mut e = TarEntry::new(rel, kind);
        e.mode = meta.mode() & 0o7777;
        e.uid = u64::from(meta.uid());
        e.gid = u64::from(meta.gid());
        e.mtime = meta.mtime();
        if kind == EntryKind::File {
            e.size = meta.len();
        }
        if kind == EntryKind::Symlink {
            let target =
                fs::read_link(path).with_context(|| format!("reading {}", path.display()))?;
            e.link = target.to_string_lossy().into_owned();
        }
        if matches!(kind, EntryKind::Char | EntryKind::Block) {
            let rdev = meta.rdev();
            e.dev_major = libc::major(rdev);
            e.dev_minor = libc::minor(rdev);
        }
        Ok(Some(e))
    }

    fn write(&mut self, path: &Path, entry: &TarEntry, meta: &fs::Metadata) -> anyhow::Result<()> {
        let mut e = entry.clone();
        if let Some(t) = self.timestamp {
            e.mtime = e.mtime.min(t);
        }
        if e.kind == EntryKind::File && meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = self.links.get(&key) {
                e.kind = EntryKind::Hardlink;
                e.link = first.clone();
                e.size = 0;
                self.out.write_all(&e.header_bytes())?;
                return Ok(());
            }
            self.links.insert(key, e.path.clone());
        }
        self.out.write_all(&e.header_bytes())?;
        if e.kind == EntryKind::File {
            // Read exactly the size in the header; a file that changes
            // while being read is an error, not a corrupt layer.
            let mut f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
            let mut left = e.size;
            while left > 0 {
                let want = left.min(self.buf.len() as u64) as usize;
                let n = match f.read(&mut self.buf[..want]) {
                    Ok(0) => bail!("{} shrank while it was being read", path.display()),
                    Ok(n) => n,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => {
                        return Err(err).with_context(|| format!("reading {}", path.display()))
                    }
                };
                self.out.write_all(&self.buf[..n])?;
                left -= n as u64;
            }
            self.out.write_all(padding(e.size))?;
        }
        Ok(())
    }
}

/// Whether the image's entry `b` is the same as the directory's `e`.
fn unchanged(b: &TarEntry, e: &TarEntry) -> bool {
    let kind_same =
        b.kind == e.kind || (b.kind == EntryKind::Hardlink && e.kind == EntryKind::File);
    kind_same
        && b.mode == e.mode
        && b.uid == e.uid
        && b.gid == e.gid
        && b.mtime == e.mtime
        && match e.kind {
            EntryKind::File => b.kind == EntryKind::Hardlink || b.size == e.size,
            EntryKind::Symlink => b.link == e.link,
            EntryKind::Char | EntryKind::Block => {
                b.dev_major == e.dev_major && b.dev_minor == e.dev_minor
            }
            _ => true,
        }
}
