//! Writing image archives: docker-archive in the Docker ≥ 25 shape and
//! oci-archive, as a stream.
//!
//! ```text
//! oci-layout                    {"imageLayoutVersion":"1.0.0"}
//! index.json                    one entry per tag: ref.name (+ io.containerd.image.name)
//! manifest.json                 docker-archive only: [{Config, RepoTags, Layers}] with blob paths
//! repositories                  docker-archive only: {"repo":{"tag":"<top layer hex>"}}
//! blobs/sha256/<manifest>       small blobs first: manifests and configs
//! blobs/sha256/<config>
//! blobs/sha256/<layer>…         then each layer once, even when images share it
//! ```
//!
//! Because `manifest.json` points at `blobs/sha256/…` paths, `docker load`
//! (20.10 and later) and OCI tools (skopeo, umoci after extraction) read the
//! same file. Metadata comes first so a one-pass reader knows every layer
//! before its bytes arrive.
//!
//! The archive is described as [`Part`]s: bytes made here (headers,
//! metadata, padding) and blobs the host streams from wherever it keeps
//! them. [`write_archive`] does that for any `Write`; the npm package hands
//! the parts to JavaScript, which pipes blob streams into a download.
//! Nothing holds a layer in memory.
//!
//! References: Docker's `image/tarexport`, the OCI image layout
//! (<https://github.com/opencontainers/image-spec/blob/main/image-layout.md>).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use serde::Serialize;

use super::compose::{tagged_entries, RefNameStyle};
use super::layer_builder::{padding, EntryKind, TarEntry, END_OF_ARCHIVE};
use crate::oci::{Descriptor, Digest, ImageIndex, ImageManifest, Reference};

/// Why an archive cannot be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    #[error("manifest {digest} is not an image manifest: {message}")]
    Manifest { digest: Digest, message: String },
    #[error("config {digest} does not match the manifest: it is {actual} ({size} bytes)")]
    Config {
        digest: Digest,
        actual: Digest,
        size: u64,
    },
    #[error("blob {digest}: expected {expected} bytes, the source gave {actual}; the stored blob is damaged or was replaced")]
    BlobSize {
        digest: Digest,
        expected: u64,
        actual: u64,
    },
    #[error("blob {digest}: {source}")]
    Blob {
        digest: Digest,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the archive: {0}")]
    Io(#[from] std::io::Error),
}

/// Which archive to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArchiveFormat {
    /// OCI layout + `manifest.json` + `repositories`: `docker load` and
    /// OCI tools read it.
    #[default]
    DockerArchive,
    /// An OCI image layout as one tar.
    OciArchive,
}

/// One image to put in an archive.
#[derive(Debug, Clone)]
pub struct ArchiveImage {
    /// The manifest's bytes, exactly as stored (its digest names it).
    pub manifest: Vec<u8>,
    pub manifest_descriptor: Descriptor,
    /// The config's bytes.
    pub config: Vec<u8>,
    pub parsed: ImageManifest,
    /// Names to give it; may be empty.
    pub tags: Vec<Reference>,
}

impl ArchiveImage {
    /// Checks that `config` is the manifest's config.
    pub fn new(
        manifest: Vec<u8>,
        manifest_descriptor: Descriptor,
        config: Vec<u8>,
        tags: Vec<Reference>,
    ) -> Result<ArchiveImage, WriteError> {
        let parsed: ImageManifest =
            serde_json::from_slice(&manifest).map_err(|e| WriteError::Manifest {
                digest: manifest_descriptor.digest.clone(),
                message: e.to_string(),
            })?;
        let actual = Digest::sha256(&config);
        if actual != parsed.config.digest {
            return Err(WriteError::Config {
                digest: parsed.config.digest.clone(),
                actual,
                size: config.len() as u64,
            });
        }
        Ok(ArchiveImage {
            manifest,
            manifest_descriptor,
            config,
            parsed,
            tags,
        })
    }
}

/// A piece of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Bytes to write as they are.
    Bytes(Vec<u8>),
    /// The whole blob named by the descriptor: exactly `size` bytes.
    Blob(Box<Descriptor>),
}

/// `manifest.json` entry, as Docker writes it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

fn blob_path(d: &Digest) -> String {
    format!("blobs/{}/{}", d.algorithm().as_str(), d.hex())
}

