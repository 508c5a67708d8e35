//! The local image store: an OCI image layout on disk, shared safely by
//! any number of `layerkit` processes.
//!
//! ```text
//! $LAYERKIT_ROOT | --root | $XDG_DATA_HOME/layerkit | ~/.local/share/layerkit
//! ├── oci-layout        {"imageLayoutVersion":"1.0.0"}
//! ├── index.json        one entry per name: org.opencontainers.image.ref.name =
//! │                     docker.io/library/busybox:latest; an image without a
//! │                     name has one entry without it ("dangling")
//! ├── blobs/sha256/…    manifests, configs, layers: content-addressed
//! ├── ingest/           blobs being written (temporary names)
//! ├── lock              flock: shared while adding blobs, exclusive to delete any
//! └── index.lock        flock: exclusive around each update of index.json
//! ```
//!
//! Because it is a plain OCI layout, `skopeo copy oci:ROOT:NAME …` and
//! `umoci` read it directly.
//!
//! Crash safety: a blob is written under `ingest/`, checked against its
//! digest, then renamed into `blobs/`; index.json is replaced by rename,
//! after the blobs it names are in place. A process killed at any point
//! leaves the previous index.json and every blob it names intact; what it
//! half-wrote sits in `ingest/` or as an unnamed blob until `image prune`.
//!
//! Concurrency: adders (load, import, commit, tag) hold `lock` shared, so
//! they run together; removers (rmi, prune) hold it exclusive, so a blob is
//! never deleted while another process is about to name it. Every
//! read-modify-write of index.json holds `index.lock`, so concurrent
//! updates never lose each other's names. Locks are released by the
//! kernel when a process dies.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use layerkit::image::compose::{tagged_entries, RefNameStyle};
use layerkit::oci::media_type::{self as mt, Kind};
use layerkit::oci::{
    Descriptor, Digest, Hasher, ImageConfig, ImageIndex, ImageManifest, Manifest, Platform,
    Reference,
};

/// An open store.
pub struct Store {
    pub root: PathBuf,
}

/// A held lock; dropping it releases it.
pub struct Lock {
    _file: File,
}

/// One image in the store: a manifest, its config and its names.
#[derive(Debug, Clone)]
pub struct Image {
    /// The index entry's descriptor (an image manifest, or an index whose
    /// platform manifest is `manifest`).
    pub entry: Descriptor,
    pub manifest_digest: Digest,
    pub manifest_bytes: Vec<u8>,
    pub manifest: ImageManifest,
    pub config_bytes: Vec<u8>,
    pub config: ImageConfig,
    /// Names in index order.
    pub tags: Vec<Reference>,
}

impl Image {
    /// The image id: the config digest, as Docker shows it.
    pub fn id(&self) -> &Digest {
        &self.manifest.config.digest
    }

    /// Bytes the image takes in the store: its manifest(s), config and
    /// layer blobs (layers as stored, compressed or not).
    pub fn size(&self) -> u64 {
        self.blobs().iter().map(|b| b.1).sum()
    }

    /// Every blob the image needs: manifest(s), config, layers.
    pub fn blobs(&self) -> Vec<(Digest, u64)> {
        let mut v = vec![
            (self.entry.digest.clone(), self.entry.size),
            (
                self.manifest_digest.clone(),
                self.manifest_bytes.len() as u64,
            ),
            (
                self.manifest.config.digest.clone(),
                self.manifest.config.size,
            ),
        ];
        v.extend(
            self.manifest
                .layers
                .iter()
                .map(|l| (l.digest.clone(), l.size)),
        );
        v.sort();
        v.dedup();
        v
    }

    /// Seconds since the epoch the config says it was created.
    pub fn created(&self) -> Option<i64> {
        self.config
            .created
            .as_deref()
            .and_then(layerkit::image::compose::parse_rfc3339)
    }
}

/// The store root from `--root`, `LAYERKIT_ROOT` (clap reads it into the
/// same option), `$XDG_DATA_HOME/layerkit` or `~/.local/share/layerkit`.
pub fn default_root(root: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(r) = root {
        return Ok(r.to_path_buf());
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return Ok(PathBuf::from(x).join("layerkit"));
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".local/share/layerkit")),
        None => bail!("no store location: set --root, LAYERKIT_ROOT, XDG_DATA_HOME or HOME"),
    }
}

