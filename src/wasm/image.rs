//! `ImageReader`: image archives and OCI layouts for the npm package. The
//! host pushes the bytes (or, for a layout, answers `open(path)`); the
//! core reads them in one pass and assembles the reports the CLI prints.
//! `layerkit/image` (pkg-template/image/) drives it from streams, files,
//! and a Web Worker.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::to_js;
use crate::image::filetree::{self, Analysis, Change, LayerSummary, MergedEntry, Tree};
use crate::image::history::HistoryEntry;
use crate::image::inspect::Inspect;
use crate::image::{
    normalize_path, Archive, BlobSource, Capture, Collector, Entry, EntryKind, HasherSource, Image,
    ImageError, ImageSummary, Limits, Reader, Selector,
};
use crate::oci::{Digest, ExternalSha256, Hasher, Platform};

#[wasm_bindgen(typescript_custom_section)]
const IMAGE_TYPES: &str = r#"
/** Which image to read and which files to keep, for `new ImageReader`. */
export interface ImageReaderOptions {
  /** Paths in the image whose content to keep as layers stream past (for
   *  `readFile`): every copy, in every layer, of a regular file at exactly
   *  that path. */
  files?: string[];
  /** For an index with several platforms: `os/arch[/variant]`. Without it,
   *  `linux/amd64` is preferred, else the first. */
  platform?: string;
  /** The image of an archive holding several: a tag (`name:tag`, as
   *  `docker save` wrote it), an OCI `ref.name`, or its position from 0
   *  (skopeo's `docker-archive:FILE:REF` and `:@INDEX`). */
  image?: string | number;
  /** A sha256 faster than the built-in one (which runs in wasm): called
   *  for each hasher needed, it returns an object whose `update(bytes)`
   *  hashes a chunk (synchronously: the bytes are only valid during the
   *  call) and whose `digest()` returns the 32-byte hash. In Node,
   *  `() => crypto.createHash('sha256')` (OpenSSL: 3-4x faster); the
   *  `layerkit/image` module for Node passes it. */
  sha256?: () => { update(data: Uint8Array): unknown; digest(): Uint8Array };
  /** gzip layers of 1 MiB and more are inflated by the caller (Node's
   *  zlib, which works on another thread), not in wasm: `push` then stops
   *  after such a layer and returns how much it took; after each push,
   *  `hostWork()` says what to inflate, the inflated bytes go to
   *  `pushInflated`, and a layer whose work says `ended` is closed with
   *  `endInflated` before pushing on. `layerkit/image` in Node does this. */
  hostInflate?: boolean;
}

/** What to inflate after a push (`hostInflate`): `prefix` (bytes of
 *  earlier pushes, or `null`), then the last `length` bytes of what the
 *  push took. `ended`: the layer's stored bytes are complete. */
export interface HostWork {
  prefix: Uint8Array | null;
  length: number;
  ended: boolean;
}

/** How far reading has got. */
export interface ImageProgress {
  /** Input bytes consumed (as stored: compressed if the archive is). */
  bytes: number;
  /** Archive members (or layout files) seen. */
  members: number;
  /** Layers scanned so far. */
  layers: number;
  /** The member being read. */
  current: string;
}

/** A file of an OCI layout, for `ImageReader.readLayout`. */
export interface LayoutFile {
  /** The next bytes, at most `max`; an empty array at the end. */
  read(max: number): Uint8Array;
}

/** What kind of file a tar entry is. */
export type EntryKind = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

/** One image an archive holds. */
export interface ImageSummary {
  /** Its position in `manifest.json` / `index.json`, from 0. */
  index: number;
  repoTags: string[];
  /** The OCI `org.opencontainers.image.ref.name`, if any. */
  refName?: string;
  /** The config (docker-archive) or manifest (OCI) digest. */
  digest: string;
}

export interface Platform {
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
}

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

/** An OCI (or Docker schema 2) image manifest. */
export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A health check, as in the image config. */
export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** Docker's `container.Config` as `docker image inspect` prints it: every
 *  field present (zero values `""`, `false`, `null`), the optional ones
 *  only when set. Values are as the image config has them. */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  Shell?: string[];
}

