//! Images read from tarballs and OCI layouts in one streaming pass.
//!
//! ```text
//! bytes ──▶ [gunzip?] ──▶ outer tar ──▶ per entry:
//!                                       ├─ small JSON (manifest.json, index.json, configs) kept whole
//!                                       └─ layer: sha256(stored) ─▶ [gunzip|unzstd] ─▶ sha256(tar) + file list
//! at the end: manifest.json / index.json ──▶ images, every digest checked
//! ```
//!
//! Sources: [`Reader`] (pushed chunks of a docker-archive, Docker ≥ 25
//! archive or oci-archive, optionally gzip'd), [`read`] (the same over
//! `R: Read`) and [`read_layout`] (an OCI layout directory the host walks
//! through the [`BlobSource`] trait). Each gives an [`Archive`] from which
//! [`Archive::image`] assembles a verified [`Image`]; the reports
//! ([`inspect`], [`history`], [`filetree`]) are functions of an `Image`.
//!
//! Memory is bounded by metadata (one [`Entry`] per file in each layer),
//! never by layer size; layer bytes are only hashed and listed.
//!
//! Natively, once a layer has passed [`PARALLEL_THRESHOLD`] bytes the
//! calling thread only decompresses it and a worker thread does both
//! sha256 passes and the listing (`pipeline.rs`); wasm does it all on one
//! thread. The results are the same either way.
//!
//! A host with an inflater of its own that runs on another thread (Node's
//! zlib) can take gzip layers over ([`Reader::set_host_inflate`]): the
//! core hashes their stored bytes and hands them out by offset into the
//! pushed chunk, the host hands the inflated bytes back to be hashed and
//! listed, and a push stops after such a layer until the host ends it.

mod archive;
mod assemble;
pub mod compose;
pub mod decode;
pub mod filetree;
pub mod history;
pub mod inspect;
#[cfg(layerkit_isal)]
mod isal;
mod layer;
pub mod layer_builder;
pub mod mutate;
#[cfg(not(target_arch = "wasm32"))]
mod pipeline;
pub mod tar;
pub mod units;
pub mod write;

#[cfg(not(target_arch = "wasm32"))]
pub use archive::PARALLEL_THRESHOLD;
pub use archive::{
    read, read_layout, read_layout_with, Archive, BlobSource, Collector, HasherSource, Progress,
    Reader, HOST_INFLATE_THRESHOLD,
};
pub use assemble::{Image, ImageSummary, Layer, Selector};
pub use layer::{Blob, BlobContent, Capture, HostWork, LayerInfo};
pub use tar::EntryKind;
pub use Limits as ReadLimits;

pub use compose::{assemble, AssembleError, Assembled, Flavour};
pub use layer_builder::TarEntry;
pub use mutate::{apply_changes, MutateError};
pub use write::{
    archive_parts, write_archive, ArchiveFormat, ArchiveImage, BlobOpener, Part, WriteError,
};

use crate::oci::{ConfigError, Digest, ManifestError};

/// A file in a layer, as its tar header describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Normalised: no leading `/` or `./`, no trailing `/`.
    pub path: String,
    pub kind: EntryKind,
    /// The tar header's size.
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Bounds that protect against crafted input. The defaults are far above
/// anything a real image reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest JSON document (manifest, index, config) kept in memory.
    pub max_json: u64,
    /// A layer may expand beyond `bomb_floor` bytes only up to this many
    /// times its compressed size. Real layers compress 2–10×; deflate
    /// cannot exceed ~1032×, zstd can reach millions.
    pub max_ratio: u64,
    /// Bytes a layer may always expand to, whatever the ratio.
    pub bomb_floor: u64,
    /// Entries in one layer.
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_json: 64 << 20,
            max_ratio: 200,
            bomb_floor: 1 << 30,
            max_entries: 10_000_000,
        }
    }
}

/// Why an archive or layout cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    #[error("{what} is not a valid tar archive (at byte {offset}): {reason}")]
    Tar {
        what: String,
        offset: u64,
        reason: String,
    },
    #[error("{what}: {reason}")]
    Decompress { what: String, reason: String },
    #[error("{what} expands to more than {limit} bytes from {compressed} compressed bytes (over {ratio}:1): refusing what looks like a decompression bomb")]
    Bomb {
        what: String,
        limit: u64,
        compressed: u64,
        ratio: u64,
    },
    #[error("{what} is larger than {limit} bytes, the limit for a JSON document")]
    TooLarge { what: String, limit: u64 },
    #[error("{what} has {limit}+ entries, more than any real layer")]
    TooManyEntries { what: String, limit: u64 },
    #[error("digest mismatch for {what}: expected {expected}, but its content is {actual}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("size mismatch for {what} ({digest}): the manifest says {expected} bytes, the blob has {actual}")]
    SizeMismatch {
        what: String,
        digest: Digest,
        expected: u64,
        actual: u64,
    },
    #[error("{what} is missing from the archive: {referenced_by} refers to it")]
    MissingBlob { what: String, referenced_by: String },
    #[error("layer {what} ({digest}) is not a tar archive{detail}")]
    NotATar {
        what: String,
        digest: Digest,
        detail: String,
    },
    #[error("{what}: unsafe path {path:?} in a layer entry: it would land outside the root")]
    UnsafePath { what: String, path: String },
    #[error("{what} is not valid JSON for a {kind}: {source}")]
    Json {
        what: String,
        kind: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    NoImage(String),
    #[error("no image matches {selector:?}; the archive holds: {available}")]
    NoSuchImage { selector: String, available: String },
    #[error("{what}: the manifest lists {layers} layers but the config's rootfs.diff_ids has {diff_ids}")]
    LayerCount {
        what: String,
        layers: usize,
        diff_ids: usize,
    },
    #[error("{what}: {reason}")]
    Capture { what: String, reason: String },
    #[error("/{path}: no such file or directory in the image (/{missing} is missing)")]
    NoSuchPath { path: String, missing: String },
    #[error("/{path}: too many levels of symbolic links")]
    SymlinkLoop { path: String },
    #[error("reading {what}: {reason}")]
    Io { what: String, reason: String },
    /// The host broke the protocol of [`Reader::set_host_inflate`].
    #[error("{0}")]
    Host(String),
}

/// `path` normalised as layers and archives are compared: no leading `/`
/// or `./`, no trailing `/`, `.` components dropped. `None` for a path with
/// a `..` component (it could escape the root) — callers report it.
pub fn normalize_path(path: &str) -> Option<String> {
    let mut out = String::with_capacity(path.len());
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => return None,
            c => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(c);
            }
        }
    }
    Some(out)
}