fn flock(file: &File, op: libc::c_int) -> io::Result<()> {
    loop {
        // SAFETY: flock on a file descriptor we own.
        let r = unsafe { libc::flock(file.as_raw_fd(), op) };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Bytes written to a blob's temp file after which the kernel is asked to
/// start writing them to the disk (see [`WriteBehind`]).
const WRITE_BEHIND: u64 = 8 << 20;

/// A blob's temp file, written back to the disk while it is written: every
/// [`WRITE_BEHIND`] bytes the kernel is told to start writing the range out
/// (`sync_file_range`, a hint that does not wait), so the disk works while
/// the other thread hashes, and the `fdatasync` in [`Pending::commit`] finds
/// little left to do.
pub struct WriteBehind {
    file: File,
    written: u64,
    started: u64,
}

impl WriteBehind {
    pub fn new(file: File) -> WriteBehind {
        WriteBehind {
            file,
            written: 0,
            started: 0,
        }
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITE_BEHIND {
            start_writeback(&self.file, self.started, self.written - self.started);
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(target_os = "linux")]
fn start_writeback(file: &File, offset: u64, len: u64) {
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: sync_file_range on a file descriptor we own, with no pointers.
    // Its result is ignored: it only starts write-back early; the
    // fdatasync before the blob is named reports any real failure.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &File, _: u64, _: u64) {}

/// Blobs at least this big are written past the page cache
/// ([`BlobFile::for_size`]).
pub const DIRECT_MIN: u64 = 8 << 20;
/// O_DIRECT wants buffers, offsets and lengths in multiples of the
/// device's logical block: 4096 covers every disk.
const ALIGN: usize = 4096;
/// Bytes gathered before each direct write.
const DIRECT_CHUNK: usize = 4 << 20;

/// A blob's temp file: big ones written with `O_DIRECT`, the others
/// through the page cache with write-behind ([`WriteBehind`]). A blob that
/// must be on the disk before it is named costs the same disk writes
/// either way; going past the page cache also spares a copy into it and,
/// on a VM whose freed memory goes back to the host, the slow first touch
/// of every page it would take (measured here, 1 GiB to the disk: 0.57–0.83 s
/// direct against 0.56–3.0 s buffered + fsync). Ends with
/// [`BlobFile::finish`].
pub enum BlobFile {
    Buffered(WriteBehind),
    Direct(Direct),
}

impl BlobFile {
    /// The writer for a blob of `size` bytes (its declared size).
    pub fn for_size(file: File, size: u64) -> BlobFile {
        if size >= DIRECT_MIN {
            match Direct::new(file) {
                Ok(d) => return BlobFile::Direct(d),
                Err(file) => return BlobFile::Buffered(WriteBehind::new(file)),
            }
        }
        BlobFile::Buffered(WriteBehind::new(file))
    }

    /// Writes what is still gathered. The data is on the disk after the
    /// `fdatasync` in [`Pending::commit`].
    pub fn finish(self) -> io::Result<()> {
        match self {
            BlobFile::Buffered(_) => Ok(()),
            BlobFile::Direct(d) => d.finish(),
        }
    }
}

impl Write for BlobFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            BlobFile::Buffered(w) => w.write(buf),
            BlobFile::Direct(d) => d.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Buffers of [`DIRECT_CHUNK`] per direct file: one being filled, the
/// others queued for or being written by its writer thread.
const DIRECT_BUFFERS: usize = 3;

/// A file written with `O_DIRECT` from aligned buffers, in
/// [`DIRECT_CHUNK`]s, by a thread of its own (a direct write waits for the
/// disk: the caller goes on reading and hashing meanwhile); the last
/// partial block goes through the page cache. A file system that refuses
/// direct I/O (tmpfs) gets buffered writes.
pub struct Direct {
    /// Being filled: `buf.0[buf.1..buf.1 + DIRECT_CHUNK]` is aligned.
    buf: (Vec<u8>, usize),
    len: usize,
    made: usize,
    to_writer: Option<std::sync::mpsc::SyncSender<DirectJob>>,
    spare: std::sync::mpsc::Receiver<(Vec<u8>, usize)>,
    writer: Option<std::thread::JoinHandle<io::Result<()>>>,
}

/// For the writer thread: `len` bytes of a buffer at its aligned start;
/// `last`: the end of the file, written through the page cache.
struct DirectJob {
    buf: (Vec<u8>, usize),
    len: usize,
    last: bool,
}

fn aligned_buffer() -> (Vec<u8>, usize) {
    let buf = vec![0u8; DIRECT_CHUNK + ALIGN];
    let start = buf.as_ptr().align_offset(ALIGN);
    (buf, start)
}

impl Direct {
    /// The file back if it cannot be switched to direct I/O or its thread
    /// cannot start.
    #[allow(clippy::result_large_err)]
    fn new(file: File) -> Result<Direct, File> {
        let Ok(theirs) = file.try_clone() else {
            return Err(file);
        };
        if set_direct(&file, true).is_err() {
            return Err(file);
        }
        let (to_writer, jobs) = std::sync::mpsc::sync_channel::<DirectJob>(DIRECT_BUFFERS - 1);
        let (give_back, spare) = std::sync::mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("layerkit-write".into())
            .spawn(move || direct_writer(theirs, jobs, give_back));
        let Ok(writer) = writer else {
            let _ = set_direct(&file, false);
            return Err(file);
        };
        Ok(Direct {
            buf: aligned_buffer(),
            len: 0,
            made: 1,
            to_writer: Some(to_writer),
            spare,
            writer: Some(writer),
        })
    }

    /// The writer's error, once it has stopped.
    fn writer_error(&mut self) -> io::Error {
        self.to_writer = None;
        match self.writer.take().map(|w| w.join()) {
            Some(Ok(Err(e))) => e,
            _ => io::Error::other("the writing thread stopped"),
        }
    }

    /// Hands the gathered bytes to the writer and takes an empty buffer.
    fn send(&mut self, last: bool) -> io::Result<()> {
        let next = match self.spare.try_recv() {
            // Nothing more is written after the last.
            _ if last => (Vec::new(), 0),
            Ok(b) => b,
            Err(_) if self.made < DIRECT_BUFFERS => {
                self.made += 1;
                aligned_buffer()
            }
            Err(_) => match self.spare.recv() {
                Ok(b) => b,
                Err(_) => return Err(self.writer_error()),
            },
        };
        let job = DirectJob {
            buf: std::mem::replace(&mut self.buf, next),
            len: std::mem::take(&mut self.len),
            last,
        };
        let sent = self.to_writer.as_ref().map(|tx| tx.send(job).is_ok());
        if sent != Some(true) {
            return Err(self.writer_error());
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.send(true)?;
        self.to_writer = None; // the writer ends after the last job
        match self.writer.take().map(|w| w.join()) {
            Some(Ok(r)) => r,
            _ => Err(io::Error::other("the writing thread crashed")),
        }
    }
}

/// The writer thread of a [`Direct`] file: writes each job in order and
/// gives its buffer back.
fn direct_writer(
    mut file: File,
    jobs: std::sync::mpsc::Receiver<DirectJob>,
    give_back: std::sync::mpsc::Sender<(Vec<u8>, usize)>,
) -> io::Result<()> {
    let mut direct = true;
    while let Ok(job) = jobs.recv() {
        let data = &job.buf.0[job.buf.1..job.buf.1 + job.len];
        let (whole, tail) = match job.last {
            true => data.split_at(job.len / ALIGN * ALIGN),
            false => (data, &data[..0]),
        };
        if direct && !whole.is_empty() {
            match file.write_all(whole) {
                Ok(()) => {}
                // Alignment the device does not take: buffered from here
                // (nothing of a refused direct write was written).
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                    set_direct(&file, false)?;
                    direct = false;
                    file.write_all(whole)?;
                }
                Err(e) => return Err(e),
            }
        } else {
            file.write_all(whole)?;
        }
        if !tail.is_empty() {
            if direct {
                set_direct(&file, false)?;
                direct = false;
            }
            file.write_all(tail)?;
        }
        let _ = give_back.send(job.buf);
    }
    Ok(())
}

impl Write for Direct {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let take = (DIRECT_CHUNK - self.len).min(data.len());
        let at = self.buf.1 + self.len;
        self.buf.0[at..at + take].copy_from_slice(&data[..take]);
        self.len += take;
        if self.len == DIRECT_CHUNK {
            self.send(false)?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Turns `O_DIRECT` on or off for an open file.
fn set_direct(file: &File, on: bool) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let want = match on {
        true => flags | libc::O_DIRECT,
        false => flags & !libc::O_DIRECT,
    };
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, want) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Flushes `path`'s data to the disk (a file written through another handle).
fn sync_path(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_data()
}

impl Store {
    /// Opens the store at `root`, creating an empty layout if there is none.
    pub fn open(root: &Path) -> anyhow::Result<Store> {
        let store = Store {
            root: root.to_path_buf(),
        };
        fs::create_dir_all(root.join("blobs/sha256"))
            .with_context(|| format!("creating the image store at {}", root.display()))?;
        fs::create_dir_all(root.join("ingest"))
            .with_context(|| format!("creating {}", root.join("ingest").display()))?;
        if !root.join("oci-layout").exists() {
            store.write_atomic(
                &root.join("oci-layout"),
                br#"{"imageLayoutVersion":"1.0.0"}"#,
            )?;
        }
        if !root.join("index.json").exists() {
            let _l = store.lock_index()?;
            if !root.join("index.json").exists() {
                store.write_atomic(
                    &root.join("index.json"),
                    &ImageIndex::new(Vec::new(), false).to_bytes(),
                )?;
            }
        }
        Ok(store)
    }

    fn lock_file(&self, name: &str, op: libc::c_int) -> anyhow::Result<Lock> {
        let path = self.root.join(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening the lock {}", path.display()))?;
        flock(&file, op).with_context(|| format!("locking {}", path.display()))?;
        Ok(Lock { _file: file })
    }

    /// Held while adding blobs and names: other adders may run too.
    pub fn lock_shared(&self) -> anyhow::Result<Lock> {
        self.lock_file("lock", libc::LOCK_SH)
    }

    /// Held while deleting blobs: nobody else adds or deletes meanwhile.
    pub fn lock_exclusive(&self) -> anyhow::Result<Lock> {
        self.lock_file("lock", libc::LOCK_EX)
    }

    fn lock_index(&self) -> anyhow::Result<Lock> {
        self.lock_file("index.lock", libc::LOCK_EX)
    }

    /// Writes `path` whole or not at all: a temp file, fsync, rename.
    pub fn write_atomic(&self, path: &Path, data: &[u8]) -> anyhow::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
            std::process::id()
        ));
        let result = (|| -> io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.with_context(|| format!("writing {}", path.display()))
    }

    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        self.root
            .join("blobs")
            .join(d.algorithm().as_str())
            .join(d.hex())
    }

    pub fn has_blob(&self, d: &Digest) -> bool {
        self.blob_path(d).is_file()
    }

    /// A file under `ingest/` to write a blob into.
    pub fn ingest(&self) -> anyhow::Result<Ingest> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self
            .root
            .join("ingest")
            .join(format!("{}-{n}", std::process::id()));
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Ingest {
            out: io::BufWriter::with_capacity(1 << 20, file),
            path,
            hasher: Hasher::sha256(),
            size: 0,
        })
    }

    /// Stores small bytes (a manifest, a config) as a blob.
    pub fn put_bytes(&self, data: &[u8]) -> anyhow::Result<Digest> {
        let d = Digest::sha256(data);
        if !self.has_blob(&d) {
            let mut i = self.ingest()?;
            i.write_all(data)?;
            i.commit(self, Some(&d))?;
        }
        Ok(d)
    }

    /// A blob's bytes, checked against its digest (for small blobs).
    pub fn read_blob(&self, d: &Digest) -> anyhow::Result<Vec<u8>> {
        let path = self.blob_path(d);
        let data = fs::read(&path).with_context(|| format!("reading blob {d} from the store"))?;
        let actual = Digest::sha256(&data);
        if actual != *d {
            bail!(
                "blob {d} in the store is damaged: its content hashes to {actual}; remove the image and load it again"
            );
        }
        Ok(data)
    }

    /// Opens a blob for streaming.
    pub fn open_blob(&self, d: &Digest) -> io::Result<File> {
        File::open(self.blob_path(d))
    }

    /// The store's index.json.
    pub fn index(&self) -> anyhow::Result<ImageIndex> {
        let path = self.root.join("index.json");
        let data = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        match Manifest::parse(&data, Some(mt::OCI_INDEX), &path.display().to_string())? {
            Manifest::Index(i) => Ok(i),
            Manifest::Image(_) => bail!("{} is not an image index", path.display()),
        }
    }

    /// Reads, changes and writes index.json under the index lock.
    pub fn update_index<T>(
        &self,
        f: impl FnOnce(&mut ImageIndex) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let _l = self.lock_index()?;
        let mut index = self.index()?;
        let out = f(&mut index)?;
        self.write_atomic(&self.root.join("index.json"), &index.to_bytes())?;
        Ok(out)
    }

    /// Names `manifest` by `tags` (moving a name that belonged to another
    /// image); with no tags, adds it untagged unless it is already there.
    pub fn add_image(&self, manifest: &Descriptor, tags: &[Reference]) -> anyhow::Result<()> {
        self.update_index(|index| {
            let names: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
            let mut lost: Vec<Descriptor> = Vec::new();
            index.manifests.retain(|d| match d.ref_name() {
                Some(n) if names.iter().any(|x| x == n) => {
                    if d.digest != manifest.digest {
                        lost.push(d.clone());
                    }
                    false
                }
                // An untagged entry of this image gives way to its names.
                None if d.digest == manifest.digest && !tags.is_empty() => false,
                _ => true,
            });
            for d in lost {
                if !index.manifests.iter().any(|m| m.digest == d.digest) {
                    index
                        .manifests
                        .extend(tagged_entries(&d, &[], RefNameStyle::Full));
                }
            }
            if tags.is_empty() {
                if !index.manifests.iter().any(|m| m.digest == manifest.digest) {
                    index
                        .manifests
                        .extend(tagged_entries(manifest, &[], RefNameStyle::Full));
                }
            } else {
                index
                    .manifests
                    .extend(tagged_entries(manifest, tags, RefNameStyle::Full));
            }
            Ok(())
        })
    }

    /// Every image, in index order, one per manifest. Entries whose blobs
    /// cannot be read are reported on stderr and skipped.
    pub fn images(&self) -> anyhow::Result<Vec<Image>> {
        let index = self.index()?;
        let mut by_digest: BTreeMap<Digest, usize> = BTreeMap::new();
        let mut out: Vec<Image> = Vec::new();
        for entry in &index.manifests {
            let tag = entry
                .ref_name()
                .and_then(|n| Reference::parse_with_default_tag(n).ok());
            if let Some(&i) = by_digest.get(&entry.digest) {
                if let Some(t) = tag {
                    out[i].tags.push(t);
                }
                continue;
            }
            match self.load_image(entry) {
                Ok(mut img) => {
                    img.tags.extend(tag);
                    by_digest.insert(entry.digest.clone(), out.len());
                    out.push(img);
                }
                Err(e) => eprintln!(
                    "layerkit: warning: skipping image {} in the store: {e:#}",
                    entry.digest
                ),
            }
        }
        Ok(out)
    }

    fn load_image(&self, entry: &Descriptor) -> anyhow::Result<Image> {
        let bytes = self.read_blob(&entry.digest)?;
        let what = entry.digest.to_string();
        let (manifest_digest, manifest_bytes, manifest) =
            match Manifest::parse(&bytes, Some(&entry.media_type), &what)? {
                Manifest::Image(m) => (entry.digest.clone(), bytes, m),
                Manifest::Index(idx) => {
                    let child = pick_platform(&idx.manifests, &host_platform())
                        .with_context(|| format!("index {what} has no image for this platform"))?;
                    let b = self.read_blob(&child.digest)?;
                    match Manifest::parse(&b, Some(&child.media_type), &what)? {
                        Manifest::Image(m) => (child.digest.clone(), b, m),
                        Manifest::Index(_) => bail!("nested index {what} is too deep"),
                    }
                }
            };
        let config_bytes = self.read_blob(&manifest.config.digest)?;
        let config = ImageConfig::parse(&config_bytes, &manifest.config.digest.to_string())?;
        Ok(Image {
            entry: entry.clone(),
            manifest_digest,
            manifest_bytes,
            manifest,
            config_bytes,
            config,
            tags: Vec::new(),
        })
    }

    /// Finds the image `name` names: a reference (`busybox`, `me/app:1`,
    /// `app@sha256:…`), an image id or a unique prefix of one, or a
    /// manifest digest.
    pub fn find<'a>(&self, images: &'a [Image], name: &str) -> anyhow::Result<Found<'a>> {
        if let Ok(r) = Reference::parse_with_default_tag(name) {
            if let Some(d) = &r.digest {
                if let Some(img) = images
                    .iter()
                    .find(|i| i.entry.digest == *d || i.manifest_digest == *d)
                {
                    return Ok(Found {
                        image: img,
                        tag: None,
                    });
                }
            } else {
                let full = r.to_string();
                for img in images {
                    if let Some(t) = img.tags.iter().find(|t| t.to_string() == full) {
                        return Ok(Found {
                            image: img,
                            tag: Some(t.clone()),
                        });
                    }
                }
            }
        }
        let hex = name.strip_prefix("sha256:").unwrap_or(name);
        if !hex.is_empty() && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            let hex = hex.to_ascii_lowercase();
            let mut found: Vec<&Image> = images
                .iter()
                .filter(|i| i.id().hex().starts_with(&hex))
                .collect();
            if found.is_empty() && hex.len() == 64 {
                found = images
                    .iter()
                    .filter(|i| i.entry.digest.hex() == hex || i.manifest_digest.hex() == hex)
                    .collect();
            }
            // Several manifests may share one config (the same image with
            // its layers compressed differently): one id, any of them does.
            if found.len() > 1 && found.iter().all(|i| i.id() == found[0].id()) {
                found.truncate(1);
            }
            match found.as_slice() {
                [one] => {
                    return Ok(Found {
                        image: one,
                        tag: None,
                    })
                }
                [] => {}
                _ => bail!(
                    "image id prefix {name:?} is ambiguous: it matches {} images; give more digits",
                    found.len()
                ),
            }
        }
        bail!("No such image: {name}")
    }

    /// Deletes every blob no index entry needs, and everything in
    /// `ingest/`. The caller holds the exclusive lock. Returns the deleted
    /// blobs with their sizes.
    pub fn collect_garbage(&self) -> anyhow::Result<Vec<(Digest, u64)>> {
        let index = self.index()?;
        let mut keep: BTreeSet<String> = BTreeSet::new();
        for entry in &index.manifests {
            self.mark(entry, &mut keep, 0)?;
        }
        let mut deleted = Vec::new();
        let dir = self.root.join("blobs/sha256");
        for e in fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if keep.contains(&name) {
                continue;
            }
            let size = e.metadata().map(|m| m.len()).unwrap_or(0);
            fs::remove_file(e.path())
                .with_context(|| format!("removing {}", e.path().display()))?;
            if let Ok(d) = format!("sha256:{name}").parse::<Digest>() {
                deleted.push((d, size));
            }
        }
        let ingest = self.root.join("ingest");
        if let Ok(entries) = fs::read_dir(&ingest) {
            for e in entries.flatten() {
                let _ = fs::remove_file(e.path());
            }
        }
        // Temp files of interrupted index writes.
        if let Ok(entries) = fs::read_dir(&self.root) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with('.') && n.ends_with(".tmp") {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(deleted)
    }

    fn mark(&self, d: &Descriptor, keep: &mut BTreeSet<String>, depth: u32) -> anyhow::Result<()> {
        if !keep.insert(d.digest.hex().to_string()) || depth > 4 {
            return Ok(());
        }
        if !matches!(mt::kind(&d.media_type), Kind::Index | Kind::Manifest) {
            return Ok(());
        }
        // A manifest that cannot be read keeps only itself.
        let Ok(bytes) = fs::read(self.blob_path(&d.digest)) else {
            return Ok(());
        };
        match Manifest::parse(&bytes, Some(&d.media_type), "") {
            Ok(Manifest::Image(m)) => {
                keep.insert(m.config.digest.hex().to_string());
                for l in &m.layers {
                    keep.insert(l.digest.hex().to_string());
                }
            }
            Ok(Manifest::Index(i)) => {
                for c in &i.manifests {
                    self.mark(c, keep, depth + 1)?;
                }
            }
            Err(_) => {}
        }
        Ok(())
    }
}

