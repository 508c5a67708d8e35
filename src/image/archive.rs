//! Image archives read in one forward pass, and OCI layout directories.
//!
//! docker-archive, as `docker save` ≤ 24 writes it:
//! ```text
//! <layer-id>/VERSION        "1.0"
//! <layer-id>/json           legacy v1 metadata (ignored)
//! <layer-id>/layer.tar      the layer, uncompressed — or a symlink to ../<other-id>/layer.tar
//! <config-hex>.json         the image config; sha256 of it is the image id
//! manifest.json             [{"Config": "<config-hex>.json", "RepoTags": ["name:tag"],
//!                             "Layers": ["<layer-id>/layer.tar", …], "Parent": "sha256:…"}]
//! repositories              {"name": {"tag": "<layer-id>"}} (legacy, ignored)
//! ```
//! Docker ≥ 25 writes an OCI layout with a `manifest.json` beside it whose
//! paths point into `blobs/sha256/`; kaniko and go-containerregistry write
//! `<digest>.tar.gz` layers and configs named `sha256:<hex>`.
//!
//! OCI image layout (a directory) and oci-archive (the same, tarred):
//! ```text
//! oci-layout                {"imageLayoutVersion": "1.0.0"}
//! index.json                image index: manifests[] (tags in annotations)
//! blobs/sha256/<hex>        manifests, indexes, configs and layers, named by digest
//! ```
//! Spec: <https://github.com/opencontainers/image-spec/blob/main/image-layout.md>.
//!
//! Members may come in any order (`manifest.json` is often last), so each
//! member is scanned as it passes ([`super::layer`]) and kept as metadata;
//! [`Archive::image`] assembles images once everything has been seen.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};

use super::decode::{Decoder, SNIFF};
use super::layer::{Blob, BlobContent, BlobScan, Capture, HostWork};
use super::tar::{Header, PushError, TarReader, TarSink};
use super::{normalize_path, EntryKind, ImageError, Limits};
use crate::oci::{Compression, Hasher, Manifest, MaybeSend, Platform};

/// How far reading has got, for progress bars.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Input bytes consumed (as stored: compressed if the archive is).
    pub bytes: u64,
    /// Archive members seen.
    pub members: u64,
    /// Layers scanned so far.
    pub layers: u64,
    /// The member being read.
    pub current: String,
}

/// Everything one pass learned: each member's digest, size and content
/// summary. Images are assembled from it with [`Archive::image`].
#[derive(Debug, Clone)]
pub struct Archive {
    /// What was read, for messages (a file name, `<stdin>`).
    pub name: String,
    /// Whether the archive as a whole was compressed.
    pub compression: Compression,
    /// True for an OCI layout directory.
    pub directory: bool,
    pub blobs: BTreeMap<String, Blob>,
}

impl Archive {
    /// The member at `path`, following archive symlinks.
    pub fn blob(&self, path: &str) -> Option<&Blob> {
        let mut path = normalize_path(path)?;
        for _ in 0..16 {
            let b = self.blobs.get(&path)?;
            match &b.content {
                BlobContent::Link(target) => path = target.clone(),
                _ => return Some(b),
            }
        }
        None
    }
}

/// Makes the sha256 hashers that blobs and layers are hashed with, for a
/// host that has a faster sha256 than the built-in code (see
/// [`crate::oci::ExternalSha256`]). Any `Fn() -> Hasher` is one.
pub trait HasherSource: MaybeSend {
    fn sha256(&self) -> Hasher;
}

impl<F: Fn() -> Hasher + MaybeSend> HasherSource for F {
    fn sha256(&self) -> Hasher {
        self()
    }
}