/** A layer of `ImageInspect.Layers`: its descriptor and what reading found. */
export interface InspectLayer {
  MediaType: string;
  Digest: string;
  /** Bytes as stored. */
  Size: number;
  DiffID: string;
  UncompressedSize: number;
  /** Detected from the bytes, whatever the media type says. */
  Compression: "none" | "gzip" | "zstd";
  /** Entries in its tar. */
  Files: number;
  /** Where it is in the archive. */
  Path: string;
}

/** `layerkit inspect --format json`: `docker image inspect`'s fields, in
 *  its order, plus the manifest, the layers and the source. */
export interface ImageInspect {
  /** The config digest (`sha256:…`). */
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  /** RFC 3339 with nanoseconds, as Docker prints it. */
  Created: string;
  Container: string;
  ContainerConfig: ContainerConfig;
  DockerVersion: string;
  Author: string;
  /** `null` when the image config has none. */
  Config: ContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  /** Docker's size: the sum of the layers' tar header sizes. */
  Size: number;
  VirtualSize: number;
  RootFS: { Type: string; Layers: string[] };
  Manifest: {
    MediaType: string;
    /** `null` for a legacy docker-archive, which stores no manifest. */
    Digest: string | null;
    ConfigMediaType: string;
    LayerMediaTypes: string[];
    Manifest: ImageManifest;
  };
  Layers: InspectLayer[];
  Source: { Name: string; Format: "docker-archive" | "oci-archive" | "oci" };
}

/** A `docker history` entry, newest first. */
export interface HistoryEntry {
  /** The image id for the newest entry (and the parents' ids the archive
   *  names), else `<missing>`. */
  id: string;
  /** Seconds since the epoch (Go's zero time, -62135596800, when absent). */
  created: number;
  createdBy: string;
  comment: string;
  /** The layer's size (tar header sizes); 0 for an empty layer. */
  size: number;
  /** The layer it made (index into the layers), `null` for none. */
  layer: number | null;
}

/** A path dive counts as wasted space. */
export interface Inefficiency {
  /** With a leading `/`, as dive prints it. */
  path: string;
  /** Layers the path appears in. */
  count: number;
  /** Its sizes summed over those layers. */
  sizeBytes: number;
}

/** dive's analysis (same definitions and numbers as dive). */
export interface Analysis {
  /** 1.0 when nothing is stored twice. */
  efficiencyScore: number;
  /** Bytes of paths stored in two or more layers (all copies). */
  inefficientBytes: number;
  sizeBytes: number;
  /** Layer sizes except the first (the base image). */
  userSizeBytes: number;
  /** inefficientBytes ÷ userSizeBytes. */
  userWastedPercent: number;
  /** Biggest first. */
  fileReference: Inefficiency[];
}

/** One layer of `layerkit tree`'s summary. */
export interface LayerSummary {
  index: number;
  digest: string;
  diffId: string;
  /** Docker's layer size (tar header sizes). */
  sizeBytes: number;
  /** The history entry that made it. */
  command: string;
  added: number;
  modified: number;
  removed: number;
}

/** What a layer did to a path (`layerkit tree --layer N`). */
export interface Change {
  path: string;
  change: "added" | "modified" | "removed";
  kind: EntryKind;
  size: number;
  link?: string;
  /** Set on a directory the layer made opaque. */
  opaque?: boolean;
}

/** A path of the merged filesystem (`layerkit tree --merged`). */
export interface MergedEntry {
  /** Without a leading `/`. */
  path: string;
  kind: EntryKind;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** A symlink's target or a hard link's path. */
  link?: string;
  /** The layer that provides it. */
  layer: number;
}

/** Everything `ImageReader.finish` reports: what `layerkit inspect`,
 *  `history` and `tree` (summary, `--layer N`, `--merged`) print as JSON. */
export interface ImageReport {
  /** The images the input holds (several for some archives). */
  images: ImageSummary[];
  /** The one read (`layerkit inspect --format json`'s element). */
  inspect: ImageInspect;
  history: HistoryEntry[];
  /** `layerkit tree --format json`: dive's analysis, one summary per layer. */
  tree: { image: Analysis; layer: LayerSummary[] };
  /** Each layer's changes, by layer index. */
  changes: Change[][];
  /** The merged filesystem, sorted by path. */
  merged: MergedEntry[];
}

