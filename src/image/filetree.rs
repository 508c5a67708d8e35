//! Layers as filesystem changes, the merged filesystem, and dive's
//! wasted-space metrics.
//!
//! Whiteouts (OCI image spec, layer.md): an entry `dir/.wh.name` deletes
//! `dir/name` (and everything below it) from the layers beneath; an entry
//! `dir/.wh..wh..opq` makes `dir` opaque: everything the layers beneath
//! put in it is hidden. Whiteouts act on lower layers only, so a layer may
//! delete a path and recreate it.
//!
//! dive's metrics (`dive/image/efficiency.go`), restated: walk each
//! layer's leaf entries (opaque markers skipped; a whiteout keyed by the path
//! it deletes). An entry's size is its tar header's size; a file whiteout
//! counts 0, a directory whiteout the sizes below it in the layers beneath.
//! Per path keep the sum over layers and the smallest occurrence.
//! Efficiency = Σ smallest ÷ Σ sum (1.0 when empty). Wasted bytes = Σ sum
//! over paths seen in two or more layers (the surviving copy counts too).
//! User size = the layers' sizes except the first; wasted % = wasted ÷
//! user size.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::{Entry, EntryKind, Image, ImageError};
use crate::oci::Digest;

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// What a layer did to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
}

/// One change a layer makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub path: String,
    pub change: ChangeKind,
    pub kind: EntryKind,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Set on a directory the layer made opaque.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub opaque: bool,
}

/// A path of the merged filesystem and the layer that provides it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MergedEntry {
    #[serde(flatten)]
    pub entry: Entry,
    pub layer: usize,
}

/// What a whiteout entry deletes, or `None` for an ordinary entry.
fn whiteout_target(path: &str) -> Option<Result<String, String>> {
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (d, n),
        None => ("", path),
    };
    if name == OPAQUE {
        return Some(Err(dir.to_string()));
    }
    let target = name.strip_prefix(WHITEOUT)?;
    Some(Ok(if dir.is_empty() {
        target.to_string()
    } else {
        format!("{dir}/{target}")
    }))
}