/// The store root `--root` gave, for commands that take a TARGET.
static ROOT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

/// Records `--root` (or LAYERKIT_ROOT) for [`target`].
pub fn set_root(root: Option<PathBuf>) {
    let _ = ROOT.set(root);
}

/// An image of the store named `name`, for the image commands' TARGET:
/// the store's root and an index.json holding only that image's entry.
/// `None` when there is no store or no such image.
pub fn target(name: &str) -> anyhow::Result<Option<(PathBuf, Vec<u8>)>> {
    let root = default_root(ROOT.get().and_then(|r| r.as_deref()))?;
    if !root.join("index.json").is_file() {
        return Ok(None);
    }
    let store = Store { root: root.clone() };
    let images = store.images()?;
    let Ok(found) = store.find(&images, name) else {
        return Ok(None);
    };
    let mut entry = found.image.entry.clone();
    if let Some(t) = &found.tag {
        entry
            .annotations
            .insert(layerkit::oci::ANNOTATION_REF_NAME.into(), t.to_string());
    }
    let index = ImageIndex::new(vec![entry], false);
    Ok(Some((root, index.to_bytes())))
}

/// What [`Store::find`] found: the image, and the name used when it was one.
pub struct Found<'a> {
    pub image: &'a Image,
    pub tag: Option<Reference>,
}

