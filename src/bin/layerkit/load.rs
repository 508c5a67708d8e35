//! `layerkit load [-i FILE]`: images from an archive into the store.
//!
//! One read of the input: each chunk's archive members are written to temp
//! files in the store straight from the buffer it was read into, and the
//! same buffer goes to the image reader on a second thread, which hashes
//! and checks it in place. Once the archive is read and every image in it
//! verified (digests, sizes, diff ids), the members the images need are
//! renamed into `blobs/` (each on the disk first: a big one is written
//! past the page cache by a thread of its own, a small one's write-back
//! starts while it is written, see [`BlobFile`]) and the names added; the
//! rest are deleted.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use layerkit::image::decode::Decoder;
use layerkit::image::tar::{Header, PushError, TarReader, TarSink};
use layerkit::image::{
    normalize_path, read_layout, Archive, BlobSource, EntryKind, Limits, Reader, Selector,
};
use layerkit::oci::{Compression, Descriptor, Reference};

use crate::store::{host_platform, BlobFile, Pending, Store, WriteBehind};
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

/// Input bytes per read and per hand-over to the verifying thread. Small
/// enough that a chunk is still in the CPU caches when the other core
/// hashes it (measured here: hashing buffers that came back from memory
/// costs half as much again), large enough that system calls cost little.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the threads (4 MiB).
const IN_FLIGHT: usize = 16;

/// Writes each regular member of the outer tar to its temp file, straight
/// from the chunk it arrived in.
struct Files<'a> {
    store: &'a Store,
    current: Option<BlobFile>,
    pending: BTreeMap<String, Pending>,
}

impl TarSink for Files<'_> {
    type Error = anyhow::Error;

    fn entry(&mut self, h: &Header) -> anyhow::Result<()> {
        if h.kind == EntryKind::File {
            let Some(name) = normalize_path(&h.name) else {
                return Ok(()); // the verifier reports it
            };
            let (p, f) = Pending::create(self.store)?;
            self.pending.insert(name, p);
            self.current = Some(BlobFile::for_size(f, h.size));
        }
        Ok(())
    }

    fn data(&mut self, data: &[u8]) -> anyhow::Result<()> {
        if let Some(f) = &mut self.current {
            f.write_all(data).context("writing to the store")?;
        }
        Ok(())
    }

    fn end(&mut self) -> anyhow::Result<()> {
        if let Some(f) = self.current.take() {
            f.finish().context("writing to the store")?;
        }
        Ok(())
    }
}

/// The writing side: the outer tar's members go to temp files, and every
/// chunk goes on to the verifier, which hands the buffers back for reuse.
struct Tee<'a> {
    tar: TarReader,
    files: Files<'a>,
    /// Set when the outer tar is broken: the verifier says where and why.
    tar_failed: bool,
    to_verifier: Option<SyncSender<(Vec<u8>, usize)>>,
    spare: Receiver<Vec<u8>>,
    /// Decompressed bytes gathered for the verifier (compressed archives).
    gather: Vec<u8>,
    error: Option<anyhow::Error>,
}

impl Tee<'_> {
    fn buffer(&mut self) -> Vec<u8> {
        match self.spare.try_recv() {
            Ok(b) => b,
            Err(_) => vec![0; CHUNK],
        }
    }

    /// Members of `data` to their files.
    fn store(&mut self, data: &[u8]) -> io::Result<()> {
        if self.error.is_some() {
            return Err(io::Error::other("stopped"));
        }
        if !self.tar_failed {
            if let Err(e) = self.tar.push(data, &mut self.files) {
                match e {
                    PushError::Tar(_) => self.tar_failed = true,
                    PushError::Sink(e) => {
                        self.error = Some(e);
                        return Err(io::Error::other("stopped"));
                    }
                }
            }
        }
        Ok(())
    }

    /// `buf[..len]` to the verifier. False once it has stopped (on an
    /// error it reports itself).
    fn send(&mut self, buf: Vec<u8>, len: usize) -> bool {
        let Some(tx) = &self.to_verifier else {
            return false;
        };
        if tx.send((buf, len)).is_err() {
            self.to_verifier = None;
            return false;
        }
        true
    }

    /// A chunk of an uncompressed archive: stored, then handed over whole.
    fn chunk(&mut self, buf: Vec<u8>, len: usize) -> io::Result<()> {
        self.store(&buf[..len])?;
        if !self.send(buf, len) {
            return Err(io::Error::other("stopped"));
        }
        Ok(())
    }

    fn flush_gathered(&mut self) -> io::Result<()> {
        if !self.gather.is_empty() {
            let full = std::mem::take(&mut self.gather);
            let len = full.len();
            if !self.send(full, len) {
                return Err(io::Error::other("stopped"));
            }
        }
        Ok(())
    }
}

