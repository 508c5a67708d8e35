//! Moving images between places without unpacking them: registries, OCI
//! layout directories (and the local store, which is one).
//!
//! ```text
//! Source ── root manifest ──▶ pick platform (or all) ──▶ blobs, N at a time ──▶ Dest
//!                                                         skip (exists) · mount · stream
//!        ── child manifests, then the root, by tag ───────────────────────────▶ Dest
//! ```
//!
//! Every blob is hashed as it passes and checked against its digest before
//! the destination keeps it; a mismatch names both digests. Transient
//! failures (a dropped connection, a registry restarting, 5xx) are retried
//! with backoff; downloads resume from the bytes already on disk with a
//! `Range` request, kept under `ingest/` and never visible as a blob until
//! verified.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use layerkit::oci::media_type as mt;
use layerkit::oci::{Descriptor, Digest, ImageIndex, Manifest, Platform, Reference};
use layerkit::registry::{self, Client, RegistryError, UploadStart, Verifier};

use crate::blob_locations;
use crate::progress::{Bar, Progress};
use crate::store::{Lock as StoreLock, Store};
use crate::transport::{block_on, Native, Stream};

/// A manifest's bytes as stored, with its media type and digest.
#[derive(Debug, Clone)]
pub struct RawManifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: Digest,
}

impl RawManifest {
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            self.media_type.clone(),
            self.digest.clone(),
            self.bytes.len() as u64,
        )
    }

    pub fn parse(&self, what: &str) -> anyhow::Result<Manifest> {
        Ok(Manifest::parse(&self.bytes, Some(&self.media_type), what)?)
    }
}

/// Where images come from.
pub trait Source: Sync {
    fn describe(&self) -> String;
    /// The manifest the source names (an index or an image manifest).
    fn root(&self) -> anyhow::Result<RawManifest>;
    /// A manifest by descriptor (a child of an index).
    fn manifest(&self, desc: &Descriptor) -> anyhow::Result<RawManifest>;
    /// A blob's bytes from `offset`; returns where the stream really starts
    /// (0 when the source cannot seek).
    fn open_blob(&self, desc: &Descriptor, offset: u64) -> anyhow::Result<(Stream, u64)>;
    /// `(registry, repository)` when the source is a registry (for mounts).
    fn registry_repo(&self) -> Option<(String, String)> {
        None
    }
}

/// Where images go.
pub trait Dest: Sync {
    fn describe(&self) -> String;
    fn has_blob(&self, desc: &Descriptor) -> anyhow::Result<bool>;
    /// `(registry, repository)` when the destination is a registry.
    fn registry_repo(&self) -> Option<(String, String)> {
        None
    }
    /// Mounts a blob from another repository of the same registry.
    fn mount(&self, _desc: &Descriptor, _from: &(String, String)) -> anyhow::Result<bool> {
        Ok(false)
    }
    /// Copies one blob from `src`, verifying it.
    fn put_blob(&self, desc: &Descriptor, src: &dyn Source, bar: &Bar) -> anyhow::Result<()>;
    /// Stores a manifest an index refers to (by digest, untagged).
    fn put_child_manifest(&self, m: &RawManifest) -> anyhow::Result<()>;
    /// Stores the manifest copied, under `tags`.
    fn put_manifest(&self, m: &RawManifest, tags: &[Reference]) -> anyhow::Result<()>;
}

/// How a copy runs.
pub struct Options {
    /// The platform to pick from an index (default: this machine's).
    pub platform: Option<Platform>,
    /// Copy every manifest of an index.
    pub all_platforms: bool,
    /// Blobs in flight at once.
    pub jobs: usize,
    pub progress: Progress,
}

/// What was copied.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Copied {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    pub blobs: usize,
    pub bytes: u64,
    pub skipped: usize,
    pub mounted: usize,
}