/// The platform images are picked for: this machine's.
pub fn host_platform() -> Platform {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        a => a,
    };
    Platform::new("linux", arch, None)
}

/// The entry of an index for `platform`; an entry without a platform only
/// when nothing else matches.
pub fn pick_platform<'a>(
    manifests: &'a [Descriptor],
    platform: &Platform,
) -> Option<&'a Descriptor> {
    manifests
        .iter()
        .filter(|d| mt::kind(&d.media_type) == Kind::Manifest)
        .find(|d| d.platform.as_ref().is_some_and(|p| p.matches(platform)))
        .or_else(|| {
            manifests
                .iter()
                .filter(|d| mt::kind(&d.media_type) == Kind::Manifest)
                .find(|d| {
                    d.platform.is_none() && !d.annotations.contains_key("vnd.docker.reference.type")
                })
        })
}

/// A blob being written: hashed as it goes, renamed into place by
/// [`Ingest::commit`], deleted if dropped uncommitted.
pub struct Ingest {
    out: io::BufWriter<File>,
    path: PathBuf,
    hasher: Hasher,
    size: u64,
}

impl Write for Ingest {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Ingest {
    /// Moves the blob into `blobs/`, after checking it is `expected` when
    /// given. Returns its digest and size.
    pub fn commit(
        mut self,
        store: &Store,
        expected: Option<&Digest>,
    ) -> anyhow::Result<(Digest, u64)> {
        self.out
            .flush()
            .with_context(|| format!("writing {}", self.path.display()))?;
        let hasher = std::mem::replace(&mut self.hasher, Hasher::sha256());
        let digest = hasher.finish();
        if let Some(e) = expected {
            if *e != digest {
                bail!(
                    "blob {e} is damaged: its content hashes to {digest} ({} bytes); the source is corrupt or truncated",
                    self.size
                );
            }
        }
        let dest = store.blob_path(&digest);
        if dest.is_file() {
            let _ = fs::remove_file(&self.path);
        } else {
            fs::rename(&self.path, &dest)
                .with_context(|| format!("moving a blob into {}", dest.display()))?;
        }
        self.path = PathBuf::new();
        Ok((digest, self.size))
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// A file in `ingest/` whose digest someone else computed: renamed into
/// `blobs/` by [`Pending::commit`], deleted if dropped.
pub struct Pending {
    path: PathBuf,
}

impl Pending {
    /// A new empty temp file in the store's `ingest/`.
    pub fn create(store: &Store) -> anyhow::Result<(Pending, File)> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = store
            .root
            .join("ingest")
            .join(format!("{}-p{n}", std::process::id()));
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok((Pending { path }, file))
    }

    /// Moves the file into `blobs/` under `digest` (computed by whoever
    /// read the same bytes), its data on the disk first (as a pulled blob's:
    /// a blob that is named is whole, even after a power failure).
    pub fn commit(mut self, store: &Store, digest: &Digest) -> anyhow::Result<()> {
        let dest = store.blob_path(digest);
        if dest.is_file() {
            let _ = fs::remove_file(&self.path);
        } else {
            sync_path(&self.path)
                .with_context(|| format!("writing {} to the disk", self.path.display()))?;
            fs::rename(&self.path, &dest)
                .with_context(|| format!("moving a blob into {}", dest.display()))?;
        }
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Copies `r` into a new blob, checking it against `expected`.
pub fn ingest_reader(
    store: &Store,
    r: &mut dyn Read,
    expected: Option<&Digest>,
) -> anyhow::Result<(Digest, u64)> {
    let mut i = store.ingest()?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading the blob"),
        };
        i.write_all(&buf[..n]).context("writing the blob")?;
    }
    i.commit(store, expected)
}

/// Adapts the store to the archive writer.
pub struct StoreBlobs<'a>(pub &'a Store);

impl layerkit::image::BlobOpener for StoreBlobs<'_> {
    fn open(&mut self, blob: &Descriptor) -> io::Result<Box<dyn Read + '_>> {
        let f = self.0.open_blob(&blob.digest)?;
        Ok(Box::new(f))
    }
}

