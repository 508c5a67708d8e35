//! `layerkit extract TARGET PATH DEST` and the file staging `cat` shares.
//!
//! Layer files stream past once; the ones that may be needed are staged
//! (written to temporary files) as they pass, and once the merged view is
//! known the winning copies are put in place. For a file input the first
//! pass only lists, and a second pass stages exactly what is needed; from
//! standard input, every file under PATH is staged in the one pass.
//!
//! Safety: everything is built under a temporary directory inside DEST
//! and renamed into place at the end. Paths never contain `..` (the
//! reader refuses them), no write follows a symlink (each parent is
//! checked to be a real directory, files are created with O_EXCL), hard
//! links are copied from inside the image, and device nodes are never
//! created.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context};
use clap::Args;
use layerkit::image::filetree::{self, content_source, within, Tree};
use layerkit::image::{Capture, Entry, EntryKind, Image, Limits};

use crate::target::{self, Input, Target};
use crate::Outcome;

/// Copy a file or directory out of the image's merged filesystem into
/// DEST (as DEST/<name>), like `docker cp` from a container — no daemon.
#[derive(Args)]
#[command(after_help = "\
Never writes outside DEST: `..` entries are refused, no write follows a
symlink, hard links are resolved inside the image, device nodes are
skipped. The result appears at once (built aside, then renamed).

Examples:
  layerkit extract app.tar /etc/os-release ./out
  layerkit extract app.tar:app:1 /usr/share/doc ./docs
  docker save app | layerkit extract - /app ./app-files")]
pub struct ExtractArgs {
    /// The image: FILE[.tar|.tar.gz], `-`, or an OCI layout DIR, with an
    /// optional `:NAME:TAG` or `@INDEX`.
    target: String,
    /// The file or directory in the image (`/` for everything).
    path: String,
    /// The directory to put it in (created if missing).
    dest: PathBuf,
    /// For an index with several platforms: os/arch[/variant].
    #[arg(long)]
    platform: Option<String>,
    /// No progress on standard error.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// What to stage.
enum Want {
    Under(String),
    Exact(HashSet<(String, String)>),
}

#[derive(Default)]
struct StageState {
    files: HashMap<(String, String), PathBuf>,
    current: Option<File>,
    n: usize,
}

/// A [`Capture`] writing wanted files to a staging directory.
pub struct Stage {
    dir: PathBuf,
    want: Want,
    state: Arc<Mutex<StageState>>,
}

impl Capture for Stage {
    fn wants(&mut self, blob: &str, entry: &Entry) -> bool {
        if entry.kind != EntryKind::File {
            return false;
        }
        let yes = match &self.want {
            Want::Under(p) => within(&entry.path, p),
            Want::Exact(set) => set.contains(&(blob.to_string(), entry.path.clone())),
        };
        if !yes {
            return false;
        }
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        s.n += 1;
        let p = self.dir.join(s.n.to_string());
        match File::create(&p) {
            Ok(f) => {
                s.current = Some(f);
                s.files.insert((blob.to_string(), entry.path.clone()), p);
                true
            }
            Err(_) => false,
        }
    }