/// Decompressed bytes of a compressed archive: stored, and copied into
/// chunks for the verifier.
impl Write for Tee<'_> {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let n = buf.len();
        self.store(buf)?;
        while !buf.is_empty() {
            if self.gather.capacity() == 0 {
                self.gather = self.buffer();
                self.gather.clear();
            }
            let take = (CHUNK - self.gather.len()).min(buf.len());
            self.gather.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
            if self.gather.len() >= CHUNK {
                self.flush_gathered()?;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The verifying thread: every byte through the image reader (sha256 of
/// each member, layers listed, compressed layers inflated for their diff
/// ids), buffers back to the writer.
fn verify(
    name: String,
    chunks: Receiver<(Vec<u8>, usize)>,
    spare: Sender<Vec<u8>>,
) -> Result<Archive, layerkit::image::ImageError> {
    let mut reader = Reader::new(&name, Limits::default());
    while let Ok((chunk, len)) = chunks.recv() {
        reader.push(&chunk[..len])?;
        let _ = spare.send(chunk);
    }
    Ok(reader.finish()?.0)
}

/// Fills `buf` unless the input ends first; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The archive as read: a tar, or compressed as a whole.
enum Outer<'a> {
    Plain(Tee<'a>),
    Compressed(Decoder<Tee<'a>>),
}

/// One read of the input, on two cores: this thread writes the members
/// to temp files in the store (large writes straight from the buffer the
/// bytes were read into), the verifier hashes and checks the same buffers
/// on the other core. An archive compressed as a whole is decompressed
/// here first.
fn read_stream(
    store: &Store,
    mut input: impl Read,
    name: &str,
    progress: &mut crate::store::Progress,
) -> anyhow::Result<(Archive, BTreeMap<String, Pending>)> {
    let (to_verifier, chunks) = sync_channel::<(Vec<u8>, usize)>(IN_FLIGHT);
    let (give_back, spare) = channel::<Vec<u8>>();
    let thread_name = name.to_string();
    let verifier = std::thread::Builder::new()
        .name("layerkit-verify".into())
        .spawn(move || verify(thread_name, chunks, give_back))
        .context("starting the verifying thread")?;
    let tee = Tee {
        tar: TarReader::new(),
        files: Files {
            store,
            current: None,
            pending: BTreeMap::new(),
        },
        tar_failed: false,
        to_verifier: Some(to_verifier),
        spare,
        gather: Vec::new(),
        error: None,
    };
    let mut buf = vec![0; CHUNK];
    let mut failure: Option<anyhow::Error> = None;
    let read_error = |e: io::Error| anyhow::Error::from(e).context(format!("reading {name}"));
    let mut n = read_full(&mut input, &mut buf).unwrap_or_else(|e| {
        failure = Some(read_error(e));
        0
    });
    let compressed = Compression::sniff(&buf[..n]) != Compression::None;
    let mut outer = if compressed {
        Outer::Compressed(Decoder::new(tee))
    } else {
        Outer::Plain(tee)
    };
    while n > 0 {
        progress.add(n as u64);
        let pushed = match &mut outer {
            Outer::Plain(tee) => {
                let r = tee.chunk(std::mem::take(&mut buf), n);
                buf = tee.buffer();
                buf.resize(CHUNK, 0);
                r
            }
            Outer::Compressed(dec) => dec.push(&buf[..n]),
        };
        if pushed.is_err() {
            break;
        }
        n = match read_full(&mut input, &mut buf) {
            Ok(n) => n,
            Err(e) => {
                failure = Some(read_error(e));
                break;
            }
        };
    }
    let tee = match outer {
        Outer::Plain(tee) => Some(tee),
        // A corrupt stream: the verifier decompresses the same bytes and
        // says what is wrong.
        Outer::Compressed(dec) => dec.finish().0,
    };
    let mut pending = BTreeMap::new();
    if let Some(mut tee) = tee {
        let _ = tee.flush_gathered();
        tee.to_verifier = None; // closes the channel: the verifier finishes
        if let Some(e) = tee.error.take() {
            failure.get_or_insert(e);
        }
        pending = std::mem::take(&mut tee.files.pending);
    }
    let archive = verifier
        .join()
        .map_err(|_| anyhow::anyhow!("the archive verifier crashed"))?;
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

/// Reads a file, writing each read (256 KiB from [`read_layout`]) to the
/// copy as it is.
struct TeeRead<R> {
    inner: R,
    copy: WriteBehind,
}

impl<R: Read> Read for TeeRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.write_all(&buf[..n])?;
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
            copy: WriteBehind::new(copy),
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