/// Collects archive members as they stream past. [`Reader`] drives it from
/// a tar; a host walking a directory can drive it directly, one member at
/// a time.
pub struct Collector {
    name: String,
    limits: Limits,
    blobs: BTreeMap<String, Blob>,
    current: Option<BlobScan>,
    capture: Option<Box<dyn Capture>>,
    progress: Progress,
    parallel: Option<u64>,
    hashers: Option<Box<dyn HasherSource>>,
    /// Stored bytes from which a gzip layer is inflated by the host.
    host: Option<u64>,
    /// Whether the current push can stop after a host layer (set by
    /// [`Reader::push_some`]).
    pausable: bool,
    /// A host layer whose stored bytes are complete, waiting for the rest
    /// of its inflated bytes and [`Collector::host_end`].
    pending: Option<BlobScan>,
}

/// The size from which [`Reader::set_host_inflate`] hands gzip layers to
/// the host: below it, the round trip costs more than it saves.
pub const HOST_INFLATE_THRESHOLD: u64 = 1 << 20;

/// Stored bytes of a layer after which, natively, it is read on two
/// threads: below this, starting a thread costs more than it saves.
#[cfg(not(target_arch = "wasm32"))]
pub const PARALLEL_THRESHOLD: u64 = 1 << 20;

impl Collector {
    pub fn new(name: &str, limits: Limits) -> Collector {
        Collector {
            name: name.to_string(),
            limits,
            blobs: BTreeMap::new(),
            current: None,
            capture: None,
            progress: Progress::default(),
            #[cfg(not(target_arch = "wasm32"))]
            parallel: Some(PARALLEL_THRESHOLD),
            #[cfg(target_arch = "wasm32")]
            parallel: None,
            hashers: None,
            host: None,
            pausable: false,
            pending: None,
        }
    }

    /// gzip layers of at least `threshold` stored bytes are inflated by the
    /// host (see [`Reader::set_host_inflate`]); `None`: all here.
    pub fn set_host_inflate(&mut self, threshold: Option<u64>) {
        self.host = threshold;
    }

    /// What the host is to inflate after a push.
    pub fn host_work(&mut self) -> Option<HostWork> {
        match &mut self.pending {
            Some(scan) => scan.take_handed(true),
            None => self.current.as_mut()?.take_handed(false),
        }
    }

    /// The next inflated bytes of the host's layer.
    pub fn host_data(&mut self, data: &[u8]) -> Result<(), ImageError> {
        match self.pending.as_mut().or(self.current.as_mut()) {
            Some(scan) if scan.is_host() => scan.host_data(data),
            _ => Err(ImageError::Host(format!(
                "{}: inflated bytes arrived while no layer is being inflated by the host",
                self.name
            ))),
        }
    }

    /// The host finished inflating the layer whose stored bytes ended
    /// (`failure`: why it could not, in its words). Reading goes on.
    pub fn host_end(&mut self, failure: Option<String>) -> Result<(), ImageError> {
        let Some(mut scan) = self.pending.take() else {
            return Err(ImageError::Host(format!(
                "{}: a layer was ended before its stored bytes were all pushed",
                self.name
            )));
        };
        if let Some(f) = failure {
            scan.host_failed(f);
        }
        self.complete(scan)
    }

    /// Hashes blobs and layers with hashers from `source` rather than the
    /// built-in sha256.
    pub fn set_hashers(&mut self, source: Box<dyn HasherSource>) {
        self.hashers = Some(source);
    }

    fn hasher(&self) -> Hasher {
        match &self.hashers {
            Some(s) => s.sha256(),
            None => Hasher::sha256(),
        }
    }