    fn data(&mut self, data: &[u8]) -> Result<(), String> {
        let mut s = self.state.lock().map_err(|e| e.to_string())?;
        if let Some(f) = &mut s.current {
            f.write_all(data)
                .map_err(|e| format!("staging a file in {}: {e}", self.dir.display()))?;
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), String> {
        let mut s = self.state.lock().map_err(|e| e.to_string())?;
        s.current = None;
        Ok(())
    }
}

/// The image, its merged tree and the staged files it needs.
pub struct Gathered {
    pub image: Image,
    pub tree: Tree,
    pub staged: HashMap<(String, String), PathBuf>,
}

/// Reads `t`, staging in `stage_dir` what `needs` (given the merged tree)
/// asks for; a second pass when the input can be read again.
pub fn gather(
    t: &Target,
    path: &str,
    stage_dir: &Path,
    quiet: bool,
    needs: impl Fn(&Image, &Tree) -> anyhow::Result<HashSet<(String, String)>>,
) -> anyhow::Result<Gathered> {
    fs::create_dir_all(stage_dir).with_context(|| format!("creating {}", stage_dir.display()))?;
    let one_pass = t.input == Input::Stdin;
    let state = Arc::new(Mutex::new(StageState::default()));
    let capture: Option<Box<dyn Capture>> = one_pass.then(|| {
        Box::new(Stage {
            dir: stage_dir.to_path_buf(),
            want: Want::Under(path.to_string()),
            state: state.clone(),
        }) as Box<dyn Capture>
    });
    let (archive, _) = target::read(t, quiet, Limits::default(), capture)?;
    let image = target::image(&archive, t)?;
    let tree = filetree::build(&image);
    let wanted = needs(&image, &tree)?;
    let mut staged = std::mem::take(&mut state.lock().map_err(|e| anyhow::anyhow!("{e}"))?.files);
    let missing: HashSet<_> = wanted
        .iter()
        .filter(|k| !staged.contains_key(*k))
        .cloned()
        .collect();
    if !missing.is_empty() {
        if one_pass {
            let (blob, p) = missing.iter().next().cloned().unwrap_or_default();
            bail!("/{p} (in layer {blob}) is outside {path} (a link target) and standard input cannot be read twice: save the archive to a file first");
        }
        let state = Arc::new(Mutex::new(StageState::default()));
        let capture = Box::new(Stage {
            dir: stage_dir.to_path_buf(),
            want: Want::Exact(missing),
            state: state.clone(),
        });
        target::read(t, quiet, Limits::default(), Some(capture))?;
        let more = std::mem::take(&mut state.lock().map_err(|e| anyhow::anyhow!("{e}"))?.files);
        staged.extend(more);
    }
    Ok(Gathered {
        image,
        tree,
        staged,
    })
}

/// `path` as the merged view keys it (no leading `/`).
pub fn image_path(path: &str) -> anyhow::Result<String> {
    layerkit::image::normalize_path(path)
        .with_context(|| format!("{path:?}: a path in the image may not contain `..`"))
}

pub fn run(a: ExtractArgs) -> anyhow::Result<Outcome> {
    let t = Target::parse(&a.target, a.platform.as_deref())?;
    let path = image_path(&a.path)?;
    fs::create_dir_all(&a.dest).with_context(|| format!("creating {}", a.dest.display()))?;
    let dest = a.dest.canonicalize()?;
    let name = path.rsplit('/').next().unwrap_or("").to_string();
    let out = if path.is_empty() {
        dest.clone()
    } else {
        dest.join(&name)
    };
    if path.is_empty() {
        if fs::read_dir(&dest)?.next().is_some() {
            bail!(
                "{}: not empty; extracting the whole filesystem needs an empty or new DEST",
                dest.display()
            );
        }
    } else if fs::symlink_metadata(&out).is_ok() {
        bail!(
            "{} already exists; remove it or choose another DEST",
            out.display()
        );
    }
    let work = dest.join(format!(".layerkit-extract-{}", std::process::id()));
    let result = extract_into(&t, &path, &work, &out, a.quiet);
    let _ = fs::remove_dir_all(&work);
    let n = result?;
    if !a.quiet {
        eprintln!("extracted {n} entries to {}", out.display());
    }
    Ok(Outcome::Ok)
}

fn extract_into(
    t: &Target,
    path: &str,
    work: &Path,
    out: &Path,
    quiet: bool,
) -> anyhow::Result<usize> {
    let stage = work.join("stage");
    let g = gather(t, path, &stage, quiet, |image, tree| {
        let mut set = HashSet::new();
        for m in tree.merged.values().filter(|m| within(&m.entry.path, path)) {
            if let Some(s) = content_source(image, m) {
                set.insert(s);
            }
        }
        if set.is_empty() && !path.is_empty() && !tree.merged.contains_key(path) {
            bail!("/{path}: no such file or directory in the image");
        }
        Ok(set)
    })?;
    let root = work.join("root");
    fs::create_dir(&root)?;
    // Entries relative to PATH's parent, so PATH itself is the top item.
    let strip = match path.rsplit_once('/') {
        Some((parent, _)) => parent.len() + 1,
        None => 0,
    };
    let top = if path.is_empty() {
        root.clone()
    } else {
        root.join(&path[strip..])
    };
    let mut dirs = Vec::new();
    let mut count = 0;
    for m in g
        .tree
        .merged
        .values()
        .filter(|m| within(&m.entry.path, path))
    {
        let rel = &m.entry.path[strip..];
        let dst = root.join(rel);
        if !parents_are_dirs(&root, rel) {
            eprintln!(
                "layerkit: warning: skipping /{}: a parent is not a directory (a symlink?)",
                m.entry.path
            );
            continue;
        }
        if let Some(parent) = dst.parent() {
            make_dirs(&root, parent)?;
        }
        let e = &m.entry;
        match e.kind {
            EntryKind::Dir => {
                if fs::symlink_metadata(&dst).is_err() {
                    fs::create_dir(&dst).with_context(|| format!("creating {}", dst.display()))?;
                }
                dirs.push((dst, e.mode));
            }
            EntryKind::File | EntryKind::Hardlink => {
                let src = content_source(&g.image, m)
                    .and_then(|s| g.staged.get(&s).cloned())
                    .with_context(|| {
                        format!("/{}: its content was not found in its layer", e.path)
                    })?;
                let mut w = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&dst)
                    .with_context(|| format!("creating {}", dst.display()))?;
                std::io::copy(&mut File::open(&src)?, &mut w)?;
                use std::os::unix::fs::PermissionsExt;
                w.set_permissions(fs::Permissions::from_mode(e.mode & 0o777))?;
                if e.mtime > 0 {
                    let _ = w.set_modified(
                        std::time::UNIX_EPOCH + std::time::Duration::from_secs(e.mtime as u64),
                    );
                }
            }
            EntryKind::Symlink => {
                std::os::unix::fs::symlink(e.link.as_deref().unwrap_or(""), &dst)
                    .with_context(|| format!("creating symlink {}", dst.display()))?;
            }
            EntryKind::Char | EntryKind::Block | EntryKind::Fifo => {
                eprintln!(
                    "layerkit: warning: skipping /{}: device nodes and FIFOs are not created",
                    e.path
                );
                continue;
            }
        }
        count += 1;
    }
    // Directory modes last (a read-only directory would refuse its files).
    for (d, mode) in dirs.iter().rev() {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(d, fs::Permissions::from_mode((mode & 0o777) | 0o700))?;
    }
    if fs::symlink_metadata(&top).is_err() {
        bail!("/{path}: no such file or directory in the image");
    }
    if path.is_empty() {
        for e in fs::read_dir(&root)? {
            let e = e?;
            fs::rename(e.path(), out.join(e.file_name()))?;
        }
    } else {
        fs::rename(&top, out).with_context(|| format!("moving into {}", out.display()))?;
    }
    Ok(count)
}

/// Every existing ancestor of `rel` under `root` is a real directory.
fn parents_are_dirs(root: &Path, rel: &str) -> bool {
    let mut p = root.to_path_buf();
    let comps: Vec<&str> = rel.split('/').collect();
    for c in &comps[..comps.len().saturating_sub(1)] {
        p.push(c);
        match fs::symlink_metadata(&p) {
            Ok(m) if !m.is_dir() => return false,
            _ => {}
        }
    }
    true
}

/// Creates `dir` (below `root`) one component at a time, never through a
/// symlink.
fn make_dirs(root: &Path, dir: &Path) -> anyhow::Result<()> {
    let rel = dir
        .strip_prefix(root)
        .context("path outside the extraction root")?;
    let mut p = root.to_path_buf();
    for c in rel.components() {
        p.push(c);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => bail!("{}: not a directory", p.display()),
            Err(_) => fs::create_dir(&p).with_context(|| format!("creating {}", p.display()))?,
        }
    }
    Ok(())
}
