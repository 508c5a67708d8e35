//! wasm exports for assembling images from layers the page already has:
//! `assembleImage`, `mutateConfig`, `retag`, `writeDockerArchive`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{from_js, to_js};

#[wasm_bindgen(typescript_custom_section)]
const TS_ASSEMBLE_TYPES: &str = r#"
/** A layer blob to put in an image: as stored (maybe compressed), and the digest of its uncompressed tar. */
export interface LayerInput {
    mediaType: string;
    digest: string;
    size: number;
    /** `rootfs.diff_ids` entry: sha256 of the uncompressed tar. Needed unless the config already lists the layers. */
    diffId?: string;
    /** History entry for the layer (`created_by`). */
    createdBy?: string;
    comment?: string;
}

/** What `assembleImage` takes. */
export interface AssembleInput {
    /** The image config (Docker field names: `architecture`, `os`, `config.Cmd`, …); `rootfs`/`history` filled from `layers` when empty. Default: an empty linux/amd64 config. */
    config?: Record<string, unknown>;
    layers: LayerInput[];
    /** `oci` (default) or `docker` (schema 2) media types. */
    flavour?: "oci" | "docker";
    /** RFC 3339 creation time for the config and the layers' history entries. */
    created?: string;
}

/** An assembled image: exact JSON texts (their UTF-8 bytes are what the digests name) and descriptors. */
export interface AssembledImage {
    /** The image id, as `docker images` shows it: the config digest. */
    id: string;
    config: string;
    configDescriptor: Descriptor;
    manifest: string;
    manifestDescriptor: Descriptor;
}

/** One image for `writeDockerArchive`. */
export interface ArchiveImageInput {
    /** The manifest's exact JSON text. */
    manifest: string;
    /** The config's exact JSON text. */
    config: string;
    /** Names: `busybox:latest`, `ghcr.io/o/app:1`. */
    tags?: string[];
}

/** A piece of an archive: bytes to emit, or a whole blob the caller streams in (exactly `blob.size` bytes). */
export type ArchivePart = Uint8Array | { blob: Descriptor };

/** An OCI image index (an OCI layout's index.json). */
export interface ImageIndex {
    schemaVersion: number;
    mediaType?: string;
    manifests: Descriptor[];
    annotations?: Record<string, string>;
}
"#;

