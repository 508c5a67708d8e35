//! Images assembled from what a pass collected, every digest checked.
//!
//! docker-archive: `manifest.json` lists images (config path, tags, layer
//! paths). Docker ≥ 25 archives also carry an OCI `index.json`: the OCI
//! manifest whose config matches gives the real descriptors. OCI layouts:
//! `index.json` → (nested indexes, by platform) → manifest → config, layers.
//!
//! Checks: a blob named by a digest hashes to it; descriptor sizes match;
//! each layer's uncompressed digest equals the config's `rootfs.diff_ids`.

use std::sync::Arc;

use serde::Deserialize;

use super::archive::{blob_path, Archive};
use super::layer::{Blob, BlobContent, LayerInfo};
use super::ImageError;
use crate::oci::media_type as mt;
use crate::oci::{
    Compression, Descriptor, Digest, ImageConfig, ImageManifest, Manifest, Platform, Reference,
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME,
};

/// Which image of an archive to use (skopeo's `docker-archive:PATH:REF`,
/// `…:@INDEX`, `oci:PATH:REF`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// A tag (`name:tag`, normalised like Docker) or an OCI `ref.name`.
    pub reference: Option<String>,
    /// Position in `manifest.json` / `index.json`, from 0.
    pub index: Option<usize>,
    /// For indexes with several platforms.
    pub platform: Option<Platform>,
}

/// One image an archive offers, before assembly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageSummary {
    pub index: usize,
    pub repo_tags: Vec<String>,
    /// OCI `org.opencontainers.image.ref.name`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ref_name: Option<String>,
    /// The config (docker-archive) or manifest (OCI) digest.
    pub digest: Digest,
}

/// A layer of an assembled image.
#[derive(Debug, Clone)]
pub struct Layer {
    /// As in the manifest (synthesised for legacy docker-archives).
    pub descriptor: Descriptor,
    /// Where it is in the archive.
    pub path: String,
    pub diff_id: Digest,
    pub uncompressed_size: u64,
    /// As detected from the bytes (the media type may say otherwise).
    pub compression: Compression,
    pub info: Arc<LayerInfo>,
}

impl Layer {
    /// Docker's layer size: the sum of the tar headers' sizes (what
    /// `docker history` and `docker image inspect` report).
    pub fn docker_size(&self) -> u64 {
        self.info.files.iter().map(|f| f.size).sum()
    }
}

/// An image with its verified config, manifest and layers.
#[derive(Debug, Clone)]
pub struct Image {
    /// The input's name.
    pub source: String,
    /// `docker-archive`, `oci-archive` or `oci` (a layout directory).
    pub format: &'static str,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    /// `Parent` from `manifest.json`, when the archive names one.
    pub parent: Option<String>,
    /// The image id: the config's digest.
    pub id: Digest,
    pub config: ImageConfig,
    pub config_bytes: Arc<Vec<u8>>,
    pub manifest: ImageManifest,
    /// Digest of the manifest blob; `None` when the archive has no manifest
    /// blob (legacy docker-archive) and it was synthesised.
    pub manifest_digest: Option<Digest>,
    pub layers: Vec<Layer>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    layer_sources: Option<std::collections::BTreeMap<Digest, Descriptor>>,
}

/// Docker's familiar form: `docker.io/library/x:t` → `x:t`.
pub fn familiar(name: &str) -> String {
    let Ok(r) = name.parse::<Reference>() else {
        return name.to_string();
    };
    let mut repo = if r.registry == crate::oci::reference::DOCKER_HUB {
        r.repository
            .strip_prefix("library/")
            .filter(|rest| !rest.contains('/'))
            .unwrap_or(&r.repository)
            .to_string()
    } else {
        format!("{}/{}", r.registry, r.repository)
    };
    if let Some(t) = &r.tag {
        repo = format!("{repo}:{t}");
    } else if r.digest.is_none() {
        repo.push_str(":latest");
    }
    repo
}