/// The names given on the command line as references with `latest` by
/// default; an error names the bad one.
pub fn parse_tag(name: &str) -> anyhow::Result<Reference> {
    let r = Reference::parse_with_default_tag(name)
        .with_context(|| format!("invalid reference {name:?}"))?;
    if r.digest.is_some() {
        bail!("refusing to create a tag with a digest reference: {name}");
    }
    Ok(r)
}

/// A one-line progress report on standard error, shown only when it is a
/// terminal and the command was not asked to be quiet.
pub struct Progress {
    enabled: bool,
    verb: &'static str,
    total: Option<u64>,
    done: u64,
    last: std::time::Instant,
    shown: bool,
}

impl Progress {
    pub fn new(verb: &'static str, total: Option<u64>, quiet: bool) -> Progress {
        use std::io::IsTerminal;
        Progress {
            enabled: !quiet && io::stderr().is_terminal(),
            verb,
            total,
            done: 0,
            last: std::time::Instant::now(),
            shown: false,
        }
    }

    pub fn add(&mut self, n: u64) {
        self.done += n;
        if !self.enabled || self.last.elapsed() < std::time::Duration::from_millis(200) {
            return;
        }
        self.last = std::time::Instant::now();
        self.shown = true;
        let mb = self.done as f64 / 1e6;
        match self.total.filter(|t| *t > 0) {
            Some(t) => eprint!(
                "\r{} {:>3}% {mb:>10.1} MB of {:.1} MB",
                self.verb,
                self.done * 100 / t,
                t as f64 / 1e6
            ),
            None => eprint!("\r{} {mb:>10.1} MB", self.verb),
        }
        let _ = io::stderr().flush();
    }

    pub fn finish(&self) {
        if self.shown {
            eprint!("\r{:60}\r", "");
            let _ = io::stderr().flush();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
        self.shown = false;
    }
}