/// A required argument read through its JSON form.
fn required<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    from_js(value, what)?.ok_or_else(|| JsError::new(&format!("{what}: missing")))
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayerInput {
    media_type: String,
    digest: crate::oci::Digest,
    size: u64,
    #[serde(default)]
    diff_id: Option<crate::oci::Digest>,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssembleInput {
    #[serde(default)]
    config: Option<crate::oci::ImageConfig>,
    layers: Vec<LayerInput>,
    #[serde(default)]
    flavour: crate::image::Flavour,
    #[serde(default)]
    created: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssembledJs {
    id: String,
    config: String,
    config_descriptor: crate::oci::Descriptor,
    manifest: String,
    manifest_descriptor: crate::oci::Descriptor,
}

/// Builds an image's config and manifest from layer blobs the caller has:
/// `{config?, layers, flavour?, created?}` → `{id, config, configDescriptor,
/// manifest, manifestDescriptor}`.
#[wasm_bindgen(js_name = assembleImage, unchecked_return_type = "AssembledImage")]
pub fn assemble_image(
    #[wasm_bindgen(unchecked_param_type = "AssembleInput")] input: JsValue,
) -> Result<JsValue, JsError> {
    use crate::image::compose;
    let input: AssembleInput = required(input, "assembleImage")?;
    let mut config = input.config.unwrap_or_else(|| {
        compose::empty_config(&crate::oci::Platform::new("linux", "amd64", None))
    });
    if let Some(c) = &input.created {
        config.created = Some(c.clone());
    }
    if config.rootfs.diff_ids.is_empty() {
        for (i, l) in input.layers.iter().enumerate() {
            let diff_id = l.diff_id.clone().ok_or_else(|| {
                JsError::new(&format!(
                    "assembleImage: layer {i} ({}) has no diffId and the config lists no layers",
                    l.digest
                ))
            })?;
            compose::append_layer(
                &mut config,
                diff_id,
                crate::oci::History {
                    created: input.created.clone(),
                    created_by: l.created_by.clone(),
                    comment: l.comment.clone(),
                    ..Default::default()
                },
            );
        }
    }
    let layers: Vec<crate::oci::Descriptor> = input
        .layers
        .iter()
        .map(|l| crate::oci::Descriptor::new(l.media_type.clone(), l.digest.clone(), l.size))
        .collect();
    let a = compose::assemble(&config, &layers, input.flavour).map_err(js_err)?;
    to_js(&AssembledJs {
        id: a.id().to_string(),
        config: String::from_utf8_lossy(&a.config).into_owned(),
        config_descriptor: a.config_descriptor,
        manifest: String::from_utf8_lossy(&a.manifest).into_owned(),
        manifest_descriptor: a.manifest_descriptor,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct MutateOptions {
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    created: Option<String>,
}

/// Applies Dockerfile instructions to a config, as `docker commit
/// --change` does: `mutateConfig(config, ["ENV A=1", "CMD [\"sh\"]"],
/// {author?, created?})` → the new config.
#[wasm_bindgen(js_name = mutateConfig, unchecked_return_type = "Record<string, unknown>")]
pub fn mutate_config(
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] config: JsValue,
    changes: Vec<String>,
    #[wasm_bindgen(unchecked_param_type = "{ author?: string; created?: string }")]
    options: JsValue,
) -> Result<JsValue, JsError> {
    let mut config: crate::oci::ImageConfig = required(config, "mutateConfig: config")?;
    let options: MutateOptions = if options.is_undefined() || options.is_null() {
        MutateOptions::default()
    } else {
        required(options, "mutateConfig: options")?
    };
    crate::image::apply_changes(&mut config, &changes).map_err(js_err)?;
    if let Some(a) = options.author {
        config.author = Some(a);
    }
    if let Some(c) = options.created {
        config.created = Some(c);
    }
    to_js(&config)
}

/// Names a manifest in an OCI index by `tags` (full references): entries
/// for it are replaced, a name another manifest had moves, and a manifest
/// left without names stays untagged. Returns the new index.
#[wasm_bindgen(js_name = retag, unchecked_return_type = "ImageIndex")]
pub fn retag(
    #[wasm_bindgen(unchecked_param_type = "ImageIndex")] index: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Descriptor")] manifest: JsValue,
    tags: Vec<String>,
) -> Result<JsValue, JsError> {
    let mut index: crate::oci::ImageIndex = required(index, "retag: index")?;
    let manifest: crate::oci::Descriptor = required(manifest, "retag: manifest")?;
    let tags = tags
        .iter()
        .map(|t| crate::oci::Reference::parse_with_default_tag(t).map_err(js_err))
        .collect::<Result<Vec<_>, _>>()?;
    crate::image::compose::retag(&mut index, &manifest, &tags);
    to_js(&index)
}

#[derive(serde::Deserialize)]
struct ArchiveImageInput {
    manifest: String,
    config: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Serialize)]
struct BlobPart<'a> {
    blob: &'a crate::oci::Descriptor,
}

/// Lays out a docker-archive (Docker ≥ 25 shape: `docker load` and OCI
/// tools read it) or, with `format: "oci-archive"`, an oci-archive, as
/// parts: bytes, and `{blob}` placeholders the caller fills by streaming
/// the layer blobs it has (`new Blob(parts…)` in a browser streams files
/// straight into a download). Nothing is held but metadata.
#[wasm_bindgen(js_name = writeDockerArchive, unchecked_return_type = "ArchivePart[]")]
pub fn write_docker_archive(
    #[wasm_bindgen(unchecked_param_type = "ArchiveImageInput[]")] images: JsValue,
    #[wasm_bindgen(unchecked_param_type = "{ format?: \"docker-archive\" | \"oci-archive\" }")]
    options: JsValue,
) -> Result<js_sys::Array, JsError> {
    use crate::image::{ArchiveFormat, ArchiveImage, Part};
    let images: Vec<ArchiveImageInput> = required(images, "writeDockerArchive: images")?;
    let format = if options.is_object() {
        match js_sys::Reflect::get(&options, &JsValue::from_str("format"))
            .ok()
            .and_then(|v| v.as_string())
            .as_deref()
        {
            None | Some("docker-archive") => ArchiveFormat::DockerArchive,
            Some("oci-archive") => ArchiveFormat::OciArchive,
            Some(other) => {
                return Err(JsError::new(&format!(
                    "writeDockerArchive: unknown format {other:?}: use \"docker-archive\" or \"oci-archive\""
                )))
            }
        }
    } else {
        ArchiveFormat::DockerArchive
    };
    let mut list = Vec::new();
    for (i, img) in images.into_iter().enumerate() {
        let manifest = img.manifest.into_bytes();
        let parsed =
            crate::oci::Manifest::parse(&manifest, None, &format!("image {i}")).map_err(js_err)?;
        let media_type = parsed.media_type().to_string();
        let descriptor = crate::oci::Descriptor::new(
            media_type,
            crate::oci::Digest::sha256(&manifest),
            manifest.len() as u64,
        );
        let tags = img
            .tags
            .iter()
            .map(|t| crate::oci::Reference::parse_with_default_tag(t).map_err(js_err))
            .collect::<Result<Vec<_>, _>>()?;
        list.push(
            ArchiveImage::new(manifest, descriptor, img.config.into_bytes(), tags)
                .map_err(js_err)?,
        );
    }
    let parts = crate::image::archive_parts(&list, format).map_err(js_err)?;
    let out = js_sys::Array::new();
    for p in &parts {
        match p {
            Part::Bytes(b) => {
                out.push(&js_sys::Uint8Array::from(&b[..]));
            }
            Part::Blob(d) => {
                out.push(&to_js(&BlobPart { blob: d })?);
            }
        }
    }
    Ok(out)
}