fn json_of<'a>(blob: &'a Blob, kind: &'static str) -> Result<&'a [u8], ImageError> {
    match &blob.content {
        BlobContent::Json(b) => Ok(b),
        _ => Err(ImageError::NoImage(format!(
            "{} ({}) should be a {kind} (JSON) but is not",
            blob.path, blob.digest
        ))),
    }
}

/// The hex a member's name claims, if it is named by a digest.
fn named_hex(path: &str) -> Option<&str> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let file = file.strip_prefix("sha256:").unwrap_or(file);
    let stem = file.split('.').next().unwrap_or(file);
    // Only OCI blob paths are digests by definition; Docker itself ignores
    // the names of configs and layers in a docker-archive (ggcr's fixtures
    // have stale ones).
    let top_level = path.starts_with("blobs/sha256/");
    (top_level && stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit())).then_some(stem)
}

impl Archive {
    fn docker_entries(&self) -> Result<Option<Vec<DockerEntry>>, ImageError> {
        let Some(blob) = self.blob("manifest.json") else {
            return Ok(None);
        };
        let bytes = json_of(blob, "docker-archive manifest.json")?;
        let entries: Option<Vec<DockerEntry>> =
            serde_json::from_slice(bytes).map_err(|source| ImageError::Json {
                what: format!("{}: manifest.json", self.name),
                kind: "docker-archive manifest.json",
                source,
            })?;
        match entries {
            Some(e) if !e.is_empty() => Ok(Some(e)),
            _ => Err(ImageError::NoImage(format!(
                "{}: manifest.json lists no images (it is null or empty)",
                self.name
            ))),
        }
    }

    fn oci_index(&self) -> Result<Option<crate::oci::ImageIndex>, ImageError> {
        let Some(blob) = self.blob("index.json") else {
            return Ok(None);
        };
        let bytes = json_of(blob, "OCI index.json")?;
        match Manifest::parse(
            bytes,
            Some(mt::OCI_INDEX),
            &format!("{}: index.json", self.name),
        )? {
            Manifest::Index(i) => Ok(Some(i)),
            Manifest::Image(_) => Err(ImageError::NoImage(format!(
                "{}: index.json is an image manifest, not an index",
                self.name
            ))),
        }
    }

