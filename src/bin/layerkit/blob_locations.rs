//! Which repositories of which registries are known to hold a blob, as
//! docker remembers it, so a push can mount a layer from a repository of
//! the same registry instead of uploading it again.
//!
//! Kept in `$XDG_CACHE_HOME/layerkit/blob-locations.json`
//! (`~/.cache/layerkit/…`): `{"registry": {"sha256:…": ["repo", …]}}`,
//! learned from every pull and push. Only a hint: a wrong entry costs one
//! refused mount request. Bounded in size; replaced whole by rename.

use std::collections::BTreeMap;
use std::path::PathBuf;

use layerkit::oci::Digest;

/// Repositories remembered per blob.
const PER_BLOB: usize = 4;
/// Blobs remembered per registry.
const PER_REGISTRY: usize = 20_000;

type Map = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("layerkit/blob-locations.json"))
}

fn load() -> Map {
    path()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Repositories of `registry` known to hold `digest`.
pub fn lookup(registry: &str, digest: &Digest) -> Vec<String> {
    load()
        .get(registry)
        .and_then(|m| m.get(&digest.to_string()))
        .cloned()
        .unwrap_or_default()
}

/// Remembers that `registry/repository` holds `digests` (best effort).
pub fn record(registry: &str, repository: &str, digests: &[Digest]) {
    let Some(path) = path() else { return };
    let mut map = load();
    let reg = map.entry(registry.to_string()).or_default();
    for d in digests {
        let repos = reg.entry(d.to_string()).or_default();
        repos.retain(|r| r != repository);
        repos.insert(0, repository.to_string());
        repos.truncate(PER_BLOB);
    }
    while reg.len() > PER_REGISTRY {
        let Some(k) = reg.keys().next().cloned() else {
            break;
        };
        reg.remove(&k);
    }
    let Ok(bytes) = serde_json::to_vec(&map) else {
        return;
    };
    let Some(dir) = path.parent() else { return };
    let _ = std::fs::create_dir_all(dir);
    let tmp = dir.join(format!(".blob-locations.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