fn is_below(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// Removes `dir`'s descendants (and `dir` itself when `with_self`) from
/// `merged`; returns the removed paths.
fn remove_tree(
    merged: &mut BTreeMap<String, MergedEntry>,
    dir: &str,
    with_self: bool,
) -> Vec<String> {
    let mut gone = Vec::new();
    if with_self && merged.remove(dir).is_some() {
        gone.push(dir.to_string());
    }
    let prefix = format!("{dir}/");
    let start = if dir.is_empty() {
        String::new()
    } else {
        prefix.clone()
    };
    let below: Vec<String> = merged
        .range(start..)
        .take_while(|(k, _)| dir.is_empty() || k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in below {
        merged.remove(&k);
        gone.push(k);
    }
    gone
}

/// The filesystem after layers `0..=upto`, with each layer's changes.
pub struct Tree {
    pub merged: BTreeMap<String, MergedEntry>,
    pub changes: Vec<Vec<Change>>,
}

/// Applies the layers of `image` in order.
pub fn build(image: &Image) -> Tree {
    build_layers(image.layers.iter().map(|l| l.info.files.as_slice()))
}

/// Applies layers given as entry lists.
pub fn build_layers<'a>(layers: impl IntoIterator<Item = &'a [Entry]>) -> Tree {
    let mut merged: BTreeMap<String, MergedEntry> = BTreeMap::new();
    let mut all_changes = Vec::new();
    for (i, files) in layers.into_iter().enumerate() {
        let mut changes = Vec::new();
        let lower: BTreeSet<String> = BTreeSet::new();
        let _ = lower;
        // Whiteouts first: they act on the layers beneath.
        let mut existed: HashMap<&str, bool> = HashMap::new();
        for f in files {
            if whiteout_target(&f.path).is_none() {
                existed.insert(&f.path, merged.contains_key(&f.path));
            }
        }
        let mut opaque_dirs = BTreeSet::new();
        for f in files {
            match whiteout_target(&f.path) {
                Some(Ok(target)) => {
                    let kind = merged.get(&target).map(|m| m.entry.kind);
                    let gone = remove_tree(&mut merged, &target, true);
                    if !gone.is_empty() {
                        changes.push(Change {
                            path: target,
                            change: ChangeKind::Removed,
                            kind: kind.unwrap_or(EntryKind::File),
                            size: 0,
                            link: None,
                            opaque: false,
                        });
                    }
                }
                Some(Err(dir)) => {
                    let gone = remove_tree(&mut merged, &dir, false);
                    opaque_dirs.insert(dir.clone());
                    for g in gone {
                        // Report the top of each removed subtree only.
                        if !g[dir.len()..].trim_start_matches('/').contains('/') {
                            changes.push(Change {
                                path: g,
                                change: ChangeKind::Removed,
                                kind: EntryKind::File,
                                size: 0,
                                link: None,
                                opaque: false,
                            });
                        }
                    }
                }
                None => {}
            }
        }
        for f in files {
            if whiteout_target(&f.path).is_some() {
                continue;
            }
            let before = merged.get(&f.path).map(|m| m.entry.clone());
            let was = existed.get(f.path.as_str()).copied().unwrap_or(false);
            let change = match (&before, was) {
                (Some(b), _) if b.kind == EntryKind::Dir && f.kind == EntryKind::Dir => {
                    (b.mode != f.mode || b.uid != f.uid || b.gid != f.gid)
                        .then_some(ChangeKind::Modified)
                }
                (_, true) => Some(ChangeKind::Modified),
                (Some(_), false) => Some(ChangeKind::Modified),
                (None, false) => Some(ChangeKind::Added),
            };
            // A non-directory replaces a directory's whole subtree.
            if f.kind != EntryKind::Dir {
                remove_tree(&mut merged, &f.path, false);
            }
            if let Some(change) = change {
                changes.push(Change {
                    path: f.path.clone(),
                    change,
                    kind: f.kind,
                    size: f.size,
                    link: f.link.clone(),
                    opaque: opaque_dirs.contains(&f.path),
                });
            } else if opaque_dirs.contains(&f.path) {
                changes.push(Change {
                    path: f.path.clone(),
                    change: ChangeKind::Modified,
                    kind: f.kind,
                    size: f.size,
                    link: None,
                    opaque: true,
                });
            }
            merged.insert(
                f.path.clone(),
                MergedEntry {
                    entry: f.clone(),
                    layer: i,
                },
            );
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        changes.dedup_by(|a, b| a.path == b.path && a.change == b.change);
        all_changes.push(changes);
    }
    Tree {
        merged,
        changes: all_changes,
    }
}

/// One path dive counts as wasted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inefficiency {
    /// With a leading `/`, as dive prints it.
    pub path: String,
    /// Layers the path appears in.
    pub count: usize,
    /// The sum of its sizes over those layers.
    pub size_bytes: u64,
}

/// dive's image analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    pub efficiency_score: f64,
    pub inefficient_bytes: u64,
    /// Σ layer sizes.
    pub size_bytes: u64,
    /// Σ layer sizes except the first.
    pub user_size_bytes: u64,
    /// inefficient ÷ user size (0 when the user size is 0).
    pub user_wasted_percent: f64,
    /// Biggest first.
    pub file_reference: Vec<Inefficiency>,
}

