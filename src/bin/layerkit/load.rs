//! `layerkit load [-i FILE]`: images from an archive into the store.
//!
//! One pass over the input: each archive member is written to a temp file
//! in the store while the image readers (on a second thread) hash and
//! check the same bytes. Once the archive is read and every image in it
//! verified (digests, sizes, diff ids), the members the images need are
//! renamed into `blobs/` and the names added; the rest are deleted.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use layerkit::image::decode::Decoder;
use layerkit::image::tar::{Header, PushError, TarReader, TarSink};
use layerkit::image::{
    normalize_path, read_layout, Archive, BlobSource, EntryKind, Limits, Reader, Selector,
};
use layerkit::oci::{Descriptor, Reference};

use crate::store::{host_platform, Pending, Store};
use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
#[command(after_help = "\
Reads any archive the image readers read: docker-archive (`docker save`
of any Docker version, skopeo, podman, kaniko), oci-archive, an OCI
layout directory, gzip'd or zstd'd as a whole. Every image in it is
loaded, with its names. Every digest is checked before anything is named.

Examples:
  layerkit load -i busybox.tar
  docker save alpine | layerkit load
  layerkit load -i ./oci-layout-dir")]
pub struct Args {
    /// Read from a tar archive file (or an OCI layout directory) instead of
    /// STDIN.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Suppress the progress output.
    #[arg(short, long)]
    pub quiet: bool,
    /// For multi-platform images, the platform to load (default: this
    /// machine's).
    #[arg(long)]
    pub platform: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let platform = match &args.platform {
        Some(p) => p.parse()?,
        None => host_platform(),
    };
    let store = ctx.store()?;
    let _lock = store.lock_shared()?;
    let (archive, mut pending) = match &args.input {
        Some(p) if p.is_dir() => read_dir(&store, p)?,
        Some(p) => {
            let f = File::open(p).with_context(|| format!("opening {}", p.display()))?;
            let total = f.metadata().ok().map(|m| m.len());
            let mut progress = crate::store::Progress::new("loading", total, args.quiet);
            read_stream(&store, f, &p.display().to_string(), &mut progress)?
        }
        None => {
            if io::stdin().is_terminal() {
                bail!("requested load from stdin, but stdin is empty: use -i FILE or pipe an archive in");
            }
            let mut progress = crate::store::Progress::new("loading", None, args.quiet);
            read_stream(&store, io::stdin().lock(), "<stdin>", &mut progress)?
        }
    };
    let summaries = archive.images()?;
    if summaries.is_empty() {
        bail!("{}: the archive holds no images", archive.name);
    }
    let mut lines = Vec::new();
    for s in &summaries {
        let sel = Selector {
            index: Some(s.index),
            ..Selector::default()
        };
        let image = archive.image(&sel, Some(&platform))?;
        // Layers: the member files become blobs under their digests.
        for l in &image.layers {
            let blob = archive
                .blob(&l.path)
                .with_context(|| format!("{}: layer {} is missing", archive.name, l.path))?;
            take(&store, &mut pending, &blob.path, &blob.digest)?;
        }
        store.put_bytes(&image.config_bytes)?;
        let descriptor = match &image.manifest_digest {
            Some(d) => {
                let member = archive
                    .blobs
                    .values()
                    .find(|b| b.digest == *d)
                    .map(|b| b.path.clone());
                match member {
                    Some(path) => take(&store, &mut pending, &path, d)?,
                    None => bail!("{}: manifest {d} is missing", archive.name),
                }
                let size = archive
                    .blobs
                    .values()
                    .find(|b| b.digest == *d)
                    .map(|b| b.size)
                    .unwrap_or(0);
                let mut desc = Descriptor::new(
                    image
                        .manifest
                        .media_type
                        .clone()
                        .unwrap_or_else(|| layerkit::oci::media_type::OCI_MANIFEST.into()),
                    d.clone(),
                    size,
                );
                desc.platform = Some(image.config.platform());
                desc
            }
            None => {
                // A legacy docker-archive has no manifest blob: the one the
                // reader synthesised becomes the stored manifest.
                let bytes = image.manifest.to_bytes();
                let d = store.put_bytes(&bytes)?;
                let mut desc = Descriptor::new(
                    image
                        .manifest
                        .media_type
                        .clone()
                        .unwrap_or_else(|| layerkit::oci::media_type::DOCKER_MANIFEST.into()),
                    d,
                    bytes.len() as u64,
                );
                desc.platform = Some(image.config.platform());
                desc
            }
        };
        let mut tags = Vec::new();
        for t in &image.repo_tags {
            match Reference::parse_with_default_tag(t) {
                Ok(r) if r.digest.is_none() => tags.push(r),
                _ => eprintln!(
                    "layerkit: warning: {}: ignoring the name {t:?}",
                    archive.name
                ),
            }
        }
        store.add_image(&descriptor, &tags)?;
        if tags.is_empty() {
            lines.push(format!("Loaded image ID: {}", image.id));
        }
        for t in &tags {
            lines.push(format!("Loaded image: {}", t.familiar()));
        }
    }
    drop(pending);
    let mut out = io::stdout().lock();
    for l in lines {
        writeln!(out, "{l}")?;
    }
    Ok(Outcome::Ok)
}