/** A file of the merged filesystem, from `ImageReader.readFile`. */
export interface ImageFile extends MergedEntry {
  /** Where its bytes are: the path in its layer (a hard link's target, or
   *  the file itself). Pass it in `files` to capture it on another read. */
  source: string;
  /** Its bytes, or `null` when they were not captured on this read (the
   *  path was not in `files`, or is reached through a link). */
  content: Uint8Array | null;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `new ImageReader`'s optional settings.
    #[wasm_bindgen(typescript_type = "ImageReaderOptions")]
    pub type ReaderOptionsArg;
}

/// `new ImageReader(name, options)`, read field by field: a serde
/// derive for three fields costs more code than the rest of the glue.
#[derive(Default)]
struct Options {
    files: Vec<String>,
    platform: Option<String>,
    image: Option<Choice>,
    sha256: Option<js_sys::Function>,
    host_inflate: bool,
}

enum Choice {
    Index(usize),
    Reference(String),
}

impl Options {
    fn read(o: &JsValue) -> Result<Options, JsError> {
        let mut out = Options::default();
        if o.is_undefined() || o.is_null() {
            return Ok(out);
        }
        let bad = |key: &str, want: &str| {
            JsError::new(&format!("ImageReader options: {key}: expected {want}"))
        };
        let Some(obj) = o.dyn_ref::<js_sys::Object>() else {
            return Err(bad("options", "an object"));
        };
        for key in js_sys::Object::keys(obj).iter() {
            let key = key.as_string().unwrap_or_default();
            let v = js_sys::Reflect::get(o, &JsValue::from_str(&key)).unwrap_or(JsValue::UNDEFINED);
            if v.is_undefined() || v.is_null() {
                continue;
            }
            match key.as_str() {
                "files" => {
                    let list = v
                        .dyn_ref::<js_sys::Array>()
                        .ok_or_else(|| bad("files", "an array of paths"))?;
                    for p in list.iter() {
                        out.files.push(
                            p.as_string()
                                .ok_or_else(|| bad("files", "an array of paths"))?,
                        );
                    }
                }
                "platform" => {
                    out.platform = Some(
                        v.as_string()
                            .ok_or_else(|| bad("platform", "os/arch[/variant]"))?,
                    )
                }
                "image" => {
                    out.image = Some(match (v.as_f64(), v.as_string()) {
                        (Some(n), _) if n >= 0.0 && n.fract() == 0.0 => Choice::Index(n as usize),
                        (_, Some(s)) => Choice::Reference(s),
                        _ => return Err(bad("image", "a tag, a ref.name or an index from 0")),
                    })
                }
                "sha256" => {
                    out.sha256 = Some(
                        v.dyn_into::<js_sys::Function>()
                            .map_err(|_| bad("sha256", "a function returning a hasher"))?,
                    )
                }
                "hostInflate" => {
                    out.host_inflate = v
                        .as_bool()
                        .ok_or_else(|| bad("hostInflate", "true or false"))?
                }
                other => {
                    return Err(JsError::new(&format!(
                        "ImageReader options: unknown option {other:?} \
                         (known: files, platform, image, sha256, hostInflate)"
                    )))
                }
            }
        }
        Ok(out)
    }
}

#[wasm_bindgen]
extern "C" {
    /// A hasher `options.sha256()` made (Node: a `crypto.Hash`).
    type HostHash;
    /// The slice is passed as a view of wasm memory, valid during the call.
    #[wasm_bindgen(method, catch)]
    fn update(this: &HostHash, data: &[u8]) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn digest(this: &HostHash) -> Result<JsValue, JsValue>;
}

/// The first failure of a host hasher, reported by the next call on the
/// reader (a hasher cannot fail mid-stream in the core).
type HashFailure = Rc<RefCell<Option<String>>>;

/// Makes host hashers from `options.sha256`.
struct HostHashers {
    make: js_sys::Function,
    failed: HashFailure,
}

