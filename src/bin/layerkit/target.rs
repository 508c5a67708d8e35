//! TARGET arguments of the image commands, resolved in one place:
//!
//! | written                     | means                                         |
//! |-----------------------------|-----------------------------------------------|
//! | `img.tar`, `img.tar.gz`     | a docker-archive or oci-archive (any compression) |
//! | `-`                         | the same, from standard input                 |
//! | `dir/`                      | an OCI image layout directory                 |
//! | `img.tar:busybox:latest`    | the image tagged so (skopeo's `docker-archive:PATH:REF`) |
//! | `layout:v1`                 | the `ref.name` v1 in an OCI layout (skopeo's `oci:PATH:REF`) |
//! | `img.tar@1`                 | the second image of the archive (`@INDEX`, from 0) |
//!
//! skopeo's `docker-archive:`, `oci-archive:` and `oci:` prefixes are
//! accepted too. Anything else names an image in the local store
//! (`busybox`, `me/app:1`, an image id): `layerkit images` lists them.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use layerkit::image::{read_layout, Archive, BlobSource, Capture, Image, Limits, Reader, Selector};
use layerkit::oci::Platform;

/// Where the bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
    Dir(PathBuf),
    /// An image of the local store: its root and an index.json naming only
    /// that image.
    Store {
        root: PathBuf,
        index: Vec<u8>,
        name: String,
    },
}

/// A parsed TARGET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub input: Input,
    pub selector: Selector,
}

impl Target {
    pub fn name(&self) -> String {
        match &self.input {
            Input::Stdin => "<stdin>".into(),
            Input::File(p) | Input::Dir(p) => p.display().to_string(),
            Input::Store { name, .. } => name.clone(),
        }
    }

    pub fn parse(s: &str, platform: Option<&str>) -> anyhow::Result<Target> {
        let platform = platform
            .map(|p| p.parse::<Platform>())
            .transpose()
            .context("--platform")?;
        let s = ["docker-archive:", "oci-archive:", "oci:"]
            .iter()
            .find_map(|p| s.strip_prefix(p))
            .unwrap_or(s);
        let Some((path, rest)) = split(s) else {
            if let Some((root, index)) = crate::store::target(s)? {
                return Ok(Target {
                    input: Input::Store {
                        root,
                        index,
                        name: s.to_string(),
                    },
                    selector: Selector {
                        index: Some(0),
                        platform,
                        ..Selector::default()
                    },
                });
            }
            bail!("{s}: no such file or directory, and no such image in the store (TARGET is an image tarball, `-` for standard input, or an OCI layout directory, optionally followed by `:NAME:TAG` or `@INDEX`; or the name or id of an image in the store)");
        };
        let mut selector = Selector {
            platform,
            ..Selector::default()
        };
        if let Some(rest) = rest {
            if let Some(i) = rest.strip_prefix('@') {
                selector.index = Some(
                    i.parse()
                        .with_context(|| format!("{s}: `@{i}` is not an image index"))?,
                );
            } else if !rest.is_empty() {
                selector.reference = Some(rest.to_string());
            }
        }
        let input = if path == "-" {
            Input::Stdin
        } else if Path::new(path).is_dir() {
            Input::Dir(path.into())
        } else {
            Input::File(path.into())
        };
        Ok(Target { input, selector })
    }
}

/// Splits `PATH[:REF|@INDEX]` at the longest existing PATH.
fn split(s: &str) -> Option<(&str, Option<&str>)> {
    if s == "-" || Path::new(s).exists() {
        return Some((s, None));
    }
    if let Some(rest) = s.strip_prefix("-") {
        if rest.starts_with(':') || rest.starts_with('@') {
            return Some(("-", Some(rest.strip_prefix(':').unwrap_or(rest))));
        }
    }
    let cuts = s
        .char_indices()
        .filter(|(_, c)| *c == ':' || *c == '@')
        .map(|(i, _)| i)
        .rev();
    for i in cuts {
        let (p, rest) = s.split_at(i);
        if Path::new(p).exists() {
            let rest = rest.strip_prefix(':').unwrap_or(rest);
            return Some((p, Some(rest)));
        }
    }
    None
}

/// The platform images default to: this machine's.
pub fn host_platform() -> Platform {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        a => a,
    };
    Platform::new("linux", arch, None)
}

/// An OCI layout directory as a [`BlobSource`].
struct DirSource(PathBuf);

impl BlobSource for DirSource {
    fn open(&mut self, path: &str) -> Result<Option<Box<dyn Read + '_>>, String> {
        let p = self.0.join(path);
        match std::fs::symlink_metadata(&p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
            // Never read a device or FIFO as a blob.
            Ok(m) if !m.is_file() => return Err("not a regular file".into()),
            Ok(_) => {}
        }
        File::open(&p)
            .map(|f| Some(Box::new(f) as Box<dyn Read>))
            .map_err(|e| e.to_string())
    }
}

/// The store's layout, with an index.json that names one image.
struct StoreSource {
    dir: DirSource,
    index: Vec<u8>,
}

impl BlobSource for StoreSource {
    fn open(&mut self, path: &str) -> Result<Option<Box<dyn Read + '_>>, String> {
        if path == "index.json" {
            return Ok(Some(Box::new(&self.index[..])));
        }
        self.dir.open(path)
    }
}

/// Progress on standard error, when it is a terminal and not `--quiet`.
struct Progress {
    enabled: bool,
    last: Instant,
    total: Option<u64>,
    shown: bool,
}