/// Moves the temp file of `member` into the store as `digest` (once).
fn take(
    store: &Store,
    pending: &mut BTreeMap<String, Pending>,
    member: &str,
    digest: &layerkit::oci::Digest,
) -> anyhow::Result<()> {
    if let Some(p) = pending.remove(member) {
        p.commit(store, digest)?;
    } else if !store.has_blob(digest) {
        bail!("{member} ({digest}) was not kept while reading");
    }
    Ok(())
}

/// Writes each regular member of the (decompressed) outer tar to a temp
/// file, and passes every byte on to the reader thread.
struct Tee<'a> {
    tar: TarReader,
    files: Files<'a>,
    to_reader: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    error: Option<anyhow::Error>,
    tar_failed: bool,
}

struct Files<'a> {
    store: &'a Store,
    current: Option<(String, BufWriter<File>)>,
    pending: BTreeMap<String, Pending>,
}

impl TarSink for Files<'_> {
    type Error = anyhow::Error;

    fn entry(&mut self, h: &Header) -> anyhow::Result<()> {
        if h.kind == EntryKind::File {
            let Some(name) = normalize_path(&h.name) else {
                return Ok(()); // the reader reports it
            };
            let (p, f) = Pending::create(self.store)?;
            self.pending.insert(name.clone(), p);
            self.current = Some((name, BufWriter::with_capacity(1 << 20, f)));
        }
        Ok(())
    }

    fn data(&mut self, data: &[u8]) -> anyhow::Result<()> {
        if let Some((_, f)) = &mut self.current {
            f.write_all(data).context("writing to the store")?;
        }
        Ok(())
    }

    fn end(&mut self) -> anyhow::Result<()> {
        if let Some((_, f)) = self.current.take() {
            f.into_inner()
                .map_err(|e| e.into_error())
                .context("writing to the store")?;
        }
        Ok(())
    }
}

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Err(io::Error::other("stopped"));
        }
        if !self.tar_failed {
            if let Err(e) = self.tar.push(buf, &mut self.files) {
                match e {
                    // The reader reports tar errors, with more context.
                    PushError::Tar(_) => self.tar_failed = true,
                    PushError::Sink(e) => {
                        self.error = Some(e);
                        return Err(io::Error::other("stopped"));
                    }
                }
            }
        }
        if let Some(tx) = &self.to_reader {
            if tx.send(buf.to_vec()).is_err() {
                // The reader stopped on an error; it says which.
                self.to_reader = None;
                return Err(io::Error::other("stopped"));
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn reader_thread(
    name: String,
    rx: Receiver<Vec<u8>>,
) -> Result<Archive, layerkit::image::ImageError> {
    let mut reader = Reader::new(&name, Limits::default());
    while let Ok(chunk) = rx.recv() {
        reader.push(&chunk)?;
    }
    Ok(reader.finish()?.0)
}

fn read_stream(
    store: &Store,
    mut input: impl Read,
    name: &str,
    progress: &mut crate::store::Progress,
) -> anyhow::Result<(Archive, BTreeMap<String, Pending>)> {
    let (tx, rx) = sync_channel::<Vec<u8>>(16);
    let thread_name = name.to_string();
    let reader = std::thread::spawn(move || reader_thread(thread_name, rx));
    let mut dec = Decoder::new(Tee {
        tar: TarReader::new(),
        files: Files {
            store,
            current: None,
            pending: BTreeMap::new(),
        },
        to_reader: Some(tx),
        error: None,
        tar_failed: false,
    });
    let mut buf = vec![0u8; 1 << 20];
    let mut failure: Option<anyhow::Error> = None;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                failure = Some(anyhow::Error::from(e).context(format!("reading {name}")));
                break;
            }
        };
        if dec.push(&buf[..n]).is_err() {
            break;
        }
        progress.add(n as u64);
    }
    let (tee, _) = dec.finish();
    let mut pending = BTreeMap::new();
    if let Some(mut tee) = tee {
        tee.to_reader = None; // closes the channel: the reader finishes
        if let Some(e) = tee.error.take() {
            failure.get_or_insert(e);
        }
        pending = std::mem::take(&mut tee.files.pending);
    }
    let archive = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the archive reader crashed"))?;
    let archive = archive?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok((archive, pending))
}

/// An OCI layout directory, each file copied to a temp file as the reader
/// reads it.
struct DirSource<'a> {
    store: &'a Store,
    root: PathBuf,
    pending: BTreeMap<String, Pending>,
}

struct TeeRead<R> {
    inner: R,
    copy: BufWriter<File>,
}

impl<R: Read> Read for TeeRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.write_all(&buf[..n])?;
        if n == 0 {
            self.copy.flush()?;
        }
        Ok(n)
    }
}

impl BlobSource for DirSource<'_> {
    fn open(&mut self, path: &str) -> Result<Option<Box<dyn Read + '_>>, String> {
        let full = self.root.join(path);
        let f = match File::open(&full) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let (p, copy) = Pending::create(self.store).map_err(|e| format!("{e:#}"))?;
        self.pending.insert(path.to_string(), p);
        Ok(Some(Box::new(TeeRead {
            inner: f,
            copy: BufWriter::with_capacity(1 << 20, copy),
        })))
    }
}

fn read_dir(store: &Store, dir: &Path) -> anyhow::Result<(Archive, BTreeMap<String, Pending>)> {
    let mut src = DirSource {
        store,
        root: dir.to_path_buf(),
        pending: BTreeMap::new(),
    };
    let (archive, _) = read_layout(
        &mut src,
        &dir.display().to_string(),
        Limits::default(),
        None,
        None,
    )?;
    Ok((archive, src.pending))
}