impl HostHashers {
    fn hasher(&self) -> Result<HostHash, String> {
        let h = self.make.call0(&JsValue::NULL).map_err(js_message)?;
        if !h.is_object() {
            return Err("it returned something other than a hasher".into());
        }
        Ok(h.unchecked_into())
    }

    /// Checks the host's hasher on a known value.
    fn check(&self) -> Result<(), String> {
        let mut h = JsSha256 {
            hash: Some(self.hasher()?),
            failed: self.failed.clone(),
        };
        h.update(b"abc");
        let got = Digest::from_sha256_bytes(&Box::new(h).finish());
        if let Some(e) = self.failed.borrow_mut().take() {
            return Err(e);
        }
        let want = Digest::sha256(b"abc");
        if got != want {
            return Err(format!(
                "it hashes \"abc\" to {got} where sha256 gives {want}: it is not sha256"
            ));
        }
        Ok(())
    }
}

impl HasherSource for HostHashers {
    fn sha256(&self) -> Hasher {
        match self.hasher() {
            Ok(hash) => Hasher::External(Box::new(JsSha256 {
                hash: Some(hash),
                failed: self.failed.clone(),
            })),
            Err(e) => {
                self.failed.borrow_mut().get_or_insert(e);
                Hasher::sha256()
            }
        }
    }
}

struct JsSha256 {
    /// `None` after a failure.
    hash: Option<HostHash>,
    failed: HashFailure,
}

impl JsSha256 {
    fn fail(&mut self, e: JsValue) {
        self.hash = None;
        self.failed.borrow_mut().get_or_insert(js_message(e));
    }
}

impl ExternalSha256 for JsSha256 {
    fn update(&mut self, data: &[u8]) {
        if let Some(Err(e)) = self.hash.as_ref().map(|h| h.update(data)) {
            self.fail(e);
        }
    }

    fn finish(mut self: Box<Self>) -> [u8; 32] {
        let mut out = [0; 32];
        match self.hash.as_ref().map(|h| h.digest()) {
            Some(Ok(d)) => match d.dyn_ref::<js_sys::Uint8Array>() {
                Some(a) if a.length() == 32 => a.copy_to(&mut out),
                _ => self.fail(JsValue::from_str("digest() did not return 32 bytes")),
            },
            Some(Err(e)) => self.fail(e),
            None => {}
        }
        out
    }
}

/// The contents of wanted files, per (layer path in the archive, entry path).
type Captured = Arc<Mutex<HashMap<(String, String), Vec<u8>>>>;

/// Keeps every copy of the wanted paths in memory as layers stream past.
struct Keep {
    want: BTreeSet<String>,
    files: Captured,
    current: Option<(String, String)>,
}

impl Capture for Keep {
    fn wants(&mut self, blob: &str, entry: &Entry) -> bool {
        if entry.kind != EntryKind::File || !self.want.contains(&entry.path) {
            return false;
        }
        let key = (blob.to_string(), entry.path.clone());
        if let Ok(mut files) = self.files.lock() {
            files.insert(key.clone(), Vec::new());
        }
        self.current = Some(key);
        true
    }

    fn data(&mut self, data: &[u8]) -> Result<(), String> {
        let mut files = self.files.lock().map_err(|e| e.to_string())?;
        if let Some(buf) = self.current.as_ref().and_then(|k| files.get_mut(k)) {
            buf.extend_from_slice(data);
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), String> {
        self.current = None;
        Ok(())
    }
}

enum State {
    /// Bytes are being pushed.
    Streaming(Box<Reader>),
    /// A layout was read; `finish` assembles it.
    Read(Box<Archive>),
    /// The image is assembled.
    Done(Box<(Image, Tree)>),
    /// Reading failed.
    Gone,
}

/// Reads an image archive pushed chunk by chunk (a `ReadableStream`'s
/// chunks, a Node stream) or an OCI layout through `readLayout`: one pass,
/// memory bounded by metadata (and the `files` kept). `layerkit/image`
/// wraps it for streams, files, folders and Web Workers.
#[wasm_bindgen(js_name = ImageReader)]
pub struct ImageReader {
    name: String,
    state: State,
    selector: Selector,
    platform: Option<Platform>,
    want: BTreeSet<String>,
    captured: Captured,
    /// `options.sha256`, if given.
    hashers: Option<js_sys::Function>,
    hash_failed: HashFailure,
}

fn err(e: ImageError) -> JsError {
    JsError::new(&e.to_string())
}

/// A thrown JS value as text.
fn js_message(e: JsValue) -> String {
    match e.dyn_ref::<js_sys::Error>() {
        Some(err) => String::from(err.message()),
        None => e.as_string().unwrap_or_else(|| format!("{e:?}")),
    }
}

/// An OCI layout whose files JS opens.
struct JsLayout<'a>(&'a js_sys::Function);

