//! One blob of an archive as it streams past: hashed as stored, then — if it
//! is a layer — decompressed, hashed again and its tar listed. Small JSON
//! documents are kept whole; layer bytes never are.
//!
//! What a blob is gets decided from its first bytes, not its name:
//! gzip/zstd magic or a valid tar header make a layer, `{`/`[` a JSON
//! document (manifest, index, config), anything else is only hashed.

use std::io::{self, Write};
use std::sync::Arc;

use super::decode::{Decode, MemberCheck, Output, Trailer};
use super::tar::{Header, PushError, TarReader, TarSink};
use super::{normalize_path, Entry, ImageError, Limits};
use crate::oci::{Compression, Digest, Hasher};

/// Receives the content of chosen files while layers stream past (for
/// `cat`/`extract`). A host keeps what it wants (a temp file, a buffer) and
/// decides after the picture is assembled which copy wins.
pub trait Capture: Send {
    /// A file of the layer stored at `blob` (its path in the archive)
    /// passes: return true to receive its data.
    fn wants(&mut self, blob: &str, entry: &Entry) -> bool;
    fn data(&mut self, data: &[u8]) -> Result<(), String>;
    fn end(&mut self) -> Result<(), String>;
}

/// What an archive member turned out to be.
#[derive(Debug, Clone)]
pub enum BlobContent {
    /// A JSON document, kept whole.
    Json(Arc<Vec<u8>>),
    /// A filesystem layer.
    Layer(Arc<LayerInfo>),
    /// Neither (or empty): only its digest is known.
    Other,
    /// A symlink or hard link to another member (Docker's `layer.tar ->
    /// ../<id>/layer.tar`).
    Link(String),
}

/// A member of the archive (or a blob of a layout).
#[derive(Debug, Clone)]
pub struct Blob {
    /// Where it is in the archive.
    pub path: String,
    /// sha256 of the bytes as stored.
    pub digest: Digest,
    /// Bytes as stored.
    pub size: u64,
    pub content: BlobContent,
}

/// A layer's metadata: everything kept of it.
#[derive(Debug, Clone)]
pub struct LayerInfo {
    pub compression: Compression,
    /// sha256 of the uncompressed tar (`rootfs.diff_ids`).
    pub diff_id: Digest,
    pub uncompressed_size: u64,
    /// Entries in tar order.
    pub files: Vec<Entry>,
    /// Why the layer could not be fully decompressed or listed (reported
    /// when an image uses it; unused blobs may be anything).
    pub error: Option<String>,
}

/// Lists a layer's tar entries.
struct Lister {
    what: String,
    files: Vec<Entry>,
    max_entries: u64,
    capture: Option<Box<dyn Capture>>,
    capturing: bool,
}

impl TarSink for Lister {
    type Error = ImageError;

    fn entry(&mut self, h: &Header) -> Result<(), ImageError> {
        let path = normalize_path(&h.name).ok_or_else(|| ImageError::UnsafePath {
            what: self.what.clone(),
            path: h.name.clone(),
        })?;
        if path.is_empty() {
            // The root directory itself.
            return Ok(());
        }
        if self.files.len() as u64 >= self.max_entries {
            return Err(ImageError::TooManyEntries {
                what: self.what.clone(),
                limit: self.max_entries,
            });
        }
        let link = match (&h.link, h.kind) {
            (Some(l), super::EntryKind::Hardlink) => {
                Some(normalize_path(l).ok_or_else(|| ImageError::UnsafePath {
                    what: self.what.clone(),
                    path: format!("{} (hard link to {l})", h.name),
                })?)
            }
            (l, _) => l.clone(),
        };
        let entry = Entry {
            path,
            kind: h.kind,
            size: h.size,
            mode: h.mode,
            uid: h.uid,
            gid: h.gid,
            mtime: h.mtime,
            link,
        };
        if let Some(c) = &mut self.capture {
            self.capturing = c.wants(&self.what, &entry);
        }
        self.files.push(entry);
        Ok(())
    }