    /// Natively, a compressed layer is read on two threads once
    /// `threshold` of its stored bytes have passed (default
    /// [`PARALLEL_THRESHOLD`]): this thread decompresses, a second one
    /// hashes and lists. (An uncompressed layer is hashed once and listed
    /// on this thread: there is nothing to split off.) `None` keeps
    /// everything on the calling thread. The results are the same.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_parallel(&mut self, threshold: Option<u64>) {
        self.parallel = threshold;
    }

    /// Hands file contents of layers to `capture` as they pass.
    pub fn set_capture(&mut self, capture: Box<dyn Capture>) {
        self.capture = Some(capture);
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// A regular member begins; `size` is its declared size.
    pub fn begin(&mut self, path: &str, size: u64) -> Result<(), ImageError> {
        let path = member_path(&self.name, path)?;
        if self.pending.is_some() {
            return Err(ImageError::Host(format!(
                "{}: {path} began while a layer still waits for the host to inflate it",
                self.name
            )));
        }
        if let Some(prev) = self.current.take() {
            // A caller that forgot `end`: finish the previous member.
            self.current = Some(prev);
            self.end()?;
        }
        self.progress.members += 1;
        self.progress.current.clone_from(&path);
        let hashers = self
            .hashers
            .is_some()
            .then(|| (self.hasher(), self.hasher()));
        let mut scan = BlobScan::new(
            path,
            size,
            self.limits,
            self.parallel,
            self.capture.take(),
            hashers,
        );
        if self.pausable && self.host.is_some_and(|t| size >= t) {
            scan.allow_host();
        }
        self.current = Some(scan);
        Ok(())
    }

    /// The next bytes of the current member.
    pub fn data(&mut self, data: &[u8]) -> Result<(), ImageError> {
        match &mut self.current {
            Some(scan) => scan.push(data),
            None => Ok(()),
        }
    }

    /// The current member is complete.
    pub fn end(&mut self) -> Result<(), ImageError> {
        match self.current.take() {
            // The host still inflates it: it ends with `host_end`.
            Some(scan) if scan.is_host() => {
                self.pending = Some(scan);
                Ok(())
            }
            Some(scan) => self.complete(scan),
            None => Ok(()),
        }
    }

    fn complete(&mut self, scan: BlobScan) -> Result<(), ImageError> {
        let (blob, capture) = scan.finish()?;
        if capture.is_some() {
            self.capture = capture;
        }
        if matches!(blob.content, BlobContent::Layer(_)) {
            self.progress.layers += 1;
        }
        self.blobs.insert(blob.path.clone(), blob);
        Ok(())
    }

    /// A symlink or hard link member: `target` as written in the header.
    pub fn link(&mut self, path: &str, target: &str, symlink: bool) -> Result<(), ImageError> {
        let path = member_path(&self.name, path)?;
        let resolved = if symlink {
            let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            resolve_relative(dir, target)
        } else {
            normalize_path(target)
        };
        let Some(resolved) = resolved else {
            return Err(ImageError::UnsafePath {
                what: self.name.clone(),
                path: format!("{path} -> {target}"),
            });
        };
        self.blobs.insert(
            path.clone(),
            Blob {
                path,
                digest: crate::oci::Digest::sha256(b""),
                size: 0,
                content: BlobContent::Link(resolved),
            },
        );
        Ok(())
    }

    /// Everything was seen.
    pub fn finish(mut self, compression: Compression) -> Result<Archive, ImageError> {
        self.end()?;
        if let Some(scan) = &self.pending {
            return Err(ImageError::Host(format!(
                "{}: the input ended while the host still inflated {}: end the layer first",
                self.name,
                scan.path()
            )));
        }
        Ok(Archive {
            name: self.name,
            compression,
            directory: false,
            blobs: self.blobs,
        })
    }

    /// Takes the capture back (after finish, through [`Reader`]).
    pub fn take_capture(&mut self) -> Option<Box<dyn Capture>> {
        self.capture.take()
    }
}

fn member_path(archive: &str, path: &str) -> Result<String, ImageError> {
    normalize_path(path).ok_or_else(|| ImageError::UnsafePath {
        what: archive.to_string(),
        path: path.to_string(),
    })
}

