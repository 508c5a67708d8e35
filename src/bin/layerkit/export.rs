//! `layerkit export IMAGE [-o FILE]`: an image's merged filesystem as one
//! tar, as `docker export` gives a container's; and the layer plumbing
//! `commit` shares (decompressing blobs, the merged view of layers).
//!
//! Two passes over the layers, so nothing is held but metadata: the first
//! works out which layer's entry each path finally comes from (applying
//! whiteouts: `.wh.NAME` deletes NAME, `.wh..wh..opq` hides everything
//! below its directory from lower layers); the second streams each layer
//! again and copies the entries that survive.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use layerkit::image::layer_builder::{padding, END_OF_ARCHIVE};
use layerkit::image::layer_builder::{EntryKind, TarScanner, TarSink};
use layerkit::image::TarEntry;
use layerkit::oci::{Compression, Descriptor};

use crate::save::temp_name;
use crate::store::{Image, Store};
use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
#[command(after_help = "\
Docker exports a container; the store has images, so this exports the
filesystem a container of IMAGE would start with: every layer applied in
order, deleted files gone.

Examples:
  layerkit export busybox -o rootfs.tar
  layerkit export app:1 | tar -t")]
pub struct Args {
    /// The image: a name, an image id or a digest.
    pub image: String,
    /// Write to a file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let store = ctx.store()?;
    let _lock = store.lock_shared()?;
    let images = store.images()?;
    let img = store.find(&images, &args.image)?.image;
    let merged = merged_view(&store, img)?;
    match &args.output {
        None => {
            let stdout = io::stdout();
            if stdout.is_terminal() {
                bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
            }
            let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
            export_to(&store, img, &merged, &mut out)?;
            out.flush()?;
        }
        Some(path) => {
            let tmp = temp_name(path);
            let result = (|| -> anyhow::Result<()> {
                let mut out = io::BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
                export_to(&store, img, &merged, &mut out)?;
                out.into_inner().map_err(|e| e.into_error())?;
                fs::rename(&tmp, path)?;
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

/// A layer blob from the store, decompressed (gzip or zstd, by its first
/// bytes).
pub fn open_layer<'a>(store: &Store, d: &Descriptor) -> anyhow::Result<Box<dyn Read + 'a>> {
    let f = store
        .open_blob(&d.digest)
        .with_context(|| format!("opening layer {}", d.digest))?;
    decompress(Box::new(f)).with_context(|| format!("reading layer {}", d.digest))
}

/// Wraps `r` in the decompressor its first bytes call for.
pub fn decompress<'a>(r: Box<dyn Read + 'a>) -> io::Result<Box<dyn Read + 'a>> {
    let mut r = BufReader::with_capacity(1 << 20, r);
    let head = r.fill_buf()?;
    Ok(match Compression::sniff(head) {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(r)?),
        Compression::None => {
            if head.starts_with(b"BZh") {
                return Err(io::Error::other(
                    "bzip2-compressed input is not supported: decompress it first (bunzip2)",
                ));
            }
            if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
                return Err(io::Error::other(
                    "xz-compressed input is not supported: decompress it first (unxz)",
                ));
            }
            Box::new(r)
        }
    })
}

/// Feeds a whole tar stream to `sink`.
pub fn scan(r: &mut dyn Read, sink: &mut dyn TarSink, what: &str) -> anyhow::Result<u64> {
    let mut scanner = TarScanner::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {what}")),
        };
        total += n as u64;
        scanner
            .push(&buf[..n], sink)
            .with_context(|| format!("reading {what}"))?;
    }
    scanner
        .finish()
        .with_context(|| format!("reading {what}"))?;
    Ok(total)
}

/// The final state of each path: the layer its entry comes from, and the
/// entry.
pub type Merged = BTreeMap<String, (usize, TarEntry)>;

/// What a whiteout entry deletes.
pub enum Whiteout {
    /// `.wh.NAME`: the path NAME (and below).
    Path(String),
    /// `.wh..wh..opq`: everything below this directory, from lower layers.
    Opaque(String),
}

pub fn whiteout(path: &str) -> Option<Whiteout> {
    let (dir, base) = match path.rsplit_once('/') {
        Some((d, b)) => (d, b),
        None => ("", path),
    };
    if base == ".wh..wh..opq" {
        return Some(Whiteout::Opaque(dir.to_string()));
    }
    let name = base.strip_prefix(".wh.")?;
    Some(Whiteout::Path(if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }))
}

/// Removes `path`'s descendants that come from layers below `layer`.
fn remove_below(merged: &mut Merged, dir: &str, layer: usize) {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let doomed: Vec<String> = merged
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(k, (l, _))| *l < layer && !k.is_empty())
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        merged.remove(&k);
    }
}

struct MergeSink<'a> {
    merged: &'a mut Merged,
    layer: usize,
}

impl TarSink for MergeSink<'_> {
    fn entry(&mut self, e: &TarEntry) -> bool {
        if e.path.is_empty() {
            return false;
        }
        match whiteout(&e.path) {
            Some(Whiteout::Opaque(dir)) => remove_below(self.merged, &dir, self.layer),
            Some(Whiteout::Path(p)) => {
                if self.merged.get(&p).is_some_and(|(l, _)| *l < self.layer) {
                    self.merged.remove(&p);
                }
                remove_below(self.merged, &p, self.layer);
            }
            None => {
                let was_dir = self
                    .merged
                    .get(&e.path)
                    .is_some_and(|(_, old)| old.kind == EntryKind::Dir);
                if was_dir && e.kind != EntryKind::Dir {
                    remove_below(self.merged, &e.path, self.layer);
                }
                self.merged.insert(e.path.clone(), (self.layer, e.clone()));
            }
        }
        false
    }
}

/// The merged view of an image's layers.
pub fn merged_view(store: &Store, img: &Image) -> anyhow::Result<Merged> {
    let mut merged = Merged::new();
    for (i, l) in img.manifest.layers.iter().enumerate() {
        let mut r = open_layer(store, l)?;
        scan(
            &mut r,
            &mut MergeSink {
                merged: &mut merged,
                layer: i,
            },
            &format!("layer {}", l.digest),
        )?;
    }
    Ok(merged)
}

struct CopySink<'a> {
    merged: &'a Merged,
    layer: usize,
    out: &'a mut dyn Write,
    left: u64,
    size: u64,
    error: Option<io::Error>,
}

impl CopySink<'_> {
    fn put(&mut self, b: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(b) {
                self.error = Some(e);
            }
        }
    }
}

impl TarSink for CopySink<'_> {
    fn entry(&mut self, e: &TarEntry) -> bool {
        let keep = self
            .merged
            .get(&e.path)
            .is_some_and(|(l, m)| *l == self.layer && m == e);
        if keep {
            self.put(&e.header_bytes());
            self.left = e.size;
            self.size = e.size;
        }
        keep
    }

    fn data(&mut self, chunk: &[u8]) {
        self.put(chunk);
        self.left -= chunk.len() as u64;
        if self.left == 0 {
            self.put(padding(self.size));
        }
    }
}

pub fn export_to(
    store: &Store,
    img: &Image,
    merged: &Merged,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    for (i, l) in img.manifest.layers.iter().enumerate() {
        let mut r = open_layer(store, l)?;
        let mut sink = CopySink {
            merged,
            layer: i,
            out: &mut *out,
            left: 0,
            size: 0,
            error: None,
        };
        scan(&mut r, &mut sink, &format!("layer {}", l.digest))?;
        if let Some(e) = sink.error {
            return Err(e).context("writing the export");
        }
    }
    out.write_all(&END_OF_ARCHIVE)?;
    Ok(())
}
