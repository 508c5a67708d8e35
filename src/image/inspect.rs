//! `docker image inspect`: the same JSON fields in the same order as the
//! daemon prints them, plus what an archive knows and the daemon does not
//! show (the manifest, its media types, per-layer digests and sizes).
//!
//! `Config` and `ContainerConfig` are rebuilt as Docker's `container.Config`
//! struct marshals: every field present (zero values as `""`, `false`,
//! `null`), `omitempty` fields only when set.

use serde::Serialize;
use serde_json::{Map, Value};

use super::units::{format_rfc3339_nano, parse_rfc3339};
use super::Image;
use crate::oci::{Compression, Descriptor, Digest, ImageManifest};

/// What `layerkit inspect` prints for one image.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Inspect {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub parent: String,
    pub comment: String,
    pub created: String,
    pub container: String,
    pub container_config: Value,
    pub docker_version: String,
    pub author: String,
    pub config: Value,
    pub architecture: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub variant: String,
    pub os: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub os_version: String,
    pub size: u64,
    pub virtual_size: u64,
    #[serde(rename = "RootFS")]
    pub root_fs: RootFs,
    /// Not in docker's output: the manifest as the archive has it (or as
    /// synthesised for a legacy docker-archive).
    pub manifest: ManifestInfo,
    /// Not in docker's output: each layer's descriptor and what reading it
    /// found.
    pub layers: Vec<LayerInfoJson>,
    /// Not in docker's output: where the image was read from.
    pub source: SourceInfo,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootFs {
    #[serde(rename = "Type")]
    pub kind: String,
    pub layers: Vec<Digest>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManifestInfo {
    pub media_type: String,
    /// `null` when the archive has no manifest blob (legacy docker-archive).
    pub digest: Option<Digest>,
    pub config_media_type: String,
    pub layer_media_types: Vec<String>,
    pub manifest: ImageManifest,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerInfoJson {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(rename = "DiffID")]
    pub diff_id: Digest,
    pub uncompressed_size: u64,
    /// Detected from the bytes.
    pub compression: Compression,
    pub files: usize,
    /// Where the layer is in the archive.
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceInfo {
    pub name: String,
    pub format: String,
}

/// Docker's `container.Config` fields in order; `true` = `omitempty`.
const CONTAINER_CONFIG: &[(&str, bool, Zero)] = &[
    ("Hostname", false, Zero::Str),
    ("Domainname", false, Zero::Str),
    ("User", false, Zero::Str),
    ("AttachStdin", false, Zero::False),
    ("AttachStdout", false, Zero::False),
    ("AttachStderr", false, Zero::False),
    ("ExposedPorts", true, Zero::Null),
    ("Tty", false, Zero::False),
    ("OpenStdin", false, Zero::False),
    ("StdinOnce", false, Zero::False),
    ("Env", false, Zero::Null),
    ("Cmd", false, Zero::Null),
    ("Healthcheck", true, Zero::Null),
    ("ArgsEscaped", true, Zero::False),
    ("Image", false, Zero::Str),
    ("Volumes", false, Zero::Null),
    ("WorkingDir", false, Zero::Str),
    ("Entrypoint", false, Zero::Null),
    ("NetworkDisabled", true, Zero::False),
    ("MacAddress", true, Zero::Str),
    ("OnBuild", false, Zero::Null),
    ("Labels", false, Zero::Null),
    ("StopSignal", true, Zero::Str),
    ("StopTimeout", true, Zero::Null),
    ("Shell", true, Zero::Null),
];

#[derive(Clone, Copy)]
enum Zero {
    Str,
    False,
    Null,
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
    }
}

/// A config object as Docker re-marshals it. Keys stay sorted (the JSON
/// object model here is sorted); values and presence follow Docker.
fn docker_container_config(raw: Option<&Value>, always: bool) -> Value {
    let empty = Map::new();
    let raw = match raw {
        Some(Value::Object(raw)) => raw,
        // `Config` is a pointer in Docker's image struct (null when absent),
        // `ContainerConfig` a value (all zero fields when absent).
        _ if always => &empty,
        _ => return Value::Null,
    };
    let mut out = Map::new();
    for (name, omitempty, zero) in CONTAINER_CONFIG {
        // Go's JSON decoding matches keys case-insensitively.
        let v = raw
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone());
        match v {
            Some(v) if *omitempty && is_empty(&v) => {}
            Some(v) => {
                out.insert(name.to_string(), v);
            }
            None if *omitempty => {}
            None => {
                out.insert(
                    name.to_string(),
                    match zero {
                        Zero::Str => Value::String(String::new()),
                        Zero::False => Value::Bool(false),
                        Zero::Null => Value::Null,
                    },
                );
            }
        }
    }
    Value::Object(out)
}

/// The `docker image inspect` view of `image`.
pub fn inspect(image: &Image) -> Inspect {
    let raw: Value = serde_json::from_slice(&image.config_bytes).unwrap_or(Value::Null);
    let field = |k: &str| raw.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let created = raw
        .get("created")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)
        .map(format_rfc3339_nano)
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".into());
    let size = image.layers.iter().map(|l| l.docker_size()).sum();
    let m = &image.manifest;
    Inspect {
        id: image.id.to_string(),
        repo_tags: image.repo_tags.clone(),
        repo_digests: image.repo_digests.clone(),
        parent: image.parent.clone().unwrap_or_default(),
        comment: field("comment"),
        created,
        container: field("container"),
        container_config: docker_container_config(raw.get("container_config"), true),
        docker_version: field("docker_version"),
        author: field("author"),
        config: docker_container_config(raw.get("config"), false),
        architecture: image.config.architecture.clone(),
        variant: image.config.variant.clone().unwrap_or_default(),
        os: image.config.os.clone(),
        os_version: image.config.os_version.clone().unwrap_or_default(),
        size,
        virtual_size: size,
        root_fs: RootFs {
            kind: image.config.rootfs.kind.clone(),
            layers: image.config.rootfs.diff_ids.clone(),
        },
        manifest: ManifestInfo {
            media_type: m
                .media_type
                .clone()
                .unwrap_or_else(|| crate::oci::media_type::OCI_MANIFEST.into()),
            digest: image.manifest_digest.clone(),
            config_media_type: m.config.media_type.clone(),
            layer_media_types: m.layers.iter().map(|l| l.media_type.clone()).collect(),
            manifest: m.clone(),
        },
        layers: image
            .layers
            .iter()
            .map(|l| LayerInfoJson {
                media_type: l.descriptor.media_type.clone(),
                digest: l.descriptor.digest.clone(),
                size: l.descriptor.size,
                diff_id: l.diff_id.clone(),
                uncompressed_size: l.uncompressed_size,
                compression: l.compression,
                files: l.info.files.len(),
                path: l.path.clone(),
            })
            .collect(),
        source: SourceInfo {
            name: image.source.clone(),
            format: image.format.to_string(),
        },
    }
}

/// The config descriptor of the image.
pub fn config_descriptor(image: &Image) -> &Descriptor {
    &image.manifest.config
}