/// `dir/target` with `..` resolved, staying inside the archive.
fn resolve_relative(dir: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

impl TarSink for Collector {
    type Error = ImageError;

    fn entry(&mut self, h: &Header) -> Result<(), ImageError> {
        match h.kind {
            EntryKind::File => self.begin(&h.name, h.size),
            EntryKind::Symlink | EntryKind::Hardlink => {
                let target = h.link.clone().unwrap_or_default();
                self.link(&h.name, &target, h.kind == EntryKind::Symlink)
            }
            _ => Ok(()),
        }
    }

    fn data(&mut self, data: &[u8]) -> Result<(), ImageError> {
        Collector::data(self, data)
    }

    fn end(&mut self) -> Result<(), ImageError> {
        Collector::end(self)
    }

    fn pause(&self) -> bool {
        self.pending.is_some()
    }
}

/// A failure of the outer tar of archive `name`, or of what its members
/// went to.
fn outer_error(name: &str, e: PushError<ImageError>) -> ImageError {
    match e {
        PushError::Tar(t) => ImageError::Tar {
            what: name.to_string(),
            offset: t.offset,
            reason: t.reason,
        },
        PushError::Sink(e) => e,
    }
}

/// The outer tar behind the (optional) whole-archive decompressor.
struct Outer {
    tar: TarReader,
    collector: Collector,
    error: Option<ImageError>,
}

impl Write for Outer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Err(io::Error::other("stopped"));
        }
        match self.tar.push(buf, &mut self.collector) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                self.error = Some(outer_error(&self.collector.name, e));
                Err(io::Error::other("stopped"))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads an archive pushed chunk by chunk: a docker-archive (any Docker
/// version), an oci-archive, either of them gzip'd or zstd'd as a whole.
///
/// ```
/// # use layerkit::image::{Reader, Limits};
/// let mut r = Reader::new("image.tar", Limits::default());
/// // for chunk in stream { r.push(&chunk)?; show(r.progress()); }
/// # let _ = r;
/// ```
pub struct Reader {
    dec: Decoder<Outer>,
    bytes: u64,
    name: String,
}

impl Reader {
    /// `name` names the input in messages.
    pub fn new(name: &str, limits: Limits) -> Reader {
        Reader {
            dec: Decoder::new(Outer {
                tar: TarReader::new(),
                collector: Collector::new(name, limits),
                error: None,
            }),
            bytes: 0,
            name: name.to_string(),
        }
    }

    /// Hands file contents of layers to `capture` as they pass.
    pub fn set_capture(&mut self, capture: Box<dyn Capture>) {
        if let Some(o) = self.dec.get_mut() {
            o.collector.set_capture(capture);
        }
    }

    /// See [`Collector::set_hashers`].
    pub fn set_hashers(&mut self, source: Box<dyn HasherSource>) {
        if let Some(o) = self.dec.get_mut() {
            o.collector.set_hashers(source);
        }
    }

    /// See [`Collector::set_parallel`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_parallel(&mut self, threshold: Option<u64>) {
        if let Some(o) = self.dec.get_mut() {
            o.collector.set_parallel(threshold);
        }
    }

    /// gzip layers of at least `threshold` stored bytes (`Some(`[`HOST_INFLATE_THRESHOLD`]`)`
    /// is a good choice) are inflated by the host rather than here — a
    /// host with a faster inflater, or one that runs it on another thread
    /// (Node's zlib), reads faster so. The archive must then be pushed
    /// with [`Reader::push_some`], and after each push:
    /// [`Reader::host_work`] says which bytes to inflate; the host hands
    /// the inflated bytes to [`Reader::host_data`] and, when the work says
    /// the layer `ended`, calls [`Reader::host_end`] once its inflater is
    /// done, then pushes on from where `push_some` stopped. The host's
    /// inflater checks the gzip framing and trailers; everything else
    /// (both digests, the listing, the bomb limit) stays here. Archives
    /// compressed as a whole are inflated here throughout.
    pub fn set_host_inflate(&mut self, threshold: Option<u64>) {
        if let Some(o) = self.dec.get_mut() {
            o.collector.set_host_inflate(threshold);
        }
    }

    /// Feeds the next bytes; returns how many were consumed: all of them,
    /// unless a layer the host inflates ended (see
    /// [`Reader::set_host_inflate`]), which stops the push after it.
    pub fn push_some(&mut self, chunk: &[u8]) -> Result<usize, ImageError> {
        let host = self
            .dec
            .get_ref()
            .is_some_and(|o| o.collector.host.is_some());
        if host && self.dec.compression().is_none() {
            // The first bytes tell whether the archive is compressed: they
            // go alone, so that the rest can stop after a host layer.
            let first = &chunk[..chunk.len().min(SNIFF)];
            self.push(first)?;
            return Ok(first.len());
        }
        let plain = self.dec.compression() == Some(Compression::None);
        let Some(o) = self
            .dec
            .get_mut()
            .filter(|o| plain && o.collector.host.is_some())
        else {
            self.push(chunk)?;
            return Ok(chunk.len());
        };
        if let Some(e) = o.error.take() {
            return Err(e);
        }
        if let Some(scan) = &o.collector.pending {
            return Err(ImageError::Host(format!(
                "{}: pushed on while {} waits for the host to end it",
                self.name,
                scan.path()
            )));
        }
        o.collector.pausable = true;
        let r = o.tar.push_some(chunk, &mut o.collector);
        o.collector.pausable = false;
        let n = r.map_err(|e| outer_error(&self.name, e))?;
        self.bytes += n as u64;
        Ok(n)
    }

    /// See [`Reader::set_host_inflate`].
    pub fn host_work(&mut self) -> Option<HostWork> {
        self.dec.get_mut()?.collector.host_work()
    }

    /// See [`Reader::set_host_inflate`].
    pub fn host_data(&mut self, data: &[u8]) -> Result<(), ImageError> {
        match self.dec.get_mut() {
            Some(o) => o.collector.host_data(data),
            None => Ok(()),
        }
    }

    /// See [`Reader::set_host_inflate`]; `failure` is why the host's
    /// inflater failed, if it did (the layer is then reported corrupt).
    pub fn host_end(&mut self, failure: Option<String>) -> Result<(), ImageError> {
        match self.dec.get_mut() {
            Some(o) => o.collector.host_end(failure),
            None => Ok(()),
        }
    }

    pub fn progress(&self) -> Progress {
        let mut p = self
            .dec
            .get_ref()
            .map(|o| o.collector.progress.clone())
            .unwrap_or_default();
        p.bytes = self.bytes;
        p
    }

    fn failed(&mut self, e: io::Error) -> ImageError {
        if let Some(err) = self.dec.get_mut().and_then(|o| o.error.take()) {
            return err;
        }
        ImageError::Decompress {
            what: self.name.clone(),
            reason: format!("the archive's compressed data is corrupt: {e}"),
        }
    }

    /// Feeds the next bytes.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ImageError> {
        self.bytes += chunk.len() as u64;
        self.dec.push(chunk).map_err(|e| self.failed(e))
    }

    /// The input ended: checks it was complete and returns what was read,
    /// with the capture handed in (if any).
    pub fn finish(self) -> Result<(Archive, Option<Box<dyn Capture>>), ImageError> {
        let compression = self.dec.compression().unwrap_or(Compression::None);
        let name = self.name;
        let (outer, r) = self.dec.finish();
        let Some(mut outer) = outer else {
            return Err(ImageError::NoImage(format!("{name}: nothing was read")));
        };
        if let Some(e) = outer.error.take() {
            return Err(e);
        }
        if let Err(e) = r {
            return Err(ImageError::Decompress {
                what: name,
                reason: format!("the archive's compressed data is truncated or corrupt: {e}"),
            });
        }
        if let Err(PushError::Tar(t)) = outer.tar.finish::<()>() {
            let inside = match &outer.collector.current {
                Some(_) => format!(" inside {}", outer.collector.progress.current),
                None => String::new(),
            };
            return Err(ImageError::Tar {
                what: name,
                offset: t.offset,
                reason: format!("{}{inside}", t.reason),
            });
        }
        if outer.tar.entries() == 0 {
            return Err(ImageError::NoImage(format!(
                "{name} is empty: it holds no archive members"
            )));
        }
        let mut collector = outer.collector;
        let capture = collector.take_capture();
        let archive = collector.finish(compression)?;
        Ok((archive, capture))
    }
}

