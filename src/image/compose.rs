//! Assembling images from layers: configs, manifests and indexes in the OCI
//! or the Docker flavour, without touching any storage.
//!
//! ```text
//! layers (blob descriptor + diff id) ─┐
//! ImageConfig (history, rootfs) ──────┼─▶ Assembled { config bytes, manifest bytes, descriptors }
//! tags ───────────────────────────────┘        └─▶ index entries (ref.name annotations)
//! ```
//!
//! The image id Docker shows is the config's digest; the manifest's digest
//! is what registries and OCI layouts name the image by. Both are fixed by
//! the bytes made here, which are canonical: the same inputs give the same
//! digests (`serde_json` with struct field order, maps sorted).

use std::collections::BTreeMap;

use crate::oci::media_type as mt;
use crate::oci::{
    Descriptor, Digest, History, ImageConfig, ImageIndex, ImageManifest, Platform, Reference,
    RootFs, ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME,
};

/// Which family of media types to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    /// `application/vnd.oci.image.*`: what OCI layouts and most registries
    /// expect today.
    #[default]
    Oci,
    /// `application/vnd.docker.*`: schema 2, for old registries and tools.
    Docker,
}

impl Flavour {
    pub fn is_docker(self) -> bool {
        self == Flavour::Docker
    }

    pub fn config_media_type(self) -> &'static str {
        match self {
            Flavour::Oci => mt::OCI_CONFIG,
            Flavour::Docker => mt::DOCKER_CONFIG,
        }
    }

    pub fn manifest_media_type(self) -> &'static str {
        match self {
            Flavour::Oci => mt::OCI_MANIFEST,
            Flavour::Docker => mt::DOCKER_MANIFEST,
        }
    }
}

/// Why an image cannot be assembled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssembleError {
    #[error("the config lists {diff_ids} layers (rootfs.diff_ids) but {layers} layer blobs were given: each layer needs both its blob descriptor and its diff id")]
    LayerCount { diff_ids: usize, layers: usize },
    #[error(
        "layer {index} ({digest}) has media type {media_type:?}, which is not a layer media type"
    )]
    NotALayer {
        index: usize,
        digest: Digest,
        media_type: String,
    },
    #[error("the image config has no {field}: set it (for example `linux` and `amd64`)")]
    MissingPlatform { field: &'static str },
}

/// A layer to add: the blob as stored (maybe compressed) and the digest of
/// its uncompressed tar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub descriptor: Descriptor,
    pub diff_id: Digest,
}

/// An image made of bytes: config and manifest, with their descriptors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled {
    pub config: Vec<u8>,
    pub config_descriptor: Descriptor,
    pub manifest: Vec<u8>,
    pub manifest_descriptor: Descriptor,
}

impl Assembled {
    /// The image id as `docker images` shows it: the config digest.
    pub fn id(&self) -> &Digest {
        &self.config_descriptor.digest
    }
}

/// A config for an empty image (`FROM scratch`) on `platform`.
pub fn empty_config(platform: &Platform) -> ImageConfig {
    ImageConfig {
        architecture: platform.architecture.clone(),
        os: platform.os.clone(),
        variant: platform.variant.clone(),
        os_version: platform.os_version.clone(),
        rootfs: RootFs::default(),
        ..ImageConfig::default()
    }
}

/// Adds a layer to the config: its diff id to `rootfs` and a history entry.
pub fn append_layer(config: &mut ImageConfig, diff_id: Digest, history: History) {
    config.rootfs.diff_ids.push(diff_id);
    config.history.push(History {
        empty_layer: false,
        ..history
    });
}

/// Records a step that changed only the config (`ENV`, `CMD`, …).
pub fn append_empty_history(config: &mut ImageConfig, history: History) {
    config.history.push(History {
        empty_layer: true,
        ..history
    });
}

