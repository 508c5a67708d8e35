//! `layerkit history TARGET`: like `docker history`.

use std::io::Write;

use clap::{ArgAction, Args, ValueEnum};
use layerkit::image::history::{history, RowFormat};
use layerkit::image::Limits;

use crate::target::{self, Target};
use crate::Outcome;

/// Show how an image was built, one row per history entry, newest first,
/// as `docker history` does: steps that made no layer show 0B; rows the
/// archive has no image id for show <missing>.
#[derive(Args)]
#[command(after_help = "\
Examples:
  layerkit history busybox.tar
  layerkit history --no-trunc --human=false images.tar:app:1
  layerkit history --format json ./oci-layout | jq -r .CreatedBy")]
pub struct HistoryArgs {
    /// The image: FILE[.tar|.tar.gz], `-`, or an OCI layout DIR, with an
    /// optional `:NAME:TAG` or `@INDEX`.
    target: String,
    /// Don't truncate ids and commands.
    #[arg(long)]
    no_trunc: bool,
    /// Sizes and dates in human-readable form (`--human=false` for bytes
    /// and RFC 3339 times).
    #[arg(short = 'H', long, action = ArgAction::Set, num_args = 0..=1,
          default_value_t = true, default_missing_value = "true")]
    human: bool,
    /// `table`, or `json`: one JSON object per line with docker's fields
    /// (Comment, CreatedAt, CreatedBy, CreatedSince, ID, Size), as
    /// `docker history --format '{{json .}}'` prints.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Only show image ids (and no progress).
    #[arg(long, short = 'q')]
    quiet: bool,
    /// For an index with several platforms: os/arch[/variant].
    #[arg(long)]
    platform: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Go's JSON encoder escapes `<`, `>` and `&`; docker's output has them so.
pub fn go_json(s: &str) -> String {
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

pub fn run(a: HistoryArgs) -> anyhow::Result<Outcome> {
    let t = Target::parse(&a.target, a.platform.as_deref())?;
    let (archive, _) = target::read(&t, true, Limits::default(), None)?;
    let image = target::image(&archive, &t)?;
    let ancestors = archive.ancestors(&image);
    let entries = history(&image, &ancestors)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let f = RowFormat {
        truncate: !a.no_trunc,
        human: a.human,
        now,
    };
    let mut out = std::io::stdout().lock();
    if a.quiet {
        for e in &entries {
            writeln!(out, "{}", e.row(f).id)?;
        }
        return Ok(Outcome::Ok);
    }
    match a.format {
        Format::Json => {
            for e in &entries {
                writeln!(out, "{}", go_json(&serde_json::to_string(&e.row(f))?))?;
            }
        }
        Format::Table => {
            let mut rows = vec![vec![
                "IMAGE".to_string(),
                "CREATED".into(),
                "CREATED BY".into(),
                "SIZE".into(),
                "COMMENT".into(),
            ]];
            for e in &entries {
                let r = e.row(f);
                rows.push(vec![r.id, r.created_since, r.created_by, r.size, r.comment]);
            }
            crate::table::write(&mut out, &rows)?;
        }
    }
    Ok(Outcome::Ok)
}