struct JsFile {
    file: JsValue,
    read: js_sys::Function,
}

impl BlobSource for JsLayout<'_> {
    fn open(&mut self, path: &str) -> Result<Option<Box<dyn Read + '_>>, String> {
        let file = self
            .0
            .call1(&JsValue::NULL, &JsValue::from_str(path))
            .map_err(js_message)?;
        if file.is_null() || file.is_undefined() {
            return Ok(None);
        }
        let read = js_sys::Reflect::get(&file, &JsValue::from_str("read"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .ok_or("open() returned something without a read(max) method")?;
        Ok(Some(Box::new(JsFile { file, read })))
    }
}

impl Read for JsFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let chunk = self
            .read
            .call1(&self.file, &JsValue::from(buf.len() as u32))
            .map_err(|e| io::Error::other(js_message(e)))?;
        let chunk = chunk.dyn_into::<js_sys::Uint8Array>().map_err(|_| {
            io::Error::other("read(max) returned something other than a Uint8Array")
        })?;
        let n = chunk.length() as usize;
        if n > buf.len() {
            return Err(io::Error::other(format!(
                "read({}) returned {n} bytes",
                buf.len()
            )));
        }
        chunk.copy_to(&mut buf[..n]);
        Ok(n)
    }
}

/// What `finish` returns.
#[derive(Serialize)]
struct Report<'a> {
    images: Vec<ImageSummary>,
    inspect: Inspect,
    history: Vec<HistoryEntry>,
    tree: TreeReport,
    changes: &'a [Vec<Change>],
    merged: Vec<&'a MergedEntry>,
}

#[derive(Serialize)]
struct TreeReport {
    image: Analysis,
    layer: Vec<LayerSummary>,
}

/// What `readFile` returns (its content is set on the JS side).
#[derive(Serialize)]
struct FileInfo<'a> {
    #[serde(flatten)]
    entry: &'a MergedEntry,
    source: String,
}