/// The config and manifest bytes for `config` over `layers`.
///
/// The layer count must match `rootfs.diff_ids`; the manifest's media
/// types follow `flavour` for the manifest and config, while each layer
/// keeps the media type of its descriptor.
pub fn assemble(
    config: &ImageConfig,
    layers: &[Descriptor],
    flavour: Flavour,
) -> Result<Assembled, AssembleError> {
    if config.rootfs.diff_ids.len() != layers.len() {
        return Err(AssembleError::LayerCount {
            diff_ids: config.rootfs.diff_ids.len(),
            layers: layers.len(),
        });
    }
    if config.os.is_empty() {
        return Err(AssembleError::MissingPlatform { field: "os" });
    }
    if config.architecture.is_empty() {
        return Err(AssembleError::MissingPlatform {
            field: "architecture",
        });
    }
    for (index, l) in layers.iter().enumerate() {
        if !mt::is_layer(&l.media_type) {
            return Err(AssembleError::NotALayer {
                index,
                digest: l.digest.clone(),
                media_type: l.media_type.clone(),
            });
        }
    }
    let config_bytes = config.to_bytes();
    let config_descriptor = Descriptor::new(
        flavour.config_media_type(),
        Digest::sha256(&config_bytes),
        config_bytes.len() as u64,
    );
    let layers = layers
        .iter()
        .map(|l| {
            let mut l = l.clone();
            l.media_type = layer_media_type_for(&l.media_type, flavour).to_string();
            l
        })
        .collect();
    let manifest = ImageManifest::new(config_descriptor.clone(), layers, flavour.is_docker());
    let manifest_bytes = manifest.to_bytes();
    let mut manifest_descriptor = Descriptor::new(
        flavour.manifest_media_type(),
        Digest::sha256(&manifest_bytes),
        manifest_bytes.len() as u64,
    );
    manifest_descriptor.platform = Some(config.platform());
    Ok(Assembled {
        config: config_bytes,
        config_descriptor,
        manifest: manifest_bytes,
        manifest_descriptor,
    })
}

/// A layer media type in the other flavour, keeping its compression
/// (`…rootfs.diff.tar.gzip` ⇄ `…layer.v1.tar+gzip`); foreign and
/// non-distributable layers keep theirs.
pub fn layer_media_type_for(media_type: &str, flavour: Flavour) -> &str {
    match media_type {
        mt::OCI_LAYER
        | mt::OCI_LAYER_GZIP
        | mt::OCI_LAYER_ZSTD
        | mt::DOCKER_LAYER
        | mt::DOCKER_LAYER_GZIP
        | mt::DOCKER_LAYER_ZSTD => {
            crate::oci::Compression::of_media_type(media_type).layer_media_type(flavour.is_docker())
        }
        other => other,
    }
}

/// An index (OCI image index or Docker manifest list) over manifests.
pub fn index(manifests: Vec<Descriptor>, flavour: Flavour) -> ImageIndex {
    ImageIndex::new(manifests, flavour.is_docker())
}

/// How a tag is written in an index entry's annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefNameStyle {
    /// `org.opencontainers.image.ref.name` is the full reference
    /// (`docker.io/library/busybox:latest`): unique in a store, and what
    /// `skopeo … oci:DIR:NAME` matches.
    Full,
    /// As Docker ≥ 25 writes archives: `ref.name` is the tag alone and
    /// `io.containerd.image.name` the full reference.
    Docker,
}

/// The index entries naming `manifest` by each of `tags` (one entry per
/// tag), or a single untagged entry when there are none.
pub fn tagged_entries(
    manifest: &Descriptor,
    tags: &[Reference],
    style: RefNameStyle,
) -> Vec<Descriptor> {
    if tags.is_empty() {
        let mut d = manifest.clone();
        d.annotations.remove(ANNOTATION_REF_NAME);
        d.annotations.remove(ANNOTATION_IMAGE_NAME);
        return vec![d];
    }
    tags.iter()
        .map(|t| {
            let mut d = manifest.clone();
            let full = t.to_string();
            match style {
                RefNameStyle::Full => {
                    d.annotations.insert(ANNOTATION_REF_NAME.into(), full);
                }
                RefNameStyle::Docker => {
                    d.annotations.insert(ANNOTATION_IMAGE_NAME.into(), full);
                    if let Some(tag) = &t.tag {
                        d.annotations
                            .insert(ANNOTATION_REF_NAME.into(), tag.clone());
                    }
                }
            }
            d
        })
        .collect()
}

/// Replaces the tags of `manifest` in `index`: every entry for it is
/// removed, then one entry per tag added. Entries of other manifests that
/// carried one of `tags` lose that name (a tag names one image).
pub fn retag(index: &mut ImageIndex, manifest: &Descriptor, tags: &[Reference]) {
    let names: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    let mut orphaned: Vec<Descriptor> = Vec::new();
    index.manifests.retain(|d| {
        let keep = d.digest != manifest.digest
            && d.ref_name().is_none_or(|n| !names.iter().any(|x| x == n));
        if !keep && d.digest != manifest.digest {
            orphaned.push(d.clone());
        }
        keep
    });
    // An image that lost its last name stays, untagged ("dangling").
    for d in orphaned {
        if !index.manifests.iter().any(|m| m.digest == d.digest) {
            index
                .manifests
                .extend(tagged_entries(&d, &[], RefNameStyle::Full));
        }
    }
    index
        .manifests
        .extend(tagged_entries(manifest, tags, RefNameStyle::Full));
}