/// dive's metrics over `layers` (each a layer's entries in tar order).
pub fn analyze(layers: &[&[Entry]]) -> Analysis {
    struct PathData {
        sum: u64,
        min: u64,
        count: usize,
    }
    let mut paths: HashMap<String, PathData> = HashMap::new();
    // Stacked filesystem of the layers beneath, for directory whiteouts.
    let mut stacked: BTreeMap<String, MergedEntry> = BTreeMap::new();
    let mut layer_sizes = Vec::new();
    for (i, files) in layers.iter().enumerate() {
        layer_sizes.push(files.iter().map(|f| f.size).sum::<u64>());
        // Keys of this layer's tree (whiteouts by the path they delete),
        // with implicit parents, to tell leaves.
        let mut nodes: BTreeMap<String, (u64, bool)> = BTreeMap::new();
        for f in files.iter() {
            let (key, size, whiteout) = match whiteout_target(&f.path) {
                Some(Err(_)) => continue,
                Some(Ok(target)) => (target, f.size, true),
                None => (f.path.clone(), f.size, false),
            };
            nodes.insert(key, (size, whiteout));
        }
        let mut parents: BTreeSet<&str> = BTreeSet::new();
        for k in nodes.keys() {
            let mut p = k.as_str();
            while let Some((d, _)) = p.rsplit_once('/') {
                if !parents.insert(d) {
                    break;
                }
                p = d;
            }
        }
        for (key, (size, whiteout)) in &nodes {
            if parents.contains(key.as_str()) {
                continue; // not a leaf
            }
            let size = if *whiteout {
                match stacked.get(key) {
                    Some(m) if m.entry.kind == EntryKind::Dir => {
                        let prefix = format!("{key}/");
                        m.entry.size
                            + stacked
                                .range(prefix.clone()..)
                                .take_while(|(k, _)| k.starts_with(&prefix))
                                .map(|(_, m)| m.entry.size)
                                .sum::<u64>()
                    }
                    _ => 0,
                }
            } else {
                *size
            };
            let d = paths.entry(key.clone()).or_insert(PathData {
                sum: 0,
                min: u64::MAX,
                count: 0,
            });
            d.sum += size;
            d.min = d.min.min(size);
            d.count += 1;
        }
        build_layers_into(&mut stacked, files, i);
    }
    let (mut min_total, mut sum_total) = (0u64, 0u64);
    let mut file_reference = Vec::new();
    for (path, d) in &paths {
        min_total += d.min;
        sum_total += d.sum;
        if d.count > 1 {
            file_reference.push(Inefficiency {
                path: format!("/{path}"),
                count: d.count,
                size_bytes: d.sum,
            });
        }
    }
    file_reference.sort_by(|a, b| b.size_bytes.cmp(&a.size_bytes).then(a.path.cmp(&b.path)));
    let inefficient_bytes = file_reference.iter().map(|f| f.size_bytes).sum();
    let size_bytes = layer_sizes.iter().sum();
    let user_size_bytes = layer_sizes.iter().skip(1).sum();
    Analysis {
        efficiency_score: if sum_total == 0 {
            1.0
        } else {
            min_total as f64 / sum_total as f64
        },
        inefficient_bytes,
        size_bytes,
        user_size_bytes,
        user_wasted_percent: if user_size_bytes == 0 {
            0.0
        } else {
            inefficient_bytes as f64 / user_size_bytes as f64
        },
        file_reference,
    }
}

/// Applies one layer onto `merged` (whiteouts, then entries).
fn build_layers_into(merged: &mut BTreeMap<String, MergedEntry>, files: &[Entry], layer: usize) {
    for f in files {
        match whiteout_target(&f.path) {
            Some(Ok(target)) => {
                remove_tree(merged, &target, true);
            }
            Some(Err(dir)) => {
                remove_tree(merged, &dir, false);
            }
            None => {}
        }
    }
    for f in files {
        if whiteout_target(&f.path).is_some() {
            continue;
        }
        if f.kind != EntryKind::Dir {
            remove_tree(merged, &f.path, false);
        }
        merged.insert(
            f.path.clone(),
            MergedEntry {
                entry: f.clone(),
                layer,
            },
        );
    }
}

/// dive's analysis of an image.
pub fn analyze_image(image: &Image) -> Analysis {
    let layers: Vec<&[Entry]> = image
        .layers
        .iter()
        .map(|l| l.info.files.as_slice())
        .collect();
    analyze(&layers)
}

/// dive's CI rules (`.dive-ci`): each `None` is disabled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CiRules {
    pub lowest_efficiency: Option<f64>,
    pub highest_wasted_bytes: Option<u64>,
    pub highest_user_wasted_percent: Option<f64>,
}

/// One rule's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleResult {
    pub rule: &'static str,
    /// `PASS`, `FAIL` or `SKIP`.
    pub status: &'static str,
    pub message: String,
}

impl CiRules {
    /// Reads dive's `.dive-ci` YAML subset: a `rules:` map with the three
    /// keys (values like `0.95`, `20MB`, `"disabled"`); other keys are ignored.
    pub fn parse_dive_ci(text: &str) -> Result<CiRules, String> {
        let mut rules = CiRules::default();
        let mut in_rules = false;
        for (n, line) in text.lines().enumerate() {
            let line = line.split(" #").next().unwrap_or(line);
            if line.trim_start().starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let indented = line.starts_with(' ') || line.starts_with('\t');
            if !indented {
                in_rules = line.trim_end() == "rules:";
                continue;
            }
            if !in_rules {
                continue;
            }
            let Some((k, v)) = line.trim().split_once(':') else {
                continue;
            };
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
            let bad = |what: &str| format!(".dive-ci line {}: {k}: {what} {v:?}", n + 1);
            match k.trim() {
                "lowestEfficiency" => {
                    rules.lowest_efficiency = parse_ratio(v).map_err(|_| bad("invalid ratio"))?
                }
                "highestWastedBytes" => {
                    rules.highest_wasted_bytes = parse_bytes(v).map_err(|_| bad("invalid size"))?
                }
                "highestUserWastedPercent" => {
                    rules.highest_user_wasted_percent =
                        parse_ratio(v).map_err(|_| bad("invalid ratio"))?
                }
                _ => {}
            }
        }
        Ok(rules)
    }