/// Reads a whole archive from `r` (any chunking; short reads are fine).
pub fn read<R: Read>(mut r: R, name: &str, limits: Limits) -> Result<Archive, ImageError> {
    let mut reader = Reader::new(name, limits);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(ImageError::Io {
                    what: name.to_string(),
                    reason: e.to_string(),
                })
            }
        };
        reader.push(&buf[..n])?;
    }
    Ok(reader.finish()?.0)
}

/// Files of an OCI layout directory, by path relative to its root
/// (`index.json`, `blobs/sha256/<hex>`). The host does the I/O.
pub trait BlobSource {
    /// Opens a file; `Ok(None)` when it does not exist.
    fn open(&mut self, path: &str) -> Result<Option<Box<dyn Read + '_>>, String>;
}

/// Reads an OCI layout through `source`: `index.json`, then every manifest,
/// config and layer it references (recursively through nested indexes),
/// each blob scanned and hashed as it is read. Manifests for platforms
/// other than `platform` (when given) are skipped with their layers.
pub fn read_layout(
    source: &mut dyn BlobSource,
    name: &str,
    limits: Limits,
    platform: Option<&Platform>,
    capture: Option<Box<dyn Capture>>,
) -> Result<(Archive, Option<Box<dyn Capture>>), ImageError> {
    let mut c = Collector::new(name, limits);
    if let Some(cap) = capture {
        c.set_capture(cap);
    }
    read_layout_with(c, source, platform)
}

