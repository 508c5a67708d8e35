//! The npm package's API: thin wasm-bindgen wrappers. Each export converts
//! its arguments, calls one core function and converts the result to plain
//! JS objects (camelCase fields, `null` for absent values).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::dockerfile::{self, Diagnostic, Directive, NodeJson};

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

// The TypeScript shapes of what the exports return, emitted into every
// target's generated .d.ts. Keep them in step with the serde structs they
// describe (tests/node/package.test.mjs compares both against real results).
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** A position in the source: 1-based line and column (columns count characters, not bytes). */
export interface Pos {
    line: number;
    col: number;
}

/** A range of source text, from `start` up to (not including) `end`. */
export interface Span {
    start: Pos;
    end: Pos;
}

/** A heredoc body read by an instruction (`RUN <<EOF`). */
export interface Heredoc {
    /** The delimiter word, quotes removed. */
    name: string;
    /** The body, each line with its line ending, without the delimiter line. */
    content: string;
    /** `3<<EOF` gives 3; `<<EOF` gives 0. */
    fileDescriptor: number;
}

/** One instruction, with the fields of BuildKit's parser node. */
export interface Instruction {
    /** The keyword, upper case (`RUN`). */
    cmd: string;
    /** `ONBUILD`'s trigger keyword, upper case; `null` for other instructions. */
    subCmd: string | null;
    /** The arguments were a JSON array (exec form). */
    json: boolean;
    /** The instruction text with continuations joined; heredoc bodies follow it. */
    original: string;
    /** First line of the instruction, 1-based. */
    startLine: number;
    /** Last line of the instruction (heredoc bodies included). */
    endLine: number;
    /** `--name=value` flags before the arguments, quotes removed. */
    flags: string[];
    /** The arguments as BuildKit splits them; for ENV and LABEL, triples of key, value and separator. */
    value: string[];
    heredocs: Heredoc[];
    /** From the keyword to the end of the last line. */
    span: Span;
}

/** How serious a diagnostic is: `error` means `docker build` refuses the file. */
export type Severity = "error" | "warning";

/** A problem found in the file, with where it is. */
export interface Diagnostic {
    severity: Severity;
    /** `syntax`, `instruction`, or a BuildKit check name such as `NoEmptyContinuation`. */
    code: string;
    message: string;
    span: Span;
}

/** A parser directive from the file's header (`# escape=`). */
export interface Directive {
    /** Lower case: `syntax`, `escape` or `check`. */
    name: string;
    value: string;
    span: Span;
}

/** What `parseDockerfile` returns. */
export interface ParsedDockerfile {
    instructions: Instruction[];
    /** Parse errors and warnings, then errors in instructions' arguments. */
    diagnostics: Diagnostic[];
    directives: Directive[];
    /** The escape character: a backslash, or a backtick by directive. */
    escape: string;
}
"#;

/// What `parseDockerfile` returns.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Parsed {
    /// One entry per instruction, with its span.
    instructions: Vec<NodeJson>,
    /// Parse errors and warnings, then errors in instructions.
    diagnostics: Vec<Diagnostic>,
    directives: Vec<Directive>,
    escape: char,
}

/// Parses a Dockerfile as BuildKit does. Never throws for bad input:
/// problems are in `diagnostics`.
#[wasm_bindgen(js_name = parseDockerfile, unchecked_return_type = "ParsedDockerfile")]
pub fn parse_dockerfile(source: &str) -> Result<JsValue, JsError> {
    let df = dockerfile::parse(source);
    let typed = df.instructions();
    let instructions = df
        .nodes
        .iter()
        .map(|n| NodeJson {
            span: Some(n.span),
            ..n.to_json()
        })
        .collect();
    let mut diagnostics = df.diagnostics.clone();
    diagnostics.extend(typed.diagnostics);
    to_js(&Parsed {
        instructions,
        diagnostics,
        directives: df.directives.clone(),
        escape: df.escape,
    })
}

/// The layerkit version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[wasm_bindgen(typescript_custom_section)]
const LINT_TYPES: &str = r#"
/** How serious a finding is. */
export type LintSeverity = "error" | "warning" | "info" | "style";

/** One text replacement. Offsets are JS string indices (UTF-16 units):
 *  `source.slice(0, start) + text + source.slice(end)` applies it. Lines
 *  and columns are 1-based; columns count Unicode code points. */
export interface LintEdit {
  line: number; column: number; endLine: number; endColumn: number;
  start: number; end: number; text: string;
}

/** A change that resolves a finding; edits do not overlap. */
export interface LintFix { title: string; edits: LintEdit[]; }

/** A problem found by `lint`. `code` is a hadolint code (`DL3006`), a
 *  BuildKit check name (`FromAsCasing`) or `DL1000` for a parse error. */
export interface LintFinding {
  code: string; severity: LintSeverity; message: string;
  line: number; column: number; endLine: number; endColumn: number;
  fix?: LintFix;
}

/** Settings, as in `.hadolint.yaml` (the same keys), plus the build
 *  context's `.dockerignore` text for `CopyIgnoredFile`. */
export interface LintConfig {
  ignored?: string[];
  override?: { error?: string[]; warning?: string[]; info?: string[]; style?: string[] };
  trustedRegistries?: string[];
  "failure-threshold"?: LintSeverity | "none";
  "label-schema"?: Record<string, "text" | "url" | "spdx" | "hash" | "rfc3339" | "semver" | "email">;
  "strict-labels"?: boolean;
  "disable-ignore-pragma"?: boolean;
  dockerignore?: string;
}

/** A rule of the catalog. */
export interface LintRule {
  code: string; name: string; origin: "hadolint" | "buildkit" | "layerkit";
  severity: LintSeverity; enabled: boolean; summary: string; description: string;
  bad: string; good: string; fixable: boolean; url: string;
}
"#;