/// The archive's parts, in order. Bytes parts next to each other are
/// merged.
pub fn archive_parts(
    images: &[ArchiveImage],
    format: ArchiveFormat,
) -> Result<Vec<Part>, WriteError> {
    let mut parts = Parts::default();
    let file = |parts: &mut Parts, path: &str, data: &[u8]| {
        parts.bytes(&TarEntry::file(path, data.len() as u64).header_bytes());
        parts.bytes(data);
        parts.bytes(padding(data.len() as u64));
    };

    file(
        &mut parts,
        "oci-layout",
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    );

    let style = match format {
        ArchiveFormat::DockerArchive => RefNameStyle::Docker,
        ArchiveFormat::OciArchive => RefNameStyle::Full,
    };
    let mut index = ImageIndex::new(Vec::new(), false);
    for img in images {
        index
            .manifests
            .extend(tagged_entries(&img.manifest_descriptor, &img.tags, style));
    }
    file(&mut parts, "index.json", &index.to_bytes());

    if format == ArchiveFormat::DockerArchive {
        let entries: Vec<DockerManifestEntry> = images
            .iter()
            .map(|img| DockerManifestEntry {
                config: blob_path(&img.parsed.config.digest),
                repo_tags: (!img.tags.is_empty())
                    .then(|| img.tags.iter().map(Reference::familiar).collect()),
                layers: img
                    .parsed
                    .layers
                    .iter()
                    .map(|l| blob_path(&l.digest))
                    .collect(),
            })
            .collect();
        file(
            &mut parts,
            "manifest.json",
            &serde_json::to_vec(&entries).unwrap_or_default(),
        );
        let mut repos: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for img in images {
            let Some(top) = img.parsed.layers.last() else {
                continue;
            };
            for t in &img.tags {
                if let Some(tag) = &t.tag {
                    repos
                        .entry(t.familiar_name())
                        .or_default()
                        .insert(tag.clone(), top.digest.hex().to_string());
                }
            }
        }
        if !repos.is_empty() {
            file(
                &mut parts,
                "repositories",
                &serde_json::to_vec(&repos).unwrap_or_default(),
            );
        }
    }

    parts.bytes(&TarEntry::new("blobs", EntryKind::Dir).header_bytes());
    parts.bytes(&TarEntry::new("blobs/sha256", EntryKind::Dir).header_bytes());
    let mut written: BTreeSet<Digest> = BTreeSet::new();
    for img in images {
        for (d, data) in [
            (&img.manifest_descriptor.digest, &img.manifest),
            (&img.parsed.config.digest, &img.config),
        ] {
            if written.insert(d.clone()) {
                file(&mut parts, &blob_path(d), data);
            }
        }
    }
    for img in images {
        for l in &img.parsed.layers {
            if written.insert(l.digest.clone()) {
                parts.bytes(&TarEntry::file(blob_path(&l.digest), l.size).header_bytes());
                parts.list.push(Part::Blob(Box::new(l.clone())));
                parts.bytes(padding(l.size));
            }
        }
    }
    parts.bytes(&END_OF_ARCHIVE);
    Ok(parts.list)
}

#[derive(Default)]
struct Parts {
    list: Vec<Part>,
}

impl Parts {
    fn bytes(&mut self, b: &[u8]) {
        if b.is_empty() {
            return;
        }
        if let Some(Part::Bytes(last)) = self.list.last_mut() {
            last.extend_from_slice(b);
        } else {
            self.list.push(Part::Bytes(b.to_vec()));
        }
    }
}

/// Where blobs come from while an archive is written.
pub trait BlobOpener {
    /// A reader over the whole blob.
    fn open(&mut self, blob: &Descriptor) -> std::io::Result<Box<dyn Read + '_>>;
}

/// Streams `parts` into `out`, pulling blobs from `blobs`. Each blob must
/// give exactly its size. Returns the bytes written.
pub fn write_parts<W: Write + ?Sized>(
    out: &mut W,
    parts: &[Part],
    blobs: &mut dyn BlobOpener,
) -> Result<u64, WriteError> {
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for part in parts {
        match part {
            Part::Bytes(b) => {
                out.write_all(b)?;
                total += b.len() as u64;
            }
            Part::Blob(d) => {
                let blob_err = |source| WriteError::Blob {
                    digest: d.digest.clone(),
                    source,
                };
                let mut r = blobs.open(d).map_err(blob_err)?;
                let mut n = 0u64;
                loop {
                    let k = match r.read(&mut buf) {
                        Ok(0) => break,
                        Ok(k) => k,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(blob_err(e)),
                    };
                    n += k as u64;
                    if n > d.size {
                        break;
                    }
                    out.write_all(&buf[..k])?;
                }
                if n != d.size {
                    return Err(WriteError::BlobSize {
                        digest: d.digest.clone(),
                        expected: d.size,
                        actual: n,
                    });
                }
                total += n;
            }
        }
    }
    Ok(total)
}