#[wasm_bindgen(js_class = ImageReader)]
impl ImageReader {
    /// `name` names the input in error messages.
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str, options: Option<ReaderOptionsArg>) -> Result<ImageReader, JsError> {
        let options = options.map_or(JsValue::UNDEFINED, Into::into);
        let o = Options::read(&options)?;
        let platform = o
            .platform
            .map(|p| p.parse::<Platform>())
            .transpose()
            .map_err(|e| JsError::new(&format!("ImageReader options: platform: {e}")))?;
        let mut want = BTreeSet::new();
        for f in &o.files {
            let p = normalize_path(f).ok_or_else(|| {
                JsError::new(&format!(
                    "ImageReader options: files: {f:?}: a path in the image may not contain `..`"
                ))
            })?;
            want.insert(p);
        }
        let (index, reference) = match o.image {
            Some(Choice::Index(i)) => (Some(i), None),
            Some(Choice::Reference(r)) => (None, Some(r)),
            None => (None, None),
        };
        let captured = Captured::default();
        let hash_failed = HashFailure::default();
        let mut reader = Reader::new(name, Limits::default());
        if let Some(make) = &o.sha256 {
            let host = HostHashers {
                make: make.clone(),
                failed: hash_failed.clone(),
            };
            host.check()
                .map_err(|e| JsError::new(&format!("ImageReader options: sha256: {e}")))?;
            reader.set_hashers(Box::new(host));
        }
        if o.host_inflate {
            reader.set_host_inflate(Some(crate::image::HOST_INFLATE_THRESHOLD));
        }
        if !want.is_empty() {
            reader.set_capture(Box::new(Keep {
                want: want.clone(),
                files: captured.clone(),
                current: None,
            }));
        }
        Ok(ImageReader {
            name: name.to_string(),
            state: State::Streaming(Box::new(reader)),
            selector: Selector {
                reference,
                index,
                platform: platform.clone(),
            },
            platform,
            want,
            captured,
            hashers: o.sha256,
            hash_failed,
        })
    }

    /// An error if a host hasher failed (what it hashed is then wrong), on
    /// every call from then on.
    fn hashing(&self) -> Result<(), JsError> {
        match self.hash_failed.borrow().as_ref() {
            Some(e) => Err(JsError::new(&format!(
                "{}: the sha256 hasher failed: {e}",
                self.name
            ))),
            None => Ok(()),
        }
    }

    /// Feeds the next chunk of an archive; returns how many of its bytes
    /// were taken: all of them, unless a layer the host inflates ended
    /// (`hostInflate`).
    pub fn push(&mut self, chunk: &[u8]) -> Result<usize, JsError> {
        let n = self.streaming("push")?.push_some(chunk).map_err(err)?;
        self.hashing()?;
        Ok(n)
    }

    /// What to inflate after the last push (`hostInflate`), or `undefined`.
    #[wasm_bindgen(js_name = hostWork, unchecked_return_type = "HostWork | undefined")]
    pub fn host_work(&mut self) -> Result<JsValue, JsError> {
        let State::Streaming(r) = &mut self.state else {
            return Ok(JsValue::UNDEFINED);
        };
        let Some(w) = r.host_work() else {
            return Ok(JsValue::UNDEFINED);
        };
        let o = js_sys::Object::new();
        let prefix = match w.prefix.is_empty() {
            true => JsValue::NULL,
            false => js_sys::Uint8Array::from(&w.prefix[..]).into(),
        };
        for (k, v) in [
            ("prefix", prefix),
            ("length", JsValue::from(w.len as u32)),
            ("ended", JsValue::from(w.ended)),
        ] {
            js_sys::Reflect::set(&o, &JsValue::from_str(k), &v)
                .map_err(|e| JsError::new(&js_message(e)))?;
        }
        Ok(o.into())
    }

    /// The next inflated bytes of the layer the host inflates.
    #[wasm_bindgen(js_name = pushInflated)]
    pub fn push_inflated(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.streaming("pushInflated")?
            .host_data(bytes)
            .map_err(err)?;
        self.hashing()
    }

    /// The host's inflater is done with the layer that ended; `error`: why
    /// it failed, if it did (the layer is then reported corrupt).
    #[wasm_bindgen(js_name = endInflated)]
    pub fn end_inflated(&mut self, error: Option<String>) -> Result<(), JsError> {
        self.streaming("endInflated")?
            .host_end(error)
            .map_err(err)?;
        self.hashing()
    }

    /// How far reading has got.
    #[wasm_bindgen(unchecked_return_type = "ImageProgress")]
    pub fn progress(&self) -> Result<JsValue, JsError> {
        match &self.state {
            State::Streaming(r) => to_js(&r.progress()),
            _ => to_js(&crate::image::Progress::default()),
        }
    }

    /// Reads an OCI image layout instead of pushed bytes: `open(path)` gives
    /// the layout's file at `path` (`index.json`, `blobs/sha256/<hex>`), or
    /// `null` when it has none. Only the blobs the index reaches are read
    /// (for `platform`, when given). Then call `finish`.
    #[wasm_bindgen(js_name = readLayout)]
    pub fn read_layout(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "(path: string) => LayoutFile | null")]
        open: &js_sys::Function,
    ) -> Result<(), JsError> {
        if !matches!(&self.state, State::Streaming(r) if r.progress().bytes == 0) {
            return Err(JsError::new(
                "ImageReader: readLayout on a reader that was pushed to or finished",
            ));
        }
        self.state = State::Gone;
        let capture = (!self.want.is_empty()).then(|| {
            Box::new(Keep {
                want: self.want.clone(),
                files: self.captured.clone(),
                current: None,
            }) as Box<dyn Capture>
        });
        let mut c = Collector::new(&self.name, Limits::default());
        if let Some(cap) = capture {
            c.set_capture(cap);
        }
        if let Some(make) = &self.hashers {
            c.set_hashers(Box::new(HostHashers {
                make: make.clone(),
                failed: self.hash_failed.clone(),
            }));
        }
        let read = crate::image::read_layout_with(c, &mut JsLayout(open), self.platform.as_ref());
        self.hashing()?;
        let (archive, _) = read.map_err(err)?;
        self.state = State::Read(Box::new(archive));
        Ok(())
    }

    /// The input ended: assembles the image (every digest checked) and
    /// returns the reports.
    #[wasm_bindgen(unchecked_return_type = "ImageReport")]
    pub fn finish(&mut self) -> Result<JsValue, JsError> {
        let report = match std::mem::replace(&mut self.state, State::Gone) {
            State::Streaming(r) => {
                let read = r.finish();
                self.hashing()?;
                let (archive, _) = read.map_err(err)?;
                self.assemble(archive)?
            }
            State::Read(archive) => self.assemble(*archive)?,
            State::Done(done) => {
                self.state = State::Done(done);
                return Err(JsError::new("ImageReader: finish called twice"));
            }
            State::Gone => {
                return Err(JsError::new(
                    "ImageReader: finish after a failed read (make a new reader)",
                ))
            }
        };
        Ok(report)
    }

    /// A file of the merged filesystem after `finish` (symlinks followed
    /// inside the image), with its content when it was captured (`files`).
    /// Throws for a missing path, a directory or a special file.
    #[wasm_bindgen(js_name = readFile, unchecked_return_type = "ImageFile")]
    pub fn read_file(&self, path: &str) -> Result<JsValue, JsError> {
        let State::Done(done) = &self.state else {
            return Err(JsError::new("ImageReader: readFile before finish"));
        };
        let (image, tree) = &**done;
        let m = tree.resolve(path).map_err(err)?;
        let shown = path.trim_start_matches('/');
        let Some((blob, source)) = filetree::content_source(image, m) else {
            let what = match m.entry.kind {
                EntryKind::Dir => "is a directory",
                _ => "is not a regular file",
            };
            return Err(JsError::new(&format!("/{shown}: {what}")));
        };
        let info = to_js(&FileInfo {
            entry: m,
            source: source.clone(),
        })?;
        let content = self
            .captured
            .lock()
            .ok()
            .and_then(|f| {
                f.get(&(blob, source))
                    .map(|b| JsValue::from(js_sys::Uint8Array::from(&b[..])))
            })
            .unwrap_or(JsValue::NULL);
        js_sys::Reflect::set(&info, &JsValue::from_str("content"), &content)
            .map_err(|e| JsError::new(&js_message(e)))?;
        Ok(info)
    }
}

impl ImageReader {
    /// The reader of pushed bytes, for `call`; an error once it is done.
    fn streaming(&mut self, call: &str) -> Result<&mut Reader, JsError> {
        match &mut self.state {
            State::Streaming(r) => Ok(r),
            _ => Err(JsError::new(&format!(
                "ImageReader: {call} after finish or readLayout"
            ))),
        }
    }

    /// Assembles the selected image, keeps it with its tree, and returns
    /// the reports.
    fn assemble(&mut self, archive: Archive) -> Result<JsValue, JsError> {
        let amd64 = Platform::new("linux", "amd64", None);
        let image = archive.image(&self.selector, Some(&amd64)).map_err(err)?;
        let tree = filetree::build(&image);
        let history = crate::image::history::history(&image, &archive.ancestors(&image));
        let report = to_js(&Report {
            images: archive.images().map_err(err)?,
            inspect: crate::image::inspect::inspect(&image),
            history: history.map_err(err)?,
            tree: TreeReport {
                image: filetree::analyze_image(&image),
                layer: filetree::layer_summaries(&image, &tree),
            },
            changes: &tree.changes,
            merged: tree.merged.values().collect(),
        })?;
        self.state = State::Done(Box::new((image, tree)));
        Ok(report)
    }
}
