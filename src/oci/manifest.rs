//! Image manifests and indexes, OCI and Docker flavours.
//!
//! ```text
//! index (OCI image index / Docker manifest list)
//!  └─ manifests[]: descriptor + platform ──▶ image manifest
//!                                            ├─ config: descriptor ──▶ image config JSON
//!                                            └─ layers[]: descriptor ──▶ tar (+gzip/+zstd)
//! ```
//!
//! Specs: <https://github.com/opencontainers/image-spec/blob/main/manifest.md>,
//! <https://github.com/opencontainers/image-spec/blob/main/image-index.md>,
//! <https://distribution.github.io/distribution/spec/manifest-v2-2/>.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::descriptor::Descriptor;
use super::digest::Digest;
use super::media_type::{self as mt, Kind};

/// Why bytes are not a usable manifest.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    #[error("{what} is not valid JSON: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{what} is a Docker schema 1 manifest, which is deprecated and not supported: push the image again with a current Docker or convert it with `skopeo copy --format v2s2`")]
    Schema1 { what: String },
    #[error(
        "{what} has media type {media_type:?}, which is neither an image manifest nor an index"
    )]
    NotAManifest { what: String, media_type: String },
    #[error("{what} has schemaVersion {version}; only 2 is supported")]
    SchemaVersion { what: String, version: u64 },
}

/// An image manifest: a config and layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub schema_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An index: manifests for several platforms (or several images).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    pub schema_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// `null` in some producers' output reads as empty.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Descriptor>, D::Error> {
    Ok(Option::<Vec<Descriptor>>::deserialize(d)?.unwrap_or_default())
}

/// A manifest of either kind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Manifest {
    Image(ImageManifest),
    Index(ImageIndex),
}

impl Manifest {
    /// Parses manifest bytes. `content_type` is the media type the bytes
    /// were served or described with, if known; the document's own
    /// `mediaType` and shape decide otherwise. `what` names the source in
    /// errors (a file, a reference, a digest).
    pub fn parse(
        bytes: &[u8],
        content_type: Option<&str>,
        what: &str,
    ) -> Result<Manifest, ManifestError> {
        let json = |source| ManifestError::Json {
            what: what.to_string(),
            source,
        };
        let probe: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(bytes).map_err(json)?;
        let schema_version = probe.get("schemaVersion").and_then(|v| v.as_u64());
        let declared = probe
            .get("mediaType")
            .and_then(|v| v.as_str())
            .or(content_type.filter(|t| mt::kind(t) != Kind::Other))
            .unwrap_or("");
        if mt::kind(declared) == Kind::Schema1 && declared != "application/json"
            || schema_version == Some(1)
            || probe.contains_key("fsLayers")
        {
            return Err(ManifestError::Schema1 {
                what: what.to_string(),
            });
        }
        if let Some(v) = schema_version.filter(|v| *v != 2) {
            return Err(ManifestError::SchemaVersion {
                what: what.to_string(),
                version: v,
            });
        }
        let kind = match mt::kind(declared) {
            Kind::Index => Kind::Index,
            Kind::Manifest => Kind::Manifest,
            _ if probe.contains_key("manifests") => Kind::Index,
            _ if probe.contains_key("config") => Kind::Manifest,
            _ => {
                return Err(ManifestError::NotAManifest {
                    what: what.to_string(),
                    media_type: declared.to_string(),
                })
            }
        };
        Ok(match kind {
            Kind::Index => Manifest::Index(serde_json::from_slice(bytes).map_err(json)?),
            _ => Manifest::Image(serde_json::from_slice(bytes).map_err(json)?),
        })
    }

    /// The media type the manifest declares, or the OCI one for its kind.
    pub fn media_type(&self) -> &str {
        match self {
            Manifest::Image(m) => m.media_type.as_deref().unwrap_or(mt::OCI_MANIFEST),
            Manifest::Index(i) => i.media_type.as_deref().unwrap_or(mt::OCI_INDEX),
        }
    }
}

impl ImageManifest {
    /// A schema-2 manifest of `config` and `layers`, OCI or Docker flavour.
    pub fn new(config: Descriptor, layers: Vec<Descriptor>, docker: bool) -> ImageManifest {
        ImageManifest {
            schema_version: 2,
            media_type: Some(
                if docker {
                    mt::DOCKER_MANIFEST
                } else {
                    mt::OCI_MANIFEST
                }
                .to_string(),
            ),
            artifact_type: None,
            config,
            layers,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    /// Canonical bytes for writing (the digest is over these bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Digests of the layers, in order.
    pub fn layer_digests(&self) -> Vec<&Digest> {
        self.layers.iter().map(|l| &l.digest).collect()
    }
}

impl ImageIndex {
    pub fn new(manifests: Vec<Descriptor>, docker: bool) -> ImageIndex {
        ImageIndex {
            schema_version: 2,
            media_type: Some(
                if docker {
                    mt::DOCKER_MANIFEST_LIST
                } else {
                    mt::OCI_INDEX
                }
                .to_string(),
            ),
            artifact_type: None,
            manifests,
            subject: None,
            annotations: BTreeMap::new(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMAGE: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":32654,"digest":"sha256:e692418e4cbaf90ca69d05a66403747baa33ee08806650b51fab815ad7fc331f"}]}"#;

    #[test]
    fn parses_docker_manifest() {
        let Manifest::Image(m) = Manifest::parse(IMAGE.as_bytes(), None, "test").unwrap() else {
            panic!()
        };
        assert_eq!(m.layers.len(), 1);
        assert_eq!(m.config.size, 7023);
    }

    #[test]
    fn parses_index_without_media_type_and_null_manifests() {
        let Manifest::Index(i) =
            Manifest::parse(br#"{"schemaVersion":2,"manifests":null}"#, None, "t").unwrap()
        else {
            panic!()
        };
        assert!(i.manifests.is_empty());
    }

    #[test]
    fn refuses_schema1_clearly() {
        let e = Manifest::parse(
            br#"{"schemaVersion":1,"name":"x","fsLayers":[]}"#,
            None,
            "docker.io/x:1",
        )
        .unwrap_err();
        assert!(e.to_string().contains("schema 1"), "{e}");
        assert!(e.to_string().contains("docker.io/x:1"));
    }

    #[test]
    fn rejects_non_manifests() {
        assert!(matches!(
            Manifest::parse(b"[1]", None, "t"),
            Err(ManifestError::Json { .. })
        ));
        assert!(matches!(
            Manifest::parse(br#"{"schemaVersion":2}"#, None, "t"),
            Err(ManifestError::NotAManifest { .. })
        ));
    }
}