/// Copies the image `src` names to `dst`, tagging it `tags` there.
pub fn copy(
    src: &dyn Source,
    dst: &dyn Dest,
    tags: &[Reference],
    opts: &Options,
) -> anyhow::Result<Copied> {
    let root = src.root()?;
    let what = src.describe();
    let (top, images): (RawManifest, Vec<(RawManifest, Manifest)>) = match root.parse(&what)? {
        Manifest::Image(m) => (root.clone(), vec![(root, Manifest::Image(m))]),
        Manifest::Index(index) if opts.all_platforms => {
            let mut children = Vec::new();
            for d in &index.manifests {
                let child = src.manifest(d)?;
                let parsed = child.parse(&format!("{what}@{}", d.digest))?;
                if let Manifest::Index(_) = parsed {
                    bail!("{what}: nested index {} is not supported", d.digest);
                }
                children.push((child, parsed));
            }
            (root, children)
        }
        Manifest::Index(index) => {
            let wanted = opts
                .platform
                .clone()
                .unwrap_or_else(crate::store::host_platform);
            let Some(d) = registry::select_platform(&index, &wanted) else {
                return Err(RegistryError::NoMatchingPlatform {
                    reference: what,
                    wanted: wanted.to_string(),
                    available: registry::platforms(&index),
                }
                .into());
            };
            let child = src.manifest(d)?;
            let parsed = child.parse(&format!("{what}@{}", d.digest))?;
            (child.clone(), vec![(child, parsed)])
        }
    };
    let mut blobs: Vec<Descriptor> = Vec::new();
    for (_, m) in &images {
        if let Manifest::Image(m) = m {
            for d in std::iter::once(&m.config).chain(&m.layers) {
                // Foreign layers live elsewhere (their `urls`); registries
                // do not expect them pushed.
                if !d.urls.is_empty()
                    || d.media_type.contains("nondistributable")
                    || d.media_type == mt::DOCKER_LAYER_FOREIGN
                {
                    continue;
                }
                if !blobs.iter().any(|b| b.digest == d.digest) {
                    blobs.push(d.clone());
                }
            }
        }
    }
    let stats = transfer_blobs(src, dst, &blobs, opts)?;
    let digests: Vec<Digest> = blobs.iter().map(|b| b.digest.clone()).collect();
    for (registry, repo) in src.registry_repo().into_iter().chain(dst.registry_repo()) {
        blob_locations::record(&registry, &repo, &digests);
    }
    if let Manifest::Index(_) = top.parse(&what)? {
        for (child, _) in &images {
            dst.put_child_manifest(child)?;
        }
    }
    dst.put_manifest(&top, tags)?;
    Ok(Copied {
        digest: top.digest.clone(),
        media_type: top.media_type.clone(),
        size: top.bytes.len() as u64,
        blobs: blobs.len(),
        bytes: stats.bytes,
        skipped: stats.skipped,
        mounted: stats.mounted,
    })
}

#[derive(Default)]
struct Stats {
    bytes: u64,
    skipped: usize,
    mounted: usize,
}

fn transfer_blobs(
    src: &dyn Source,
    dst: &dyn Dest,
    blobs: &[Descriptor],
    opts: &Options,
) -> anyhow::Result<Stats> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let errors: Mutex<Vec<anyhow::Error>> = Mutex::new(Vec::new());
    let stats = Mutex::new(Stats::default());
    let from = src.registry_repo();
    let to = dst.registry_repo();
    let bars: Vec<Bar> = blobs
        .iter()
        .map(|b| {
            opts.progress
                .bar(&b.digest.hex()[..12], "Waiting", Some(b.size))
        })
        .collect();
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.max(1).min(blobs.len().max(1)) {
            s.spawn(|| loop {
                if failed.load(Ordering::Relaxed) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(desc) = blobs.get(i) else { return };
                let bar = &bars[i];
                let result = (|| -> anyhow::Result<()> {
                    if dst.has_blob(desc)? {
                        bar.status("Already exists", false);
                        lock(&stats).skipped += 1;
                        return Ok(());
                    }
                    // Mount from the source repository, or from one this
                    // machine saw the blob in, on the same registry.
                    let mut candidates: Vec<(String, String)> = from.iter().cloned().collect();
                    if let Some((reg, repo)) = &to {
                        for r in blob_locations::lookup(reg, &desc.digest)
                            .into_iter()
                            .take(3)
                        {
                            let c = (reg.clone(), r);
                            if &c.1 != repo && !candidates.contains(&c) {
                                candidates.push(c);
                            }
                        }
                    }
                    for f in &candidates {
                        if dst.mount(desc, f)? {
                            bar.status(&format!("Mounted from {}", f.1), false);
                            lock(&stats).mounted += 1;
                            return Ok(());
                        }
                    }
                    dst.put_blob(desc, src, bar)?;
                    lock(&stats).bytes += desc.size;
                    Ok(())
                })();
                if let Err(e) = result {
                    bar.status("Failed", false);
                    failed.store(true, Ordering::Relaxed);
                    lock(&errors).push(e);
                    return;
                }
            });
        }
    });
    let mut errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    if !errors.is_empty() {
        return Err(errors.remove(0));
    }
    Ok(stats.into_inner().unwrap_or_else(|e| e.into_inner()))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Retries for a blob transfer, and the first wait (doubling).