/// Lints a Dockerfile: hadolint's rules and BuildKit's build checks, after
/// variable expansion. Never throws for bad Dockerfiles (parse errors are
/// `DL1000` findings); throws for an invalid `config`, naming the key.
#[wasm_bindgen(js_name = lint, unchecked_return_type = "LintFinding[]")]
pub fn lint(
    source: &str,
    #[wasm_bindgen(unchecked_param_type = "LintConfig | undefined")] config: JsValue,
) -> Result<JsValue, JsError> {
    use crate::lint::{lint_with, Config, Inputs};
    let mut value: serde_json::Value = if config.is_undefined() || config.is_null() {
        serde_json::Value::Null
    } else {
        serde_wasm_bindgen::from_value(config).map_err(|e| JsError::new(&e.to_string()))?
    };
    let dockerignore = match value.as_object_mut().and_then(|m| m.remove("dockerignore")) {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(_) => {
            return Err(JsError::new(
                "config: `dockerignore`: expected the text of a .dockerignore",
            ))
        }
        None => None,
    };
    let config = Config::from_value(&value, "config").map_err(|e| JsError::new(&e.to_string()))?;
    let df = dockerfile::parse(source);
    let inputs = Inputs {
        dockerignore: dockerignore.as_deref(),
    };
    let mut findings = lint_with(&df, &config, &inputs);
    // Byte offsets to JS string indices.
    let utf16 = |byte: usize| -> usize {
        source
            .get(..byte)
            .map_or(byte, |s| s.chars().map(char::len_utf16).sum())
    };
    if !source.is_ascii() {
        for f in findings.iter_mut() {
            for e in f.fix.iter_mut().flat_map(|x| x.edits.iter_mut()) {
                e.start = utf16(e.start);
                e.end = utf16(e.end);
            }
        }
    }
    to_js(&findings)
}

/// The rule catalog: code, name, origin, default severity, docs, examples.
#[wasm_bindgen(js_name = rules, unchecked_return_type = "LintRule[]")]
pub fn rules() -> Result<JsValue, JsError> {
    to_js(&crate::lint::rules::ALL)
}

/// Reads an image archive pushed chunk by chunk (a `ReadableStream`'s
/// chunks, `Blob.slice`s, a Node stream): one pass, memory bounded by
/// metadata. Call `push` per chunk (and `progress` for a progress bar),
/// then `finish` for the reports.
#[wasm_bindgen(js_name = ImageReader)]
pub struct ImageReader {
    inner: Option<crate::image::Reader>,
}

/// What `ImageReader.finish` returns.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageReport {
    images: Vec<crate::image::ImageSummary>,
    inspect: crate::image::inspect::Inspect,
    history: Vec<crate::image::history::HistoryEntry>,
    analysis: crate::image::filetree::Analysis,
}

#[wasm_bindgen(js_class = ImageReader)]
impl ImageReader {
    /// `name` names the input in error messages.
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str) -> ImageReader {
        ImageReader {
            inner: Some(crate::image::Reader::new(
                name,
                crate::image::Limits::default(),
            )),
        }
    }

    /// Feeds the next chunk.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), JsError> {
        let r = self
            .inner
            .as_mut()
            .ok_or_else(|| JsError::new("ImageReader: push after finish"))?;
        r.push(chunk).map_err(|e| JsError::new(&e.to_string()))
    }

    /// `{bytes, members, layers, current}` so far.
    pub fn progress(&self) -> Result<JsValue, JsError> {
        let p = self
            .inner
            .as_ref()
            .map(|r| r.progress())
            .unwrap_or_default();
        to_js(&p)
    }

    /// The input ended: assembles the image (`index` picks one of several,
    /// from 0) and returns `{images, inspect, history, analysis}`.
    pub fn finish(&mut self, index: Option<usize>) -> Result<JsValue, JsError> {
        let r = self
            .inner
            .take()
            .ok_or_else(|| JsError::new("ImageReader: finish called twice"))?;
        let err = |e: crate::image::ImageError| JsError::new(&e.to_string());
        let (archive, _) = r.finish().map_err(err)?;
        let sel = crate::image::Selector {
            index,
            ..Default::default()
        };
        let image = archive.image(&sel, None).map_err(err)?;
        to_js(&ImageReport {
            images: archive.images().map_err(err)?,
            inspect: crate::image::inspect::inspect(&image),
            history: crate::image::history::history(&image, &[]).map_err(err)?,
            analysis: crate::image::filetree::analyze_image(&image),
        })
    }
}

// ---- Assembling and writing images -----------------------------------------

#[wasm_bindgen(typescript_custom_section)]
const TS_ASSEMBLE_TYPES: &str = r#"
/** A content descriptor (OCI image spec). */
export interface Descriptor {
    mediaType: string;
    /** `sha256:<hex>`. */
    digest: string;
    size: number;
    annotations?: Record<string, string>;
    platform?: { architecture: string; os: string; variant?: string };
}

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

fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("{what}: {e}")))
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
    let input: AssembleInput = from_js(input, "assembleImage")?;
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
    let mut config: crate::oci::ImageConfig = from_js(config, "mutateConfig: config")?;
    let options: MutateOptions = if options.is_undefined() || options.is_null() {
        MutateOptions::default()
    } else {
        from_js(options, "mutateConfig: options")?
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
    let mut index: crate::oci::ImageIndex = from_js(index, "retag: index")?;
    let manifest: crate::oci::Descriptor = from_js(manifest, "retag: manifest")?;
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
    let images: Vec<ArchiveImageInput> = from_js(images, "writeDockerArchive: images")?;
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