/// Writes a whole archive of `images` to `out`.
pub fn write_archive<W: Write + ?Sized>(
    out: &mut W,
    images: &[ArchiveImage],
    format: ArchiveFormat,
    blobs: &mut dyn BlobOpener,
) -> Result<u64, WriteError> {
    let parts = archive_parts(images, format)?;
    write_parts(out, &parts, blobs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::compose::{append_layer, assemble, empty_config, Flavour};
    use crate::image::layer_builder::{TarScanner, TarSink};
    use crate::oci::media_type as mt;
    use crate::oci::History;

    struct Mem(BTreeMap<Digest, Vec<u8>>);

    impl BlobOpener for Mem {
        fn open(&mut self, d: &Descriptor) -> std::io::Result<Box<dyn Read + '_>> {
            match self.0.get(&d.digest) {
                Some(b) => Ok(Box::new(&b[..])),
                None => Err(std::io::ErrorKind::NotFound.into()),
            }
        }
    }

    #[derive(Default)]
    struct Files(BTreeMap<String, Vec<u8>>, Option<String>);

    impl TarSink for Files {
        fn entry(&mut self, e: &crate::image::layer_builder::TarEntry) -> bool {
            self.0.insert(e.path.clone(), Vec::new());
            self.1 = Some(e.path.clone());
            true
        }
        fn data(&mut self, chunk: &[u8]) {
            if let Some(p) = &self.1 {
                self.0.get_mut(p).unwrap().extend_from_slice(chunk);
            }
        }
    }

    fn image(layer: &[u8], tag: &str) -> (ArchiveImage, Mem) {
        let mut c = empty_config(&"linux/amd64".parse().unwrap());
        append_layer(&mut c, Digest::sha256(layer), History::default());
        let d = Descriptor::new(mt::OCI_LAYER, Digest::sha256(layer), layer.len() as u64);
        let a = assemble(&c, std::slice::from_ref(&d), Flavour::Oci).unwrap();
        let img = ArchiveImage::new(
            a.manifest,
            a.manifest_descriptor,
            a.config,
            vec![Reference::parse_with_default_tag(tag).unwrap()],
        )
        .unwrap();
        let mut m = BTreeMap::new();
        m.insert(d.digest, layer.to_vec());
        (img, Mem(m))
    }

    #[test]
    fn docker_archive_has_both_layouts_and_shares_blobs() {
        let (a, mut blobs) = image(b"layer-bytes", "app:1");
        let (mut b, _) = image(b"layer-bytes", "app:2");
        b.tags
            .push(Reference::parse_with_default_tag("ghcr.io/o/app").unwrap());
        let mut out = Vec::new();
        write_archive(
            &mut out,
            &[a.clone(), b],
            ArchiveFormat::DockerArchive,
            &mut blobs,
        )
        .unwrap();
        let mut files = Files::default();
        let mut s = TarScanner::new();
        s.push(&out, &mut files).unwrap();
        s.finish().unwrap();
        let names: Vec<&str> = files.0.keys().map(String::as_str).collect();
        assert!(names.contains(&"manifest.json"));
        assert!(names.contains(&"oci-layout"));
        let layer_path = blob_path(&Digest::sha256(b"layer-bytes"));
        assert_eq!(files.0[&layer_path], b"layer-bytes");
        // Same config ⇒ same manifest: one manifest blob, one config, one layer.
        assert_eq!(
            names
                .iter()
                .filter(|n| n.starts_with("blobs/sha256/"))
                .count(),
            3
        );
        let manifest: serde_json::Value =
            serde_json::from_slice(&files.0["manifest.json"]).unwrap();
        assert_eq!(manifest[0]["RepoTags"][0], "app:1");
        assert_eq!(manifest[1]["RepoTags"][1], "ghcr.io/o/app:latest");
        assert_eq!(manifest[0]["Layers"][0], layer_path.as_str());
        let index: ImageIndex = serde_json::from_slice(&files.0["index.json"]).unwrap();
        assert_eq!(index.manifests.len(), 3);
        assert_eq!(index.manifests[0].ref_name(), Some("1"));
        assert_eq!(
            index.manifests[0].annotations[crate::oci::ANNOTATION_IMAGE_NAME],
            "docker.io/library/app:1"
        );
        // Deterministic.
        let mut again = Vec::new();
        write_archive(&mut again, &[a], ArchiveFormat::DockerArchive, &mut blobs).unwrap();
        let mut once = Vec::new();
        let (a2, _) = image(b"layer-bytes", "app:1");
        write_archive(&mut once, &[a2], ArchiveFormat::DockerArchive, &mut blobs).unwrap();
        assert_eq!(again, once);
    }

    #[test]
    fn a_short_blob_is_an_error_not_a_broken_archive() {
        let (a, _) = image(b"layer-bytes", "app:1");
        let mut m = BTreeMap::new();
        m.insert(Digest::sha256(b"layer-bytes"), b"layer".to_vec());
        let e = write_archive(
            &mut Vec::new(),
            &[a],
            ArchiveFormat::OciArchive,
            &mut Mem(m),
        )
        .unwrap_err();
        assert!(matches!(e, WriteError::BlobSize { actual: 5, .. }), "{e}");
    }

    #[test]
    fn a_wrong_config_is_refused() {
        let (a, _) = image(b"x", "app:1");
        let e = ArchiveImage::new(a.manifest, a.manifest_descriptor, b"{}".to_vec(), vec![])
            .unwrap_err();
        assert!(matches!(e, WriteError::Config { .. }));
    }
}