    /// Evaluates the rules as dive does (a threshold met counts as failed
    /// for the wasted rules).
    pub fn evaluate(&self, a: &Analysis) -> Vec<RuleResult> {
        let mut out = Vec::new();
        out.push(match self.highest_user_wasted_percent {
            None => skip("highestUserWastedPercent"),
            Some(t) if a.user_wasted_percent >= t && a.user_size_bytes > 0 => RuleResult {
                rule: "highestUserWastedPercent",
                status: "FAIL",
                message: format!(
                    "too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes={:.2} > threshold={t})",
                    a.user_wasted_percent
                ),
            },
            Some(t) => pass("highestUserWastedPercent", t.to_string()),
        });
        out.push(match self.highest_wasted_bytes {
            None => skip("highestWastedBytes"),
            Some(t) if a.inefficient_bytes >= t => RuleResult {
                rule: "highestWastedBytes",
                status: "FAIL",
                message: format!(
                    "too many bytes wasted (wasted-bytes={} > threshold={t})",
                    a.inefficient_bytes
                ),
            },
            Some(t) => pass("highestWastedBytes", t.to_string()),
        });
        out.push(match self.lowest_efficiency {
            None => skip("lowestEfficiency"),
            Some(t) if a.efficiency_score < t => RuleResult {
                rule: "lowestEfficiency",
                status: "FAIL",
                message: format!(
                    "image efficiency is too low (efficiency={} < threshold={t})",
                    a.efficiency_score
                ),
            },
            Some(t) => pass("lowestEfficiency", t.to_string()),
        });
        out
    }
}

fn skip(rule: &'static str) -> RuleResult {
    RuleResult {
        rule,
        status: "SKIP",
        message: "disabled".into(),
    }
}

fn pass(rule: &'static str, t: String) -> RuleResult {
    RuleResult {
        rule,
        status: "PASS",
        message: t,
    }
}

/// A ratio 0..=1, or `disabled`.
pub fn parse_ratio(v: &str) -> Result<Option<f64>, ()> {
    if v.eq_ignore_ascii_case("disabled") {
        return Ok(None);
    }
    let r: f64 = v.trim().parse().map_err(|_| ())?;
    if !(0.0..=1.0).contains(&r) {
        return Err(());
    }
    Ok(Some(r))
}

/// A size like `20MB`, `20Mb`, `50kB`, `1B`, `1024` (go-humanize, decimal
/// and binary units), or `disabled`.
pub fn parse_bytes(v: &str) -> Result<Option<u64>, ()> {
    if v.eq_ignore_ascii_case("disabled") {
        return Ok(None);
    }
    let v = v.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let num: f64 = num.parse().map_err(|_| ())?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" => 1e12,
        "tib" => 1024f64.powi(4),
        _ => return Err(()),
    };
    Ok(Some((num * mult) as u64))
}

/// Whether `path` is `dir` or below it.
pub fn within(path: &str, dir: &str) -> bool {
    path == dir || is_below(path, dir)
}

impl Tree {
    /// The merged entry at `path`, symlinks followed inside the image (at
    /// most 40 hops, as Linux allows); `..` stops at the root.
    pub fn resolve(&self, path: &str) -> Result<&MergedEntry, ImageError> {
        let mut todo: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect();
        todo.reverse();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = todo.pop() {
            match c.as_str() {
                "." => continue,
                ".." => {
                    cur.pop();
                    continue;
                }
                _ => {}
            }
            cur.push(c);
            let key = cur.join("/");
            let Some(m) = self.merged.get(&key) else {
                return Err(ImageError::NoSuchPath {
                    path: path.trim_start_matches('/').to_string(),
                    missing: key,
                });
            };
            if m.entry.kind == EntryKind::Symlink {
                hops += 1;
                if hops > 40 {
                    return Err(ImageError::SymlinkLoop {
                        path: path.trim_start_matches('/').to_string(),
                    });
                }
                let target = m.entry.link.clone().unwrap_or_default();
                cur.pop();
                if target.starts_with('/') {
                    cur.clear();
                }
                todo.extend(
                    target
                        .split('/')
                        .filter(|c| !c.is_empty())
                        .rev()
                        .map(String::from),
                );
            }
        }
        let key = cur.join("/");
        self.merged.get(&key).ok_or_else(|| ImageError::NoSuchPath {
            path: path.trim_start_matches('/').to_string(),
            missing: key,
        })
    }
}