const BLOB_ATTEMPTS: u32 = 6;
const BLOB_BACKOFF_MS: u64 = 500;

fn is_transient(e: &anyhow::Error) -> bool {
    if e.chain().any(|c| c.is::<Mismatch>() || c.is::<LocalIo>()) {
        return false;
    }
    e.chain().any(|c| {
        c.downcast_ref::<RegistryError>()
            .is_some_and(RegistryError::is_transient)
            || c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() != std::io::ErrorKind::InvalidData)
    })
}

/// A local file error (not worth retrying over the network).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct LocalIo(String);

/// A verified-digest failure, carried through I/O layers.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct Mismatch(RegistryError);

// ---------------------------------------------------------------- registry

/// An image in a registry.
pub struct RegistryImage {
    pub client: Arc<Client<Native>>,
    pub reference: Reference,
    /// Upload chunk size; blobs up to this size go in one request.
    pub chunk_size: u64,
}

impl RegistryImage {
    fn repo(&self) -> &str {
        &self.reference.repository
    }
}

impl Source for RegistryImage {
    fn describe(&self) -> String {
        self.reference.to_string()
    }

    fn root(&self) -> anyhow::Result<RawManifest> {
        let m = block_on(
            self.client
                .manifest(self.repo(), &self.reference.identifier()),
        )?;
        Ok(RawManifest {
            bytes: m.bytes,
            media_type: m.media_type,
            digest: m.digest,
        })
    }

    fn manifest(&self, desc: &Descriptor) -> anyhow::Result<RawManifest> {
        let m = block_on(self.client.manifest(self.repo(), &desc.digest.to_string()))?;
        Ok(RawManifest {
            bytes: m.bytes,
            media_type: if desc.media_type.is_empty() {
                m.media_type
            } else {
                desc.media_type.clone()
            },
            digest: m.digest,
        })
    }

    fn open_blob(&self, desc: &Descriptor, offset: u64) -> anyhow::Result<(Stream, u64)> {
        let d = block_on(self.client.blob(self.repo(), &desc.digest, offset))?;
        Ok((d.body, d.offset))
    }

    fn registry_repo(&self) -> Option<(String, String)> {
        Some((
            self.reference.registry.clone(),
            self.reference.repository.clone(),
        ))
    }
}

/// Reads from a shared stream, `left` bytes at most: one upload chunk.
struct Chunk {
    inner: Arc<Mutex<HashingReader>>,
    left: u64,
}

