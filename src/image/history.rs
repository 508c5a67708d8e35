//! `docker history`: one row per history entry, newest first, layer sizes
//! matched to the entries that made a layer (empty layers show 0B).
//!
//! As the daemon does: walking `history`, each entry without
//! `empty_layer` takes the next layer; the newest row carries the image id,
//! the next ones the ids of the parent chain when known, the rest
//! `<missing>`.

use serde::Serialize;

use super::units::{format_rfc3339, human_duration, human_size, parse_rfc3339};
use super::{Image, ImageError};
use crate::oci::Digest;

/// Go's zero time, as the daemon reports an entry without `created`.
const GO_ZERO_TIME: i64 = -62135596800;

/// One history entry, as the daemon's history API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The image id for the entry, or `<missing>`.
    pub id: String,
    /// Seconds since the epoch (Go's zero time when absent).
    pub created: i64,
    pub created_by: String,
    pub comment: String,
    /// Docker's layer size (sum of the tar headers' sizes); 0 for empty layers.
    pub size: u64,
    /// Which layer (index into the image's layers) the entry made.
    pub layer: Option<usize>,
}

/// The history of `image`. `ancestors` are the ids of its parent chain
/// (parent first), known only when an archive names them.
pub fn history(image: &Image, ancestors: &[Digest]) -> Result<Vec<HistoryEntry>, ImageError> {
    let mut rows = Vec::new();
    let mut next_layer = 0usize;
    for h in &image.config.history {
        let mut size = 0;
        let mut layer = None;
        if !h.empty_layer {
            if next_layer >= image.layers.len() {
                return Err(ImageError::NoImage(format!(
                    "{}: the config's history has more non-empty entries than the image has layers ({})",
                    image.source,
                    image.layers.len()
                )));
            }
            size = image.layers[next_layer].docker_size();
            layer = Some(next_layer);
            next_layer += 1;
        }
        rows.push(HistoryEntry {
            id: "<missing>".into(),
            created: h
                .created
                .as_deref()
                .and_then(parse_rfc3339)
                .map(|t| t.unix)
                .unwrap_or(GO_ZERO_TIME),
            created_by: h.created_by.clone().unwrap_or_default(),
            comment: h.comment.clone().unwrap_or_default(),
            size,
            layer,
        });
    }
    rows.reverse();
    let ids = std::iter::once(&image.id).chain(ancestors);
    for (row, id) in rows.iter_mut().zip(ids) {
        row.id = id.to_string();
    }
    Ok(rows)
}

/// A row as the docker CLI formats it (`docker history --format '{{json .}}'`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryRow {
    pub comment: String,
    pub created_at: String,
    pub created_by: String,
    pub created_since: String,
    #[serde(rename = "ID")]
    pub id: String,
    pub size: String,
}

/// How to format rows: docker's `--no-trunc` and `-H/--human`, with the
/// time `now` (seconds since the epoch) for "5 years ago".
#[derive(Debug, Clone, Copy)]
pub struct RowFormat {
    pub truncate: bool,
    pub human: bool,
    pub now: i64,
}

impl HistoryEntry {
    pub fn row(&self, f: RowFormat) -> HistoryRow {
        let created_at = format_rfc3339(self.created);
        let created_since = if !f.human {
            created_at.clone()
        } else if self.created > 0 {
            format!("{} ago", human_duration(f.now - self.created))
        } else {
            "N/A".into()
        };
        let created_by = self.created_by.replace('\t', " ");
        let id = if self.id != "<missing>" && f.truncate {
            self.id
                .strip_prefix("sha256:")
                .unwrap_or(&self.id)
                .chars()
                .take(12)
                .collect()
        } else {
            self.id.clone()
        };
        HistoryRow {
            comment: self.comment.clone(),
            created_at,
            created_by: if f.truncate {
                ellipsis(&created_by, 45)
            } else {
                created_by
            },
            created_since,
            id,
            size: if f.human {
                human_size(self.size)
            } else {
                self.size.to_string()
            },
        }
    }
}

/// docker's `stringutils.Ellipsis`: at most `max` characters, the last
/// one `…` when cut.
pub fn ellipsis(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsis_like_docker() {
        assert_eq!(
            ellipsis("/bin/sh -c cp /root/saved.txt /root/.data/saved.again", 45),
            "/bin/sh -c cp /root/saved.txt /root/.data/sa…"
        );
        assert_eq!(ellipsis("short", 45), "short");
    }
}