/// The config of `base` with all its layers replaced by one layer whose
/// uncompressed digest is `diff_id`: history collapses into one entry.
pub fn squash_config(base: &ImageConfig, diff_id: Digest, history: History) -> ImageConfig {
    let mut c = base.clone();
    c.rootfs = RootFs {
        kind: "layers".into(),
        diff_ids: vec![diff_id],
    };
    c.history = vec![History {
        empty_layer: false,
        ..history
    }];
    c
}

/// Annotations as `BTreeMap`, for building descriptors in one expression.
pub fn annotations<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub use super::units::format_rfc3339;

/// Parses RFC 3339 (`2023-05-02T16:49:27.123456789Z`, `…+02:00`) to seconds
/// since the epoch; fractions are dropped.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    super::units::parse_rfc3339(s).map(|t| t.unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(n: u8) -> Layer {
        let data = vec![n; 10];
        Layer {
            descriptor: Descriptor::new(mt::OCI_LAYER_GZIP, Digest::sha256(&data), 10),
            diff_id: Digest::sha256(&[n]),
        }
    }

    #[test]
    fn assembles_the_same_bytes_for_the_same_input() {
        let mut c = empty_config(&"linux/amd64".parse().unwrap());
        let l = layer(1);
        append_layer(
            &mut c,
            l.diff_id.clone(),
            History {
                created_by: Some("import".into()),
                ..History::default()
            },
        );
        let a = assemble(&c, std::slice::from_ref(&l.descriptor), Flavour::Oci).unwrap();
        let b = assemble(
            &c.clone(),
            std::slice::from_ref(&l.descriptor),
            Flavour::Oci,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.config_descriptor.digest, Digest::sha256(&a.config));
        let m: ImageManifest = serde_json::from_slice(&a.manifest).unwrap();
        assert_eq!(m.config.digest, *a.id());
        assert_eq!(m.layers[0].media_type, mt::OCI_LAYER_GZIP);

        let d = assemble(&c, &[l.descriptor], Flavour::Docker).unwrap();
        let m: ImageManifest = serde_json::from_slice(&d.manifest).unwrap();
        assert_eq!(m.media_type.as_deref(), Some(mt::DOCKER_MANIFEST));
        assert_eq!(m.config.media_type, mt::DOCKER_CONFIG);
        assert_eq!(m.layers[0].media_type, mt::DOCKER_LAYER_GZIP);
        assert_eq!(d.id(), a.id(), "the config bytes do not depend on flavour");
    }

    #[test]
    fn refuses_mismatched_layers() {
        let c = empty_config(&"linux/amd64".parse().unwrap());
        let e = assemble(&c, &[layer(1).descriptor], Flavour::Oci).unwrap_err();
        assert_eq!(
            e,
            AssembleError::LayerCount {
                diff_ids: 0,
                layers: 1
            }
        );
        assert!(e.to_string().contains("diff id"));
    }

    #[test]
    fn retag_moves_names_between_images() {
        let a = Descriptor::new(mt::OCI_MANIFEST, Digest::sha256(b"a"), 1);
        let b = Descriptor::new(mt::OCI_MANIFEST, Digest::sha256(b"b"), 1);
        let t = |s: &str| Reference::parse_with_default_tag(s).unwrap();
        let mut idx = index(Vec::new(), Flavour::Oci);
        retag(&mut idx, &a, &[t("x"), t("y:1")]);
        assert_eq!(idx.manifests.len(), 2);
        retag(&mut idx, &b, &[t("x")]);
        let names: Vec<_> = idx
            .manifests
            .iter()
            .map(|d| (d.digest == a.digest, d.ref_name().unwrap_or("").to_string()))
            .collect();
        assert_eq!(
            names,
            [
                (true, "docker.io/library/y:1".to_string()),
                (false, "docker.io/library/x:latest".to_string())
            ]
        );
        // y:1 moves too: `a` has no name left and stays, untagged.
        retag(&mut idx, &b, &[t("x"), t("y:1")]);
        assert_eq!(idx.manifests.len(), 3);
        assert!(idx
            .manifests
            .iter()
            .any(|d| d.digest == a.digest && d.ref_name().is_none()));
    }

    #[test]
    fn rfc3339_round_trips() {
        for s in [0, 1_700_000_000, 951_782_400, -86_400] {
            assert_eq!(parse_rfc3339(&format_rfc3339(s)), Some(s));
        }
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_rfc3339("2023-05-02T16:49:27.123456789Z"),
            Some(1_683_046_167)
        );
        assert_eq!(
            parse_rfc3339("2023-05-02T18:49:27+02:00"),
            Some(1_683_046_167)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