impl Read for Chunk {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(self.left) as usize;
        let got = lock(&self.inner).read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// Hashes and counts what passes; at the end of the expected size checks
/// the digest and fails the read on a mismatch, so a bad blob never
/// completes an upload.
pub struct HashingReader {
    inner: Stream,
    verifier: Option<Verifier>,
    bar: Option<Bar>,
    result: Arc<Mutex<Option<RegistryError>>>,
}

impl HashingReader {
    fn new(inner: Stream, what: String, desc: &Descriptor, bar: Option<Bar>) -> HashingReader {
        HashingReader {
            inner,
            verifier: Some(Verifier::new(what, desc.digest.clone(), Some(desc.size))),
            bar,
            result: Arc::new(Mutex::new(None)),
        }
    }
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let Some(v) = self.verifier.as_mut() else {
            return Ok(n);
        };
        v.update(&buf[..n]);
        if let Some(b) = &self.bar {
            b.add(n as u64);
        }
        if n == 0 || v.overflowed() {
            if let Some(v) = self.verifier.take() {
                if let Err(e) = v.finish() {
                    let msg = e.to_string();
                    *lock(&self.result) = Some(e);
                    return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, msg));
                }
            }
        }
        Ok(n)
    }
}

impl Dest for RegistryImage {
    fn describe(&self) -> String {
        self.reference.to_string()
    }

    fn registry_repo(&self) -> Option<(String, String)> {
        Some((
            self.reference.registry.clone(),
            self.reference.repository.clone(),
        ))
    }

    fn has_blob(&self, desc: &Descriptor) -> anyhow::Result<bool> {
        Ok(block_on(self.client.blob_size(self.repo(), &desc.digest, true))?.is_some())
    }

    fn mount(&self, desc: &Descriptor, from: &(String, String)) -> anyhow::Result<bool> {
        if from.0 != self.reference.registry || from.1 == self.reference.repository {
            return Ok(false);
        }
        match block_on(
            self.client
                .start_upload(self.repo(), Some((&desc.digest, &from.1))),
        )? {
            UploadStart::Mounted => Ok(true),
            UploadStart::Session(up) => {
                // The registry would not mount; the caller uploads instead.
                block_on(self.client.cancel_upload(self.repo(), &up));
                Ok(false)
            }
        }
    }