impl Progress {
    fn new(quiet: bool, total: Option<u64>) -> Progress {
        Progress {
            enabled: !quiet && std::io::stderr().is_terminal(),
            last: Instant::now(),
            total,
            shown: false,
        }
    }

    fn show(&mut self, p: &layerkit::image::Progress) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        self.shown = true;
        let mb = p.bytes as f64 / 1e6;
        let pct = self
            .total
            .filter(|t| *t > 0)
            .map(|t| format!(" {:>3}%", p.bytes * 100 / t))
            .unwrap_or_default();
        let mut cur = p.current.clone();
        if cur.len() > 40 {
            cur = format!("…{}", &cur[cur.len() - 39..]);
        }
        eprint!(
            "\rreading{pct} {mb:>9.1} MB, {} layers  {cur:<40}",
            p.layers
        );
        let _ = std::io::stderr().flush();
    }

    fn done(&self) {
        if self.shown {
            eprint!("\r{:79}\r", "");
        }
    }
}

/// Reads the whole input once. `capture` receives layer files as they pass.
pub fn read(
    target: &Target,
    quiet: bool,
    limits: Limits,
    capture: Option<Box<dyn Capture>>,
) -> anyhow::Result<(Archive, Option<Box<dyn Capture>>)> {
    let name = target.name();
    match &target.input {
        Input::Dir(dir) => {
            let mut src = DirSource(dir.clone());
            let platform = target.selector.platform.as_ref();
            Ok(read_layout(&mut src, &name, limits, platform, capture)?)
        }
        Input::Store { root, index, .. } => {
            let mut src = StoreSource {
                dir: DirSource(root.clone()),
                index: index.clone(),
            };
            let platform = target.selector.platform.as_ref();
            Ok(read_layout(&mut src, &name, limits, platform, capture)?)
        }
        Input::Stdin => read_stream(std::io::stdin(), &name, None, quiet, limits, capture),
        Input::File(p) => {
            let f = File::open(p).with_context(|| format!("opening {}", p.display()))?;
            let len = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
            if len.is_none() {
                bail!("{}: not a regular file", p.display());
            }
            read_stream(f, &name, len, quiet, limits, capture)
        }
    }
}

/// Bytes read at a time.
const READ_CHUNK: usize = 1 << 20;

/// Reads `r` to the end on a reader thread while this one decodes: the
/// kernel's copies then run on whichever core has room (the decoding
/// thread is the busiest; see src/image/pipeline.rs). Memory: a few
/// [`READ_CHUNK`] buffers, recycled.
fn read_stream(
    r: impl Read + Send,
    name: &str,
    total: Option<u64>,
    quiet: bool,
    limits: Limits,
    capture: Option<Box<dyn Capture>>,
) -> anyhow::Result<(Archive, Option<Box<dyn Capture>>)> {
    let mut reader = Reader::new(name, limits);
    if let Some(c) = capture {
        reader.set_capture(c);
    }
    let mut progress = Progress::new(quiet, total);
    let (full_tx, full) = mpsc::sync_channel::<std::io::Result<(Vec<u8>, usize)>>(2);
    let (empty_tx, empty) = mpsc::channel::<Vec<u8>>();
    let result = std::thread::scope(|s| {
        let spawned = std::thread::Builder::new()
            .name("layerkit-read".into())
            .spawn_scoped(s, move || read_ahead(r, full_tx, empty));
        if let Err(e) = spawned {
            anyhow::bail!("cannot start a thread to read {name}: {e}");
        }
        decode(&mut reader, &mut progress, full, empty_tx, name)
    });
    progress.done();
    result?;
    Ok(reader.finish()?)
}

/// The reader thread: fills buffers until the end, an error, or the
/// decoding side hangs up.
fn read_ahead(
    mut r: impl Read,
    full: mpsc::SyncSender<std::io::Result<(Vec<u8>, usize)>>,
    empty: mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = empty.try_recv().unwrap_or_else(|_| vec![0u8; READ_CHUNK]);
        let msg = match r.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => Ok((buf, n)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
        };
        let stop = msg.is_err();
        if full.send(msg).is_err() || stop {
            return;
        }
    }
}

/// The decoding side of [`read_stream`]. Returning drops `full`, which
/// stops the reader thread.
fn decode(
    reader: &mut Reader,
    progress: &mut Progress,
    full: mpsc::Receiver<std::io::Result<(Vec<u8>, usize)>>,
    empty: mpsc::Sender<Vec<u8>>,
    name: &str,
) -> anyhow::Result<()> {
    for msg in full {
        let (buf, n) = msg.with_context(|| format!("reading {name}"))?;
        reader.push(&buf[..n])?;
        let _ = empty.send(buf);
        progress.show(&reader.progress());
    }
    Ok(())
}

/// The selected image, assembled and verified.
pub fn image(archive: &Archive, target: &Target) -> anyhow::Result<Image> {
    let host = host_platform();
    Ok(archive.image(&target.selector, Some(&host))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_targets() {
        let dir = std::env::temp_dir();
        let d = dir.to_str().unwrap();
        assert_eq!(split(d), Some((d, None)));
        let s = format!("{d}:busybox:latest");
        assert_eq!(split(&s), Some((d, Some("busybox:latest"))));
        let s = format!("{d}@2");
        assert_eq!(split(&s), Some((d, Some("@2"))));
        assert_eq!(split("-@1"), Some(("-", Some("@1"))));
        assert_eq!(split("/nonexistent/x.tar"), None);
    }
}