/// [`read_layout`] into a collector the caller set up (its name, limits,
/// capture and hashers).
pub fn read_layout_with(
    mut c: Collector,
    source: &mut dyn BlobSource,
    platform: Option<&Platform>,
) -> Result<(Archive, Option<Box<dyn Capture>>), ImageError> {
    let name = c.name.clone();
    let name = name.as_str();
    let io_err = |what: &str, reason: String| ImageError::Io {
        what: format!("{name}/{what}"),
        reason,
    };
    let mut feed = |c: &mut Collector, path: &str| -> Result<bool, ImageError> {
        let Some(mut r) = source.open(path).map_err(|e| io_err(path, e))? else {
            return Ok(false);
        };
        c.begin(path, 0)?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => c.data(&buf[..n])?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(path, e.to_string())),
            }
        }
        c.end()?;
        Ok(true)
    };
    feed(&mut c, "oci-layout")?;
    if !feed(&mut c, "index.json")? {
        return Err(ImageError::NoImage(format!(
            "{name} is not an OCI image layout: it has no index.json"
        )));
    }
    let mut seen = BTreeSet::new();
    let mut queue = vec!["index.json".to_string()];
    while let Some(path) = queue.pop() {
        let Some(blob) = c.blobs.get(&path) else {
            continue;
        };
        let BlobContent::Json(bytes) = &blob.content else {
            continue;
        };
        let Ok(m) = Manifest::parse(bytes, None, &path) else {
            continue; // assembly reports it
        };
        let mut next = Vec::new();
        match m {
            Manifest::Index(i) => {
                for d in &i.manifests {
                    if let (Some(want), Some(p)) = (platform, &d.platform) {
                        if !p.matches(want) {
                            continue;
                        }
                    }
                    next.push((blob_path(&d.digest), true));
                }
            }
            Manifest::Image(m) => {
                next.push((blob_path(&m.config.digest), false));
                for l in &m.layers {
                    next.push((blob_path(&l.digest), false));
                }
            }
        }
        for (p, is_manifest) in next {
            if seen.insert(p.clone()) && feed(&mut c, &p)? && is_manifest {
                queue.push(p);
            }
        }
    }
    let capture = c.take_capture();
    let mut archive = c.finish(Compression::None)?;
    archive.directory = true;
    Ok((archive, capture))
}

/// Where a blob lives in an OCI layout.
pub(crate) fn blob_path(d: &crate::oci::Digest) -> String {
    format!("blobs/{}/{}", d.algorithm().as_str(), d.hex())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_docker_layer_symlinks() {
        assert_eq!(
            resolve_relative("b159", "../6e77/layer.tar").as_deref(),
            Some("6e77/layer.tar")
        );
        assert_eq!(resolve_relative("a", "../../x"), None);
    }
}