    fn format(&self) -> &'static str {
        if self.directory {
            "oci"
        } else if self.blob("manifest.json").is_some() {
            "docker-archive"
        } else {
            "oci-archive"
        }
    }

    /// The images the archive offers.
    pub fn images(&self) -> Result<Vec<ImageSummary>, ImageError> {
        if let Some(entries) = self.docker_entries()? {
            return Ok(entries
                .iter()
                .enumerate()
                .map(|(index, e)| ImageSummary {
                    index,
                    repo_tags: e.repo_tags.iter().flatten().map(|t| familiar(t)).collect(),
                    ref_name: None,
                    digest: named_hex(&e.config)
                        .and_then(|h| format!("sha256:{h}").parse().ok())
                        .or_else(|| self.blob(&e.config).map(|b| b.digest.clone()))
                        .unwrap_or_else(|| Digest::sha256(b"")),
                })
                .collect());
        }
        if let Some(index) = self.oci_index()? {
            return Ok(index
                .manifests
                .iter()
                .enumerate()
                .map(|(i, d)| ImageSummary {
                    index: i,
                    repo_tags: oci_tags(d),
                    ref_name: d.ref_name().map(str::to_string),
                    digest: d.digest.clone(),
                })
                .collect());
        }
        Err(self.no_manifest())
    }

    fn no_manifest(&self) -> ImageError {
        ImageError::NoImage(format!(
            "{} has neither manifest.json (docker-archive) nor index.json (OCI layout): is it an image archive? (`docker save`, `skopeo copy … docker-archive:` and `oci-archive:` write one)",
            self.name
        ))
    }

    /// Assembles the selected image and checks every digest.
    /// `default_platform` picks among several platforms when the selector
    /// names none.
    pub fn image(
        &self,
        sel: &Selector,
        default_platform: Option<&Platform>,
    ) -> Result<Image, ImageError> {
        let summaries = self.images()?;
        let chosen = choose(&summaries, sel, &self.name)?;
        if let Some(entries) = self.docker_entries()? {
            let e = &entries[chosen];
            return self.docker_image(e, &summaries[chosen]);
        }
        let index = self.oci_index()?.ok_or_else(|| self.no_manifest())?;
        let d = &index.manifests[chosen];
        let platform = sel.platform.as_ref().or(default_platform);
        let mut image = self.oci_image(d, "index.json", platform, sel.platform.is_some())?;
        image.repo_tags = oci_tags(d);
        if let Some(name) = d.annotations.get(ANNOTATION_IMAGE_NAME) {
            if let Ok(r) = name.parse::<Reference>() {
                let repo = familiar(name);
                let repo = repo.rsplit_once(':').map(|(r, _)| r).unwrap_or(&repo);
                let _ = r;
                if let Some(md) = &image.manifest_digest {
                    image.repo_digests = vec![format!("{repo}@{md}")];
                }
            }
        }
        Ok(image)
    }

    /// The parent chain the archive records for `image` (docker-archive
    /// `Parent`), parent first, as far as the archive holds the parents:
    /// the ids `docker history` shows instead of `<missing>`.
    pub fn ancestors(&self, image: &Image) -> Vec<Digest> {
        let mut out = Vec::new();
        let mut parent = image.parent.clone();
        let Ok(summaries) = self.images() else {
            return out;
        };
        while let Some(p) = parent.take() {
            let Ok(d) = p.parse::<Digest>() else { break };
            if out.contains(&d) || out.len() > 1000 {
                break;
            }
            let Some(s) = summaries.iter().find(|s| s.digest == d) else {
                break;
            };
            out.push(d);
            let sel = Selector {
                index: Some(s.index),
                ..Selector::default()
            };
            parent = self.image(&sel, None).ok().and_then(|i| i.parent);
        }
        out
    }

    fn blob_or_missing(&self, path: &str, referenced_by: &str) -> Result<&Blob, ImageError> {
        self.blob(path).ok_or_else(|| ImageError::MissingBlob {
            what: path.to_string(),
            referenced_by: referenced_by.to_string(),
        })
    }

    /// A blob that a descriptor names, checked against it.
    fn described(&self, d: &Descriptor, referenced_by: &str) -> Result<&Blob, ImageError> {
        let path = blob_path(&d.digest);
        let blob = self.blob(&path).ok_or_else(|| ImageError::MissingBlob {
            what: format!("{path} ({})", d.digest),
            referenced_by: referenced_by.to_string(),
        })?;
        if blob.digest != d.digest {
            return Err(ImageError::DigestMismatch {
                what: format!("{}: {path}", self.name),
                expected: d.digest.clone(),
                actual: blob.digest.clone(),
            });
        }
        if blob.size != d.size {
            return Err(ImageError::SizeMismatch {
                what: format!("{}: {path}", self.name),
                digest: d.digest.clone(),
                expected: d.size,
                actual: blob.size,
            });
        }
        Ok(blob)
    }

    fn config_of(&self, blob: &Blob) -> Result<(ImageConfig, Arc<Vec<u8>>), ImageError> {
        let what = format!("{}: {} ({})", self.name, blob.path, blob.digest);
        let BlobContent::Json(bytes) = &blob.content else {
            return Err(ImageError::NoImage(format!(
                "{what} should be an image config but is not JSON"
            )));
        };
        let config = ImageConfig::parse(bytes, &what)?;
        Ok((config, bytes.clone()))
    }

    fn layer_of(
        &self,
        blob: &Blob,
        descriptor: Descriptor,
        diff_id: Option<&Digest>,
    ) -> Result<Layer, ImageError> {
        let what = format!("{}: {}", self.name, blob.path);
        let info = match &blob.content {
            BlobContent::Layer(info) => info.clone(),
            BlobContent::Json(_) => {
                return Err(ImageError::NotATar {
                    what,
                    digest: blob.digest.clone(),
                    detail: ": it is a JSON document".into(),
                })
            }
            _ => {
                return Err(ImageError::NotATar {
                    what,
                    digest: blob.digest.clone(),
                    detail: ", nor gzip or zstd compressed".into(),
                })
            }
        };
        if let Some(err) = &info.error {
            return Err(ImageError::NotATar {
                what,
                digest: blob.digest.clone(),
                detail: format!(": {err}"),
            });
        }
        if let Some(want) = diff_id {
            if *want != info.diff_id {
                return Err(ImageError::DigestMismatch {
                    what: format!("{what} (uncompressed, against the config's rootfs.diff_ids)"),
                    expected: want.clone(),
                    actual: info.diff_id.clone(),
                });
            }
        }
        Ok(Layer {
            descriptor,
            path: blob.path.clone(),
            diff_id: info.diff_id.clone(),
            uncompressed_size: info.uncompressed_size,
            compression: info.compression,
            info,
        })
    }

    fn docker_image(&self, e: &DockerEntry, summary: &ImageSummary) -> Result<Image, ImageError> {
        let cfg_blob = self.blob_or_missing(&e.config, "manifest.json (Config)")?;
        if let Some(hex) = named_hex(&cfg_blob.path) {
            if hex != cfg_blob.digest.hex() {
                return Err(ImageError::DigestMismatch {
                    what: format!("{}: {}", self.name, cfg_blob.path),
                    expected: format!("sha256:{hex}")
                        .parse()
                        .map_err(|_| self.no_manifest())?,
                    actual: cfg_blob.digest.clone(),
                });
            }
        }
        let (config, config_bytes) = self.config_of(cfg_blob)?;
        let diff_ids = &config.rootfs.diff_ids;
        if diff_ids.len() != e.layers.len() {
            return Err(ImageError::LayerCount {
                what: format!("{}: {}", self.name, cfg_blob.path),
                layers: e.layers.len(),
                diff_ids: diff_ids.len(),
            });
        }
        // Docker ≥ 25: the OCI manifest of this config and these layers,
        // for its descriptors.
        let oci = self.oci_manifest_for(&cfg_blob.digest, &e.layers);
        let mut layers = Vec::new();
        for (i, path) in e.layers.iter().enumerate() {
            let blob = self.blob_or_missing(path, &format!("manifest.json (Layers[{i}])"))?;
            // LayerSources (foreign layers) describe where the layer can be
            // downloaded, compressed; the archive holds it uncompressed, so
            // only the diff_id check applies to it.
            let from_oci = oci.as_ref().and_then(|(m, _)| m.layers.get(i).cloned());
            let strict = from_oci.is_some();
            let descriptor = from_oci.or_else(|| {
                e.layer_sources
                    .as_ref()
                    .and_then(|s| s.get(&diff_ids[i]).cloned())
            });
            let layer = match descriptor {
                Some(d) => {
                    if strict && d.digest != blob.digest {
                        return Err(ImageError::DigestMismatch {
                            what: format!("{}: {path}", self.name),
                            expected: d.digest.clone(),
                            actual: blob.digest.clone(),
                        });
                    }
                    self.layer_of(blob, d, Some(&diff_ids[i]))?
                }
                None => {
                    let mut l = self.layer_of(
                        blob,
                        Descriptor::new("", blob.digest.clone(), blob.size),
                        Some(&diff_ids[i]),
                    )?;
                    l.descriptor.media_type = l.compression.layer_media_type(true).to_string();
                    l
                }
            };
            if let Some(hex) = named_hex(path) {
                if hex != blob.digest.hex() && hex != layer.diff_id.hex() {
                    return Err(ImageError::DigestMismatch {
                        what: format!("{}: {path}", self.name),
                        expected: format!("sha256:{hex}")
                            .parse()
                            .map_err(|_| self.no_manifest())?,
                        actual: blob.digest.clone(),
                    });
                }
            }
            layers.push(layer);
        }
        let (manifest, manifest_digest) = match oci {
            Some((m, d)) => (m, Some(d)),
            None => (
                ImageManifest::new(
                    Descriptor::new(mt::DOCKER_CONFIG, cfg_blob.digest.clone(), cfg_blob.size),
                    layers.iter().map(|l| l.descriptor.clone()).collect(),
                    true,
                ),
                None,
            ),
        };
        Ok(Image {
            source: self.name.clone(),
            format: self.format(),
            repo_tags: summary.repo_tags.clone(),
            repo_digests: Vec::new(),
            parent: e.parent.clone().filter(|p| !p.is_empty()),
            id: cfg_blob.digest.clone(),
            config,
            config_bytes,
            manifest,
            manifest_digest,
            layers,
        })
    }

    /// In a Docker ≥ 25 archive, the OCI manifest whose config is `config`.
    /// The OCI manifest with this config whose layers are the blobs at
    /// `layers` (two manifests may share a config: the same image with its
    /// layers compressed differently).
    fn oci_manifest_for(
        &self,
        config: &Digest,
        layers: &[String],
    ) -> Option<(ImageManifest, Digest)> {
        let index = self.oci_index().ok()??;
        let mut queue: Vec<Descriptor> = index.manifests;
        let mut steps = 0;
        while let Some(d) = queue.pop() {
            steps += 1;
            if steps > 10_000 {
                break;
            }
            let Some(blob) = self.blob(&blob_path(&d.digest)) else {
                continue;
            };
            let BlobContent::Json(bytes) = &blob.content else {
                continue;
            };
            match Manifest::parse(bytes, Some(&d.media_type), &blob.path) {
                Ok(Manifest::Image(m))
                    if m.config.digest == *config
                        && m.layers.len() == layers.len()
                        && m.layers.iter().zip(layers).all(|(l, path)| {
                            self.blob(path).is_some_and(|b| b.digest == l.digest)
                        }) =>
                {
                    return Some((m, blob.digest.clone()))
                }
                Ok(Manifest::Index(i)) => queue.extend(i.manifests),
                _ => {}
            }
        }
        None
    }

    fn oci_image(
        &self,
        d: &Descriptor,
        referenced_by: &str,
        platform: Option<&Platform>,
        strict_platform: bool,
    ) -> Result<Image, ImageError> {
        let blob = self.described(d, referenced_by)?;
        let bytes = json_of(blob, "manifest")?;
        let what = format!("{}: {} ({})", self.name, blob.path, d.digest);
        match Manifest::parse(bytes, Some(&d.media_type), &what)? {
            Manifest::Index(index) => {
                let m = pick_platform(&index.manifests, platform, strict_platform, &what)?;
                self.oci_image(m, &what, platform, strict_platform)
            }
            Manifest::Image(m) => {
                let cfg_blob = self.described(&m.config, &what)?;
                let (config, config_bytes) = self.config_of(cfg_blob)?;
                if config.rootfs.diff_ids.len() != m.layers.len() {
                    return Err(ImageError::LayerCount {
                        what,
                        layers: m.layers.len(),
                        diff_ids: config.rootfs.diff_ids.len(),
                    });
                }
                let mut layers = Vec::new();
                for (i, l) in m.layers.iter().enumerate() {
                    let blob = self.described(l, &format!("{what} (layers[{i}])"))?;
                    layers.push(self.layer_of(
                        blob,
                        l.clone(),
                        Some(&config.rootfs.diff_ids[i]),
                    )?);
                }
                Ok(Image {
                    source: self.name.clone(),
                    format: self.format(),
                    repo_tags: Vec::new(),
                    repo_digests: Vec::new(),
                    parent: None,
                    id: m.config.digest.clone(),
                    config,
                    config_bytes,
                    manifest: m,
                    manifest_digest: Some(d.digest.clone()),
                    layers,
                })
            }
        }
    }
}