    fn data(&mut self, data: &[u8]) -> Result<(), ImageError> {
        if self.capturing {
            if let Some(c) = &mut self.capture {
                c.data(data).map_err(|reason| ImageError::Capture {
                    what: self.what.clone(),
                    reason,
                })?;
            }
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), ImageError> {
        if std::mem::take(&mut self.capturing) {
            if let Some(c) = &mut self.capture {
                c.end().map_err(|reason| ImageError::Capture {
                    what: self.what.clone(),
                    reason,
                })?;
            }
        }
        Ok(())
    }
}

/// The uncompressed side of a layer: hash, list.
pub(crate) struct LayerSink {
    /// `None` for an uncompressed layer: its diff id is the stored digest,
    /// already being computed (hashing the same bytes twice costs a core).
    hasher: Option<Hasher>,
    /// Bytes decompressed and the bomb budget ([`LayerOut`] keeps them
    /// while decoding; set here when it ends).
    size: u64,
    budget: u64,
    /// Bytes this side received (`size` unless it stopped early).
    consumed: u64,
    /// gzip members' CRC-32 and length, checked here rather than on the
    /// thread that inflates (`None` for other formats).
    check: Option<MemberCheck>,
    /// Why a member's content did not match its trailer. Everything after
    /// that member is ignored, as if decoding had stopped there (which it
    /// does on one thread).
    check_failed: Option<String>,
    tar: TarReader,
    lister: Lister,
    /// The first problem; hashing goes on after it, listing stops.
    error: Option<ImageError>,
    /// Fatal: stop everything (a bomb, a capture failure).
    fatal: Option<ImageError>,
}

impl LayerSink {
    /// The next decompressed bytes. An error means a fatal problem (in
    /// `fatal`): stop decoding.
    pub(crate) fn consume(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.check_failed.is_some() {
            return Ok(());
        }
        self.consumed += buf.len() as u64;
        if let Some(c) = &mut self.check {
            c.update(buf);
        }
        if let Some(h) = &mut self.hasher {
            h.update(buf);
        }
        if self.error.is_none() {
            if let Err(e) = self.tar.push(buf, &mut self.lister) {
                match e {
                    PushError::Tar(t) => {
                        self.error = Some(ImageError::Tar {
                            what: self.lister.what.clone(),
                            offset: t.offset,
                            reason: t.reason,
                        })
                    }
                    PushError::Sink(e @ ImageError::Capture { .. }) => {
                        self.fatal = Some(e);
                        return Err(io::Error::other("capture failed"));
                    }
                    PushError::Sink(e) => self.error = Some(e),
                }
            }
        }
        Ok(())
    }

    /// A gzip member ended: its content so far is checked against the
    /// trailer. An error means the check failed (in `check_failed`).
    pub(crate) fn member_end(&mut self, t: &Trailer) -> io::Result<()> {
        if self.check_failed.is_some() {
            return Err(check_failed());
        }
        if let Some(c) = &mut self.check {
            if let Err(why) = c.verify(t) {
                self.check_failed = Some(format!(
                    "its gzip data is corrupt after {} bytes: corrupt gzip data: {why}",
                    t.end
                ));
                return Err(check_failed());
            }
        }
        Ok(())
    }
}

pub(crate) fn check_failed() -> io::Error {
    io::Error::other("a gzip member's content does not match its trailer")
}

/// Where the decoder writes: bytes are counted against the bomb budget,
/// then hashed and listed on this thread or (natively, for a big layer)
/// on a worker thread ([`super::pipeline`]).
struct LayerOut {
    size: u64,
    budget: u64,
    side: Side,
}

enum Side {
    Here(Box<LayerSink>),
    #[cfg(not(target_arch = "wasm32"))]
    Worker(Box<super::pipeline::Worker>),
    /// Only while switching sides.
    #[cfg(not(target_arch = "wasm32"))]
    Moving,
}

impl LayerOut {
    /// Moves the decompressed side and `stored` (the stored bytes' hash) to
    /// a worker thread; `stored` comes back if none can be started.
    #[cfg(not(target_arch = "wasm32"))]
    #[allow(clippy::result_large_err)] // once per layer
    fn go_parallel(&mut self, stored: Hasher) -> Result<(), Hasher> {
        let Side::Here(sink) = std::mem::replace(&mut self.side, Side::Moving) else {
            return Err(stored);
        };
        match super::pipeline::Worker::start(sink, stored) {
            Ok(w) => {
                self.side = Side::Worker(Box::new(w));
                Ok(())
            }
            Err((sink, stored)) => {
                self.side = Side::Here(sink);
                Err(stored)
            }
        }
    }

    /// Hands the stored bytes to the worker, if the stored hash is there.
    #[cfg(not(target_arch = "wasm32"))]
    fn stored(&mut self, data: &[u8]) -> bool {
        match &mut self.side {
            Side::Worker(w) => {
                w.stored(data);
                true
            }
            _ => false,
        }
    }