/// Where the content of a regular file of the merged view is stored: the
/// path of its layer in the archive and the entry holding the bytes (a
/// hard link's target, which its layer stores earlier). `None` for
/// anything but files and hard links.
pub fn content_source(image: &Image, m: &MergedEntry) -> Option<(String, String)> {
    let blob = image.layers.get(m.layer)?.path.clone();
    match m.entry.kind {
        EntryKind::File => Some((blob, m.entry.path.clone())),
        EntryKind::Hardlink => Some((blob, m.entry.link.clone()?)),
        _ => None,
    }
}

/// One layer as `layerkit tree` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerSummary {
    pub index: usize,
    pub digest: Digest,
    pub diff_id: Digest,
    /// Docker's layer size (the tar headers' sizes).
    pub size_bytes: u64,
    /// The history entry that made the layer (`created_by`).
    pub command: String,
    pub added: usize,
    pub modified: usize,
    pub removed: usize,
}

/// Each layer of `image` with its size, command and change counts.
pub fn layer_summaries(image: &Image, tree: &Tree) -> Vec<LayerSummary> {
    let mut commands = vec![String::new(); image.layers.len()];
    if let Ok(h) = super::history::history(image, &[]) {
        for e in h {
            if let Some(c) = e.layer.and_then(|l| commands.get_mut(l)) {
                *c = e.created_by;
            }
        }
    }
    image
        .layers
        .iter()
        .zip(commands)
        .enumerate()
        .map(|(i, (l, command))| {
            let changes = tree.changes.get(i).map(Vec::as_slice).unwrap_or_default();
            let count = |k| changes.iter().filter(|c| c.change == k).count();
            LayerSummary {
                index: i,
                digest: l.descriptor.digest.clone(),
                diff_id: l.diff_id.clone(),
                size_bytes: l.docker_size(),
                command,
                added: count(ChangeKind::Added),
                modified: count(ChangeKind::Modified),
                removed: count(ChangeKind::Removed),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(path: &str, kind: EntryKind, size: u64) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
            link: None,
        }
    }

    #[test]
    fn whiteouts_and_opaque_dirs() {
        use EntryKind::*;
        let l0 = vec![
            e("a", Dir, 0),
            e("a/x", File, 10),
            e("a/y", File, 20),
            e("b", Dir, 0),
            e("b/old", File, 5),
            e("c", File, 7),
        ];
        let l1 = vec![
            e("a", Dir, 0),
            e("a/.wh.x", File, 0),
            e("b", Dir, 0),
            e("b/.wh..wh..opq", File, 0),
            e("b/new", File, 1),
            e("c", File, 8),
        ];
        let t = build_layers([l0.as_slice(), l1.as_slice()]);
        let paths: Vec<_> = t.merged.keys().cloned().collect();
        assert_eq!(paths, ["a", "a/y", "b", "b/new", "c"]);
        let ch: Vec<_> = t.changes[1]
            .iter()
            .map(|c| (c.path.as_str(), c.change))
            .collect();
        assert!(ch.contains(&("a/x", ChangeKind::Removed)));
        assert!(ch.contains(&("b/old", ChangeKind::Removed)));
        assert!(ch.contains(&("b/new", ChangeKind::Added)));
        assert!(ch.contains(&("c", ChangeKind::Modified)));
        let a = analyze(&[&l0, &l1]);
        // c: 7 + 8 in two layers; a/x: 10 then a file whiteout (0).
        assert_eq!(a.inefficient_bytes, 15 + 10);
        assert_eq!(a.user_size_bytes, 9);
    }

    #[test]
    fn dive_ci_file() {
        let r = CiRules::parse_dive_ci(
            "plugins:\n  - p\nrules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20Mb\n  highestUserWastedPercent: \"disabled\"\n",
        )
        .unwrap();
        assert_eq!(r.lowest_efficiency, Some(0.95));
        assert_eq!(r.highest_wasted_bytes, Some(20_000_000));
        assert_eq!(r.highest_user_wasted_percent, None);
    }
}