fn oci_tags(d: &Descriptor) -> Vec<String> {
    if let Some(name) = d.annotations.get(ANNOTATION_IMAGE_NAME) {
        return vec![familiar(name)];
    }
    match d.annotations.get(ANNOTATION_REF_NAME) {
        Some(r) if r.contains(':') || r.contains('/') => vec![familiar(r)],
        _ => Vec::new(),
    }
}

fn choose(summaries: &[ImageSummary], sel: &Selector, name: &str) -> Result<usize, ImageError> {
    let list = || {
        summaries
            .iter()
            .map(|s| {
                let mut names = s.repo_tags.clone();
                names.extend(s.ref_name.clone());
                if names.is_empty() {
                    format!("@{} (untagged)", s.index)
                } else {
                    format!("@{} ({})", s.index, names.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    if let Some(i) = sel.index {
        return if i < summaries.len() {
            Ok(i)
        } else {
            Err(ImageError::NoSuchImage {
                selector: format!("@{i}"),
                available: list(),
            })
        };
    }
    if let Some(r) = &sel.reference {
        let want = familiar(r);
        let found = summaries
            .iter()
            .position(|s| s.repo_tags.contains(&want) || s.ref_name.as_deref() == Some(r.as_str()));
        return found.ok_or_else(|| ImageError::NoSuchImage {
            selector: r.clone(),
            available: list(),
        });
    }
    match summaries.len() {
        0 => Err(ImageError::NoImage(format!("{name} holds no image"))),
        1 => Ok(0),
        _ => Err(ImageError::NoSuchImage {
            selector: format!("{name} (no image named; it holds {})", summaries.len()),
            available: format!("{} — add `:NAME:TAG` or `@INDEX` to choose one", list()),
        }),
    }
}

fn pick_platform<'a>(
    manifests: &'a [Descriptor],
    platform: Option<&Platform>,
    strict: bool,
    what: &str,
) -> Result<&'a Descriptor, ImageError> {
    // Attestation manifests (BuildKit's `unknown/unknown`) are not images.
    let images: Vec<&Descriptor> = manifests
        .iter()
        .filter(|d| {
            d.platform
                .as_ref()
                .is_none_or(|p| p.os != "unknown" && p.architecture != "unknown")
        })
        .collect();
    let available = || {
        images
            .iter()
            .map(|d| {
                d.platform
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "unspecified".into())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(want) = platform {
        if let Some(d) = images
            .iter()
            .find(|d| d.platform.as_ref().is_some_and(|p| p.matches(want)))
        {
            return Ok(d);
        }
        if strict {
            return Err(ImageError::NoSuchImage {
                selector: format!("platform {want} in {what}"),
                available: available(),
            });
        }
    }
    match images.as_slice() {
        [only] => Ok(only),
        [first, ..] if platform.is_none() => Ok(first),
        [] => Err(ImageError::NoImage(format!(
            "{what} lists no image manifests"
        ))),
        _ => Err(ImageError::NoSuchImage {
            selector: format!(
                "platform {} in {what}",
                platform.map(|p| p.to_string()).unwrap_or_default()
            ),
            available: format!("{} — choose one with --platform", available()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn familiar_names() {
        assert_eq!(
            familiar("docker.io/library/busybox:latest"),
            "busybox:latest"
        );
        assert_eq!(familiar("busybox"), "busybox:latest");
        assert_eq!(familiar("docker.io/me/app:1"), "me/app:1");
        assert_eq!(familiar("ghcr.io/o/r:2"), "ghcr.io/o/r:2");
        assert_eq!(
            familiar("bazel/v1/tarball:test_image_1"),
            "bazel/v1/tarball:test_image_1"
        );
    }
}