    /// The decompressed side back on this thread, with the stored bytes'
    /// hash if the worker had it.
    fn into_parts(self) -> Result<(LayerSink, Option<Hasher>), ImageError> {
        let (mut sink, stored) = match self.side {
            Side::Here(sink) => (sink, None),
            #[cfg(not(target_arch = "wasm32"))]
            Side::Worker(w) => match w.finish() {
                Some((sink, stored)) => (sink, Some(stored)),
                None => return Err(lost()),
            },
            #[cfg(not(target_arch = "wasm32"))]
            Side::Moving => return Err(lost()),
        };
        sink.size = match sink.check_failed {
            Some(_) => sink.consumed,
            None => self.size,
        };
        sink.budget = self.budget;
        Ok((*sink, stored))
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn lost() -> ImageError {
    ImageError::Io {
        what: "a layer".into(),
        reason: "internal error: the layer's state was lost between threads".into(),
    }
}

impl LayerOut {
    fn count(&mut self, len: usize) -> io::Result<()> {
        self.size += len as u64;
        if self.size > self.budget {
            return Err(io::Error::other("bomb"));
        }
        Ok(())
    }
}

impl Output for LayerOut {
    fn checks_members(&self) -> bool {
        true
    }

    fn member_end(&mut self, trailer: Trailer) -> io::Result<()> {
        match &mut self.side {
            Side::Here(sink) => sink.member_end(&trailer),
            #[cfg(not(target_arch = "wasm32"))]
            Side::Worker(w) => w.member_end(trailer),
            #[cfg(not(target_arch = "wasm32"))]
            Side::Moving => Err(io::Error::other("layer state lost")),
        }
    }

    fn take(&mut self, buf: Vec<u8>, len: usize) -> io::Result<Vec<u8>> {
        self.count(len)?;
        match &mut self.side {
            Side::Here(sink) => {
                sink.consume(&buf[..len])?;
                Ok(buf)
            }
            #[cfg(not(target_arch = "wasm32"))]
            Side::Worker(w) => w.take(buf, len),
            #[cfg(not(target_arch = "wasm32"))]
            Side::Moving => Err(io::Error::other("layer state lost")),
        }
    }
}

impl Write for LayerOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.count(buf.len())?;
        match &mut self.side {
            Side::Here(sink) => sink.consume(buf)?,
            #[cfg(not(target_arch = "wasm32"))]
            Side::Worker(w) => w.plain(buf)?,
            #[cfg(not(target_arch = "wasm32"))]
            Side::Moving => return Err(io::Error::other("layer state lost")),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Scan {
    /// Collecting the first bytes to decide.
    Head(Vec<u8>),
    Json(Vec<u8>),
    Layer(Box<Decode<LayerOut>>),
    /// A layer whose decompression failed: only the stored hash goes on.
    Broken(Box<LayerSink>, String, Compression),
    /// A gzip layer the host inflates.
    Host(Box<HostLayer>),
    Other,
}

/// A gzip layer inflated by the host ([`super::Collector::set_host_inflate`]):
/// its stored bytes are hashed here and handed out; the inflated bytes come
/// back through [`BlobScan::host_data`] to be hashed and listed.
struct HostLayer {
    sink: LayerSink,
    /// Bytes inflated so far.
    size: u64,
    /// Stored bytes of earlier pushes the host has not been shown: the
    /// head that decided what the blob is.
    prefix: Vec<u8>,
    /// Stored bytes of the current push, for the host to inflate.
    handed: usize,
    /// Why the host could not inflate it.
    failure: Option<String>,
}

/// What the host is to inflate after a push: `prefix`, then the last
/// `len` bytes of the input the push consumed. `ended`: the layer's stored
/// bytes are complete — the host finishes inflating, hands over the rest
/// and ends the layer before pushing on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostWork {
    pub prefix: Vec<u8>,
    pub len: usize,
    pub ended: bool,
}

/// Bytes to look at before deciding what a blob is: one tar header.
const HEAD: usize = 512;

/// Scans one member of an archive.
pub(crate) struct BlobScan {
    path: String,
    declared_size: u64,
    /// sha256 of the stored bytes; while `stored_here` is false a worker
    /// thread holds the real one and this is a placeholder.
    hasher: Hasher,
    /// For the decompressed side of a compressed layer, when the host
    /// supplies hashers (else the built-in one is made when needed).
    plain_hasher: Option<Hasher>,
    stored_here: bool,
    size: u64,
    scan: Scan,
    limits: Limits,
    /// Stored bytes after which a layer goes on two threads (native).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    parallel: Option<u64>,
    capture: Option<Box<dyn Capture>>,
    /// A gzip layer may be handed to the host to inflate.
    host: bool,
}

impl BlobScan {
    pub fn new(
        path: String,
        declared_size: u64,
        limits: Limits,
        parallel: Option<u64>,
        capture: Option<Box<dyn Capture>>,
        hashers: Option<(Hasher, Hasher)>,
    ) -> BlobScan {
        let (hasher, plain_hasher) = match hashers {
            Some((stored, plain)) => (stored, Some(plain)),
            None => (Hasher::sha256(), None),
        };
        BlobScan {
            path,
            declared_size,
            hasher,
            plain_hasher,
            stored_here: true,
            size: 0,
            scan: Scan::Head(Vec::with_capacity(HEAD.min(declared_size as usize))),
            limits,
            parallel,
            capture,
            host: false,
        }
    }

    /// Lets the host inflate this blob if it is a gzip layer.
    pub(crate) fn allow_host(&mut self) {
        self.host = true;
    }

    /// Where the blob is in the archive.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Whether the host inflates this blob.
    pub(crate) fn is_host(&self) -> bool {
        matches!(self.scan, Scan::Host(_))
    }

    /// What the host is to inflate of the bytes pushed since last asked.
    pub(crate) fn take_handed(&mut self, ended: bool) -> Option<HostWork> {
        let Scan::Host(h) = &mut self.scan else {
            return None;
        };
        if h.handed == 0 && h.prefix.is_empty() && !ended {
            return None;
        }
        let work = HostWork {
            prefix: std::mem::take(&mut h.prefix),
            len: std::mem::take(&mut h.handed),
            ended,
        };
        Some(work)
    }

    /// Inflated bytes of a host layer, in order.
    pub(crate) fn host_data(&mut self, buf: &[u8]) -> Result<(), ImageError> {
        let stored = self.size;
        let Scan::Host(h) = &mut self.scan else {
            return Err(ImageError::Host(format!(
                "{}: inflated bytes for a blob the host was not given to inflate",
                self.path
            )));
        };
        if h.failure.is_some() {
            return Ok(());
        }
        h.size += buf.len() as u64;
        let budget = self
            .limits
            .bomb_floor
            .max(stored.saturating_mul(self.limits.max_ratio));
        if h.size > budget {
            return Err(ImageError::Bomb {
                what: self.path.clone(),
                limit: budget,
                compressed: stored,
                ratio: self.limits.max_ratio,
            });
        }
        if h.sink.consume(buf).is_err() {
            return Err(h.sink.fatal.take().unwrap_or_else(|| ImageError::Capture {
                what: self.path.clone(),
                reason: "the capture failed".into(),
            }));
        }
        Ok(())
    }

    /// The host could not inflate this layer: `reason`, in its words.
    pub(crate) fn host_failed(&mut self, reason: String) {
        if let Scan::Host(h) = &mut self.scan {
            h.failure
                .get_or_insert(format!("its gzip data is corrupt: {reason}"));
        }
    }

    /// The decompressed side is back: so is the stored hash, if it left.
    fn take_back(&mut self, out: LayerOut) -> Result<LayerSink, ImageError> {
        let (sink, stored) = out.into_parts()?;
        if let Some(h) = stored {
            self.hasher = h;
            self.stored_here = true;
        }
        Ok(sink)
    }

    fn decide(&mut self, head: Vec<u8>) -> Result<(), ImageError> {
        let first = head.iter().copied().find(|b| !b.is_ascii_whitespace());
        let format = Compression::sniff(&head);
        let compressed = matches!(format, Compression::Gzip | Compression::Zstd);
        self.scan = if compressed || super::tar::looks_like_tar(&head) {
            let host = self.host && format == Compression::Gzip;
            let sink = LayerSink {
                hasher: compressed.then(|| self.plain_hasher.take().unwrap_or_else(Hasher::sha256)),
                size: 0,
                budget: 0,
                consumed: 0,
                // The host's inflater checks members itself.
                check: (format == Compression::Gzip && !host).then(MemberCheck::default),
                check_failed: None,
                tar: TarReader::new(),
                lister: Lister {
                    what: self.path.clone(),
                    files: Vec::new(),
                    max_entries: self.limits.max_entries,
                    capture: self.capture.take(),
                    capturing: false,
                },
                error: None,
                fatal: None,
            };
            if host {
                // The head goes to the host too: `push` keeps of it what
                // the host has not seen.
                self.scan = Scan::Host(Box::new(HostLayer {
                    sink,
                    size: 0,
                    prefix: head,
                    handed: 0,
                    failure: None,
                }));
                return Ok(());
            }
            Scan::Layer(Box::new(Decode::new(LayerOut {
                size: 0,
                budget: self.limits.bomb_floor,
                side: Side::Here(Box::new(sink)),
            })))
        } else if matches!(first, Some(b'{' | b'[')) || self.path.ends_with(".json") {
            if self.declared_size > self.limits.max_json {
                return Err(ImageError::TooLarge {
                    what: self.path.clone(),
                    limit: self.limits.max_json,
                });
            }
            Scan::Json(Vec::with_capacity(self.declared_size as usize))
        } else {
            Scan::Other
        };
        self.feed(&head)
    }

    fn feed(&mut self, data: &[u8]) -> Result<(), ImageError> {
        match &mut self.scan {
            Scan::Head(_) | Scan::Other | Scan::Broken(..) => Ok(()),
            Scan::Host(h) => {
                h.handed += data.len();
                Ok(())
            }
            Scan::Json(buf) => {
                if (buf.len() + data.len()) as u64 > self.limits.max_json {
                    return Err(ImageError::TooLarge {
                        what: self.path.clone(),
                        limit: self.limits.max_json,
                    });
                }
                buf.extend_from_slice(data);
                Ok(())
            }
            Scan::Layer(dec) => {
                // An uncompressed layer has nothing to split off: its one
                // hash (the diff id is the stored digest) and its listing
                // run here, on the caller's bytes, without copies.
                #[cfg(not(target_arch = "wasm32"))]
                let compressed = dec.compression() != Some(Compression::None);
                if let Some(out) = dec.get_mut() {
                    out.budget = self
                        .limits
                        .bomb_floor
                        .max(self.size.saturating_mul(self.limits.max_ratio));
                    #[cfg(not(target_arch = "wasm32"))]
                    if compressed
                        && self.stored_here
                        && self.parallel.is_some_and(|t| self.size >= t)
                    {
                        // One attempt: a failed start stays on this thread.
                        self.parallel = None;
                        let stored = std::mem::replace(&mut self.hasher, Hasher::sha256());
                        match out.go_parallel(stored) {
                            Ok(()) => self.stored_here = false,
                            Err(stored) => self.hasher = stored,
                        }
                    }
                }
                if let Err(e) = dec.push(data) {
                    return self.layer_failed(e);
                }
                Ok(())
            }
        }
    }

    /// The decoder stopped: a bomb or capture failure is fatal, corrupt
    /// compressed data is recorded and hashing of the stored bytes goes on.
    fn layer_failed(&mut self, e: io::Error) -> Result<(), ImageError> {
        let Scan::Layer(dec) = std::mem::replace(&mut self.scan, Scan::Other) else {
            return Ok(());
        };
        let kind = dec.compression();
        let Some(out) = dec.into_inner() else {
            return Ok(());
        };
        let mut sink = self.take_back(out)?;
        if let Some(f) = sink.fatal.take() {
            return Err(f);
        }
        if let Some(reason) = sink.check_failed.take() {
            self.scan = Scan::Broken(Box::new(sink), reason, Compression::Gzip);
            return Ok(());
        }
        if sink.size > sink.budget {
            return Err(ImageError::Bomb {
                what: self.path.clone(),
                limit: sink.budget,
                compressed: self.size,
                ratio: self.limits.max_ratio,
            });
        }
        let kind = kind.unwrap_or(Compression::None);
        let what = match kind {
            Compression::Zstd => "zstd",
            _ => "gzip",
        };
        self.scan = Scan::Broken(
            Box::new(sink),
            format!("its {what} data is corrupt after {} bytes: {e}", self.size),
            kind,
        );
        Ok(())
    }

    pub fn push(&mut self, data: &[u8]) -> Result<(), ImageError> {
        if self.stored_here || !self.send_stored(data) {
            self.hasher.update(data);
        }
        self.size += data.len() as u64;
        if let Scan::Head(head) = &mut self.scan {
            let earlier = head.len();
            let take = (HEAD - head.len()).min(data.len());
            head.extend_from_slice(&data[..take]);
            if head.len() < HEAD {
                return Ok(());
            }
            let head = std::mem::take(head);
            self.decide(head)?;
            if let Scan::Host(h) = &mut self.scan {
                // This push's part of the head is in the host's range.
                h.prefix.truncate(earlier);
                h.handed += take;
            }
            return self.feed(&data[take..]);
        }
        self.feed(data)
    }

    /// Stored bytes to the worker holding their hash.
    #[cfg(not(target_arch = "wasm32"))]
    fn send_stored(&mut self, data: &[u8]) -> bool {
        match &mut self.scan {
            Scan::Layer(dec) => dec.get_mut().is_some_and(|out| out.stored(data)),
            _ => false,
        }
    }

    #[cfg(target_arch = "wasm32")]
    fn send_stored(&mut self, _data: &[u8]) -> bool {
        false
    }

    /// The blob is complete. Gives back the capture handed in.
    pub fn finish(mut self) -> Result<(Blob, Option<Box<dyn Capture>>), ImageError> {
        if let Scan::Head(head) = &mut self.scan {
            let head = std::mem::take(head);
            if head.is_empty() {
                self.scan = Scan::Other;
            } else {
                // Too late for the host: it was never shown these bytes.
                self.host = false;
                self.decide(head)?;
            }
        }
        // The layer's side back on this thread first: with it comes the
        // stored bytes' hash, if a worker had it.
        let mut layer = None;
        let content = match std::mem::replace(&mut self.scan, Scan::Other) {
            Scan::Head(_) | Scan::Other => BlobContent::Other,
            Scan::Json(buf) => BlobContent::Json(Arc::new(buf)),
            Scan::Layer(dec) => {
                let compression = dec.compression().unwrap_or(Compression::None);
                let (out, r) = dec.finish();
                let sink = match out {
                    Some(out) => Some(self.take_back(out)?),
                    None => None,
                };
                match (sink, r) {
                    (Some(mut sink), _) if sink.check_failed.is_some() => {
                        let reason = sink.check_failed.take();
                        layer = Some((sink, compression, reason));
                    }
                    (Some(sink), Ok(())) => layer = Some((sink, compression, None)),
                    (Some(sink), Err(e)) => {
                        let reason = if sink.fatal.is_none() && sink.size > sink.budget {
                            return Err(ImageError::Bomb {
                                what: self.path.clone(),
                                limit: sink.budget,
                                compressed: self.size,
                                ratio: self.limits.max_ratio,
                            });
                        } else {
                            format!("its compressed data is incomplete or corrupt: {e}")
                        };
                        layer = Some((sink, compression, Some(reason)));
                    }
                    (None, _) => {}
                }
                BlobContent::Other
            }
            Scan::Broken(sink, reason, c) => {
                layer = Some((*sink, c, Some(reason)));
                BlobContent::Other
            }
            Scan::Host(h) => {
                let HostLayer {
                    mut sink,
                    size,
                    failure,
                    ..
                } = *h;
                sink.size = size;
                layer = Some((sink, Compression::Gzip, failure));
                BlobContent::Other
            }
        };
        let digest = self.hasher.finish();
        let content = match layer {
            Some((sink, c, broken)) => layer_content(sink, c, broken, &mut self.capture, &digest)?,
            None => content,
        };
        let capture = self.capture.take();
        Ok((
            Blob {
                path: self.path,
                digest,
                size: self.size,
                content,
            },
            capture,
        ))
    }
}

fn layer_content(
    mut sink: LayerSink,
    compression: Compression,
    broken: Option<String>,
    capture: &mut Option<Box<dyn Capture>>,
    stored: &Digest,
) -> Result<BlobContent, ImageError> {
    if capture.is_none() {
        *capture = sink.lister.capture.take();
    }
    if let Some(f) = sink.fatal.take() {
        return Err(f);
    }
    let mut error = broken;
    if error.is_none() {
        if let Some(e) = sink.error.take() {
            error = Some(e.to_string());
        } else if let Err(PushError::Tar(t)) = sink.tar.finish::<()>() {
            error = Some(format!("at byte {}: {}", t.offset, t.reason));
        }
    }
    Ok(BlobContent::Layer(Arc::new(LayerInfo {
        compression,
        diff_id: match sink.hasher {
            Some(h) => h.finish(),
            None => stored.clone(),
        },
        uncompressed_size: sink.size,
        files: sink.lister.files,
        error,
    })))
}