    fn put_blob(&self, desc: &Descriptor, src: &dyn Source, bar: &Bar) -> anyhow::Result<()> {
        let what = format!("blob {} from {}", desc.digest, src.describe());
        let mut attempt = 0;
        loop {
            attempt += 1;
            bar.set(0);
            bar.status("Pushing", true);
            match self.upload_once(desc, src, bar, &what) {
                Ok(()) => {
                    bar.status("Pushed", false);
                    return Ok(());
                }
                Err(e) if attempt < BLOB_ATTEMPTS && is_transient(&e) => {
                    bar.status(
                        &format!("Retrying in {}s", (BLOB_BACKOFF_MS << (attempt - 1)) / 1000),
                        false,
                    );
                    std::thread::sleep(Duration::from_millis(BLOB_BACKOFF_MS << (attempt - 1)));
                }
                Err(e) if is_transient(&e) => {
                    return Err(e.context(format!(
                        "pushing blob {} failed {attempt} times; nothing was tagged: run the push again once the registry is back (blobs already there are skipped)",
                        desc.digest
                    )))
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn put_child_manifest(&self, m: &RawManifest) -> anyhow::Result<()> {
        block_on(self.client.put_manifest(
            self.repo(),
            &m.digest.to_string(),
            &m.bytes,
            &m.media_type,
        ))?;
        Ok(())
    }

    fn put_manifest(&self, m: &RawManifest, tags: &[Reference]) -> anyhow::Result<()> {
        let mut refs: Vec<String> = tags.iter().filter_map(|t| t.tag.clone()).collect();
        if refs.is_empty() {
            refs.push(m.digest.to_string());
        }
        for r in refs {
            block_on(
                self.client
                    .put_manifest(self.repo(), &r, &m.bytes, &m.media_type),
            )?;
        }
        Ok(())
    }
}

impl RegistryImage {
    fn upload_once(
        &self,
        desc: &Descriptor,
        src: &dyn Source,
        bar: &Bar,
        what: &str,
    ) -> anyhow::Result<()> {
        let repo = self.repo();
        let UploadStart::Session(mut up) = block_on(self.client.start_upload(repo, None))? else {
            return Ok(());
        };
        let (stream, _) = src.open_blob(desc, 0)?;
        let reader = HashingReader::new(stream, what.to_string(), desc, Some(bar.clone()));
        let verdict = reader.result.clone();
        let mismatch = |e: anyhow::Error| -> anyhow::Error {
            match lock(&verdict).take() {
                Some(m) => anyhow::Error::new(Mismatch(m)),
                None => e,
            }
        };
        let result = if desc.size <= self.chunk_size {
            block_on(self.client.finish_upload(
                repo,
                up.clone(),
                &desc.digest,
                Some((Box::new(reader), desc.size)),
            ))
            .map_err(anyhow::Error::from)
        } else {
            let shared = Arc::new(Mutex::new(reader));
            let mut r = Ok(());
            while up.offset < desc.size {
                let len = self.chunk_size.min(desc.size - up.offset);
                let chunk = Chunk {
                    inner: shared.clone(),
                    left: len,
                };
                if let Err(e) =
                    block_on(
                        self.client
                            .upload_chunk(repo, &mut up, Box::new(chunk), len),
                    )
                {
                    r = Err(anyhow::Error::from(e));
                    break;
                }
            }
            if r.is_ok() {
                // Drain to the end so the verifier sees EOF.
                let mut rest = Vec::new();
                let _ = lock(&shared).read_to_end(&mut rest);
                if let Some(m) = lock(&verdict).take() {
                    r = Err(anyhow::Error::new(Mismatch(m)));
                } else if !rest.is_empty() {
                    r = Err(anyhow!(
                        "{what}: the source sent more bytes than the descriptor's size"
                    ));
                }
            }
            r.and_then(|()| {
                block_on(
                    self.client
                        .finish_upload(repo, up.clone(), &desc.digest, None),
                )
                .map_err(Into::into)
            })
        };
        if let Err(e) = result {
            let e = mismatch(e);
            block_on(self.client.cancel_upload(repo, &up));
            return Err(e);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- layout

/// An OCI image layout directory (`oci:DIR[:NAME]`), also the shape of the
/// local store:
///
/// ```text
/// DIR/oci-layout          {"imageLayoutVersion":"1.0.0"}
/// DIR/index.json          manifests, named by org.opencontainers.image.ref.name
/// DIR/blobs/sha256/<hex>  verified blobs only
/// DIR/ingest/             downloads in progress (resumed from here)
/// ```
pub struct Layout {
    pub dir: PathBuf,
    /// The `ref.name` to read or write (`None`: the only image / untagged).
    pub name: Option<String>,
    /// The index entry to read, when already resolved (store images).
    pub entry: Option<Descriptor>,
    /// The local store this layout is, held with its shared lock: names are
    /// then added through the store (full references, index lock).
    pub store: Option<(Store, StoreLock)>,
}

impl Layout {
    /// An OCI layout directory, reading or writing the image `name`.
    pub fn dir(dir: PathBuf, name: Option<String>) -> Layout {
        Layout {
            dir,
            name,
            entry: None,
            store: None,
        }
    }

    /// The local store, locked shared for adding blobs and names.
    pub fn store(store: Store) -> anyhow::Result<Layout> {
        let lock = store.lock_shared()?;
        Ok(Layout {
            dir: store.root.clone(),
            name: None,
            entry: None,
            store: Some((store, lock)),
        })
    }
}

impl Layout {
    fn blob_path(&self, d: &Digest) -> PathBuf {
        self.dir
            .join("blobs")
            .join(d.algorithm().as_str())
            .join(d.hex())
    }

    fn index(&self) -> anyhow::Result<ImageIndex> {
        let p = self.dir.join("index.json");
        match fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b)
                .with_context(|| format!("{} is not an OCI index", p.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(ImageIndex::new(Vec::new(), false))
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
        }
    }

    fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let tmp = dir.join(format!(
            ".{}.{}-{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let mut f = File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
        Ok(())
    }

    fn ensure(&self) -> anyhow::Result<()> {
        let marker = self.dir.join("oci-layout");
        if !marker.exists() {
            Layout::write_atomic(&marker, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        Ok(())
    }

    fn put_bytes(&self, d: &Digest, bytes: &[u8]) -> anyhow::Result<()> {
        let p = self.blob_path(d);
        if !p.exists() {
            Layout::write_atomic(&p, bytes)?;
        }
        Ok(())
    }

    fn read_manifest(&self, d: &Descriptor) -> anyhow::Result<RawManifest> {
        let p = self.blob_path(&d.digest);
        let bytes = fs::read(&p)
            .with_context(|| format!("reading manifest {} in {}", d.digest, self.dir.display()))?;
        let mut v = Verifier::new(
            format!("{} in {}", d.digest, self.dir.display()),
            d.digest.clone(),
            None,
        );
        v.update(&bytes);
        v.finish()?;
        Ok(RawManifest {
            bytes,
            media_type: d.media_type.clone(),
            digest: d.digest.clone(),
        })
    }
}

impl Source for Layout {
    fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("oci:{}:{n}", self.dir.display()),
            None => format!("oci:{}", self.dir.display()),
        }
    }

    fn root(&self) -> anyhow::Result<RawManifest> {
        if let Some(e) = &self.entry {
            return self.read_manifest(e);
        }
        let index = self.index()?;
        let pick: Vec<&Descriptor> = match &self.name {
            Some(n) => index
                .manifests
                .iter()
                .filter(|d| {
                    d.ref_name() == Some(n.as_str())
                        || d.annotations
                            .get(layerkit::oci::ANNOTATION_IMAGE_NAME)
                            .map(String::as_str)
                            == Some(n.as_str())
                })
                .collect(),
            None => index.manifests.iter().collect(),
        };
        match pick.as_slice() {
            [one] => self.read_manifest(one),
            [] => bail!(
                "{}: no image{} in its index.json",
                Source::describe(self),
                self.name
                    .as_ref()
                    .map(|n| format!(" named {n:?}"))
                    .unwrap_or_default()
            ),
            many => bail!(
                "{}: {} images in index.json; name one as oci:DIR:NAME (names: {})",
                Source::describe(self),
                many.len(),
                many.iter()
                    .filter_map(|d| d.ref_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn manifest(&self, desc: &Descriptor) -> anyhow::Result<RawManifest> {
        self.read_manifest(desc)
    }

    fn open_blob(&self, desc: &Descriptor, offset: u64) -> anyhow::Result<(Stream, u64)> {
        let p = self.blob_path(&desc.digest);
        let mut f = File::open(&p).with_context(|| {
            format!(
                "{}: blob {} is missing",
                Source::describe(self),
                desc.digest
            )
        })?;
        f.seek(SeekFrom::Start(offset))?;
        Ok((
            Box::new(std::io::BufReader::with_capacity(1 << 20, f)),
            offset,
        ))
    }
}

impl Dest for Layout {
    fn describe(&self) -> String {
        Source::describe(self)
    }

    fn has_blob(&self, desc: &Descriptor) -> anyhow::Result<bool> {
        Ok(self
            .blob_path(&desc.digest)
            .metadata()
            .is_ok_and(|m| m.len() == desc.size))
    }

    fn put_blob(&self, desc: &Descriptor, src: &dyn Source, bar: &Bar) -> anyhow::Result<()> {
        self.ensure()?;
        let ingest = self.dir.join("ingest");
        fs::create_dir_all(&ingest).with_context(|| format!("creating {}", ingest.display()))?;
        let partial = ingest.join(format!(
            "{}-{}.partial",
            desc.digest.algorithm().as_str(),
            desc.digest.hex()
        ));
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.download_once(desc, src, bar, &partial) {
                Ok(()) => return Ok(()),
                Err(e) if attempt < BLOB_ATTEMPTS && is_transient(&e) => {
                    let wait = BLOB_BACKOFF_MS << (attempt - 1);
                    bar.status(&format!("Retrying in {}s", wait.div_ceil(1000)), false);
                    std::thread::sleep(Duration::from_millis(wait));
                }
                Err(e) if is_transient(&e) => {
                    return Err(e.context(format!(
                        "downloading blob {} failed {attempt} times; the part downloaded is kept and the next pull resumes from it",
                        desc.digest
                    )))
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn put_child_manifest(&self, m: &RawManifest) -> anyhow::Result<()> {
        if let Some((store, _)) = &self.store {
            store.put_bytes(&m.bytes)?;
            return Ok(());
        }
        self.ensure()?;
        self.put_bytes(&m.digest, &m.bytes)
    }

    fn put_manifest(&self, m: &RawManifest, tags: &[Reference]) -> anyhow::Result<()> {
        if let Some((store, _)) = &self.store {
            store.put_bytes(&m.bytes)?;
            return store.add_image(&m.descriptor(), tags);
        }
        self.ensure()?;
        self.put_bytes(&m.digest, &m.bytes)?;
        let mut index = self.index()?;
        match &self.name {
            Some(name) => {
                index
                    .manifests
                    .retain(|d| d.ref_name() != Some(name.as_str()));
                let mut d = m.descriptor();
                d.annotations
                    .insert(layerkit::oci::ANNOTATION_REF_NAME.into(), name.clone());
                index.manifests.push(d);
            }
            None if index.manifests.iter().any(|d| d.digest == m.digest) => return Ok(()),
            None => index.manifests.push(m.descriptor()),
        }
        index.media_type = Some(mt::OCI_INDEX.into());
        let mut bytes = serde_json::to_vec_pretty(&index)?;
        bytes.push(b'\n');
        Layout::write_atomic(&self.dir.join("index.json"), &bytes)
    }
}

impl Layout {
    fn download_once(
        &self,
        desc: &Descriptor,
        src: &dyn Source,
        bar: &Bar,
        partial: &Path,
    ) -> anyhow::Result<()> {
        let local = |e: std::io::Error, what: &str| {
            anyhow::Error::new(LocalIo(format!("{what} {}: {e}", partial.display())))
        };
        let mut have = partial.metadata().map(|m| m.len()).unwrap_or(0);
        if have > desc.size {
            fs::remove_file(partial).map_err(|e| local(e, "removing"))?;
            have = 0;
        }
        let (mut stream, start) = src.open_blob(desc, have)?;
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(partial)
            .map_err(|e| local(e, "opening"))?;
        let mut verifier = Verifier::new(
            format!("blob {} from {}", desc.digest, src.describe()),
            desc.digest.clone(),
            Some(desc.size),
        );
        if start == 0 {
            file.set_len(0).map_err(|e| local(e, "truncating"))?;
        } else {
            // Resuming: hash what is already on disk.
            bar.status("Resuming", false);
            let mut f = File::open(partial).map_err(|e| local(e, "reading"))?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf).map_err(|e| local(e, "reading"))?;
                if n == 0 {
                    break;
                }
                verifier.update(&buf[..n]);
            }
        }
        bar.set(start);
        bar.status(
            if start > 0 {
                "Downloading (resumed)"
            } else {
                "Downloading"
            },
            true,
        );
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match stream.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = file.flush();
                    return Err(anyhow::Error::new(e).context(format!(
                        "downloading blob {} from {}",
                        desc.digest,
                        src.describe()
                    )));
                }
            };
            if n == 0 {
                break;
            }
            verifier.update(&buf[..n]);
            if verifier.overflowed() {
                break;
            }
            file.write_all(&buf[..n]).map_err(|e| local(e, "writing"))?;
            bar.add(n as u64);
        }
        if verifier.count() < desc.size && !verifier.overflowed() {
            return Err(anyhow::Error::new(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "the registry closed the download of {} at {} of {} bytes",
                    desc.digest,
                    verifier.count(),
                    desc.size
                ),
            )));
        }
        bar.status("Verifying Checksum", false);
        if let Err(e) = verifier.finish() {
            let _ = fs::remove_file(partial);
            return Err(anyhow::Error::new(Mismatch(e)));
        }
        file.sync_all().map_err(|e| local(e, "syncing"))?;
        drop(file);
        let dest = self.blob_path(&desc.digest);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).map_err(|e| local(e, "creating blobs/ for"))?;
        }
        fs::rename(partial, &dest).map_err(|e| local(e, "moving"))?;
        bar.status("Download complete", false);
        Ok(())
    }
}
