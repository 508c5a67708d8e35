//! `layerkit images`: list the images in the store, as `docker images` does
//! (same columns, sizes, relative times and filters), plus the shared
//! display helpers of the store commands.

use std::io::Write;

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use layerkit::image::compose::format_rfc3339;
use serde::Serialize;

use crate::store::{Image, Store};
use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
#[command(after_help = "\
Filters (-f KEY=VALUE, repeatable):
  dangling=true|false    images without a name (or only named ones)
  reference=PATTERN      names matching a glob, like busybox or 'me/*:1.*'
  since=IMAGE            created after IMAGE
  before=IMAGE           created before IMAGE
  label=KEY[=VALUE]      images with that label

Format (--format):
  table                  REPOSITORY, TAG, IMAGE ID, CREATED, SIZE (default)
  json                   one JSON object per line, with Docker's field names
  TEMPLATE               placeholders {{.Repository}} {{.Tag}} {{.ID}} {{.Digest}}
                         {{.CreatedSince}} {{.CreatedAt}} {{.Size}}, `\\t` for a
                         column break; prefix with `table ` for a header row

SIZE is what the image takes in the store: its manifest, config and layer
blobs as stored (compressed layers count compressed); blobs shared with
other images count in each (`system df -v` splits shared and unique).

Examples:
  layerkit images
  layerkit images busybox
  layerkit images -f dangling=true -q
  layerkit images --format '{{.Repository}}:{{.Tag}}\\t{{.Size}}'")]
pub struct Args {
    /// Show only images with this name: REPOSITORY or REPOSITORY:TAG
    /// (globs allowed).
    pub reference: Option<String>,
    /// Show all images (there are no hidden intermediate images in the
    /// store; accepted for docker compatibility).
    #[arg(short, long)]
    pub all: bool,
    /// Only show image IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Show digests (the manifest digest each image is stored under).
    #[arg(long)]
    pub digests: bool,
    /// Filter output based on conditions provided.
    #[arg(short, long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Output format: table, json, or a template.
    #[arg(long)]
    pub format: Option<String>,
}

/// One row of `images`: an image under one of its names.
pub struct Row<'a> {
    pub image: &'a Image,
    pub repo: String,
    pub tag: String,
}

pub fn run(args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let store = ctx.store()?;
    let _lock = store.lock_shared()?;
    let images = store.images()?;
    let mut filters = Filters::parse(&args.filter, &store, &images)?;
    if let Some(r) = &args.reference {
        filters.reference.push(normalize_pattern(r));
    }
    let now = now();
    let mut rows: Vec<Row> = Vec::new();
    for img in &images {
        if !filters.keep_image(img) {
            continue;
        }
        if img.tags.is_empty() {
            if filters.reference.is_empty() {
                rows.push(Row {
                    image: img,
                    repo: "<none>".into(),
                    tag: "<none>".into(),
                });
            }
            continue;
        }
        for t in &img.tags {
            if !filters.keep_name(&t.familiar_name(), t.tag.as_deref().unwrap_or("")) {
                continue;
            }
            rows.push(Row {
                image: img,
                repo: t.familiar_name(),
                tag: t.tag.clone().unwrap_or_else(|| "<none>".into()),
            });
        }
    }
    rows.sort_by(|a, b| {
        b.image
            .created()
            .cmp(&a.image.created())
            .then_with(|| a.repo.cmp(&b.repo))
            .then_with(|| a.tag.cmp(&b.tag))
    });

    let out = std::io::stdout();
    let mut out = out.lock();
    if args.quiet {
        // One line per row, as Docker prints them: an image with several
        // names appears once per name.
        for r in &rows {
            writeln!(out, "{}", show_id(r.image, args.no_trunc))?;
        }
        return Ok(Outcome::Ok);
    }
    let fields = |r: &Row| -> Vec<(&'static str, String)> {
        vec![
            ("Repository", r.repo.clone()),
            ("Tag", r.tag.clone()),
            ("Digest", r.image.entry.digest.to_string()),
            ("ID", show_id(r.image, args.no_trunc)),
            ("CreatedSince", created_since(r.image, now)),
            ("CreatedAt", created_at(r.image)),
            ("Size", human_size(r.image.size())),
        ]
    };
    match args.format.as_deref() {
        Some("json") => {
            for r in &rows {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&json_row(r, now, args.no_trunc))?
                )?;
            }
        }
        None | Some("table") => {
            let mut header = vec!["REPOSITORY", "TAG"];
            if args.digests {
                header.push("DIGEST");
            }
            header.extend(["IMAGE ID", "CREATED", "SIZE"]);
            let mut t = Table::new(header.iter().map(|s| s.to_string()).collect());
            for r in &rows {
                let mut cells = vec![r.repo.clone(), r.tag.clone()];
                if args.digests {
                    cells.push(r.image.entry.digest.to_string());
                }
                cells.extend([
                    show_id(r.image, args.no_trunc),
                    created_since(r.image, now),
                    human_size(r.image.size()),
                ]);
                t.row(cells);
            }
            t.print(&mut out)?;
        }
        Some(template) => {
            let rendered: Vec<Vec<(&str, String)>> = rows.iter().map(fields).collect();
            print_template(&mut out, template, &rendered, |r| {
                serde_json::to_string(&json_row(&rows[r], now, args.no_trunc)).unwrap_or_default()
            })?;
        }
    }
    Ok(Outcome::Ok)
}

fn show_id(img: &Image, no_trunc: bool) -> String {
    if no_trunc {
        img.id().to_string()
    } else {
        img.id().short().to_string()
    }
}

fn created_since(img: &Image, now: i64) -> String {
    match img.created() {
        Some(t) => format!("{} ago", human_duration(now - t)),
        None => "N/A".into(),
    }
}

fn created_at(img: &Image) -> String {
    match img.created() {
        Some(t) => format_rfc3339(t)
            .replacen('T', " ", 1)
            .replace('Z', " +0000 UTC"),
        None => String::new(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonRow {
    containers: &'static str,
    created_at: String,
    created_since: String,
    digest: String,
    #[serde(rename = "ID")]
    id: String,
    repository: String,
    shared_size: &'static str,
    size: String,
    tag: String,
    unique_size: &'static str,
    virtual_size: String,
}

fn json_row(r: &Row, now: i64, no_trunc: bool) -> JsonRow {
    JsonRow {
        containers: "N/A",
        created_at: created_at(r.image),
        created_since: created_since(r.image, now),
        digest: r.image.entry.digest.to_string(),
        id: show_id(r.image, no_trunc),
        repository: r.repo.clone(),
        shared_size: "N/A",
        size: human_size(r.image.size()),
        tag: r.tag.clone(),
        unique_size: "N/A",
        virtual_size: human_size(r.image.size()),
    }
}

/// Parsed `-f` filters.
struct Filters {
    dangling: Option<bool>,
    reference: Vec<String>,
    since: Option<i64>,
    before: Option<i64>,
    labels: Vec<(String, Option<String>)>,
}

impl Filters {
    fn parse(raw: &[String], store: &Store, images: &[Image]) -> anyhow::Result<Filters> {
        let mut f = Filters {
            dangling: None,
            reference: Vec::new(),
            since: None,
            before: None,
            labels: Vec::new(),
        };
        for item in raw {
            let Some((k, v)) = item.split_once('=') else {
                bail!("bad format of filter (expected name=value): {item}");
            };
            let created = |v: &str| -> anyhow::Result<i64> {
                let found = store.find(images, v)?;
                Ok(found.image.created().unwrap_or(0))
            };
            match k.to_ascii_lowercase().as_str() {
                "dangling" => {
                    f.dangling = Some(match v.to_ascii_lowercase().as_str() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => bail!("invalid filter 'dangling={v}': use true or false"),
                    })
                }
                "reference" => f.reference.push(normalize_pattern(v)),
                "since" => f.since = Some(created(v)?),
                "before" => f.before = Some(created(v)?),
                "label" => f.labels.push(match v.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (v.to_string(), None),
                }),
                other => bail!(
                    "invalid filter '{other}': use dangling, reference, since, before or label"
                ),
            }
        }
        Ok(f)
    }

    fn keep_image(&self, img: &Image) -> bool {
        if let Some(d) = self.dangling {
            if d != img.tags.is_empty() {
                return false;
            }
        }
        let created = img.created().unwrap_or(0);
        if self.since.is_some_and(|s| created <= s) || self.before.is_some_and(|b| created >= b) {
            return false;
        }
        let labels = img.config.config.as_ref().and_then(|c| c.labels.as_ref());
        self.labels.iter().all(|(k, v)| {
            labels
                .and_then(|l| l.get(k))
                .is_some_and(|have| v.as_ref().is_none_or(|v| v == have))
        })
    }

    fn keep_name(&self, repo: &str, tag: &str) -> bool {
        self.reference.iter().all(|pattern| {
            let full = format!("{repo}:{tag}");
            match pattern.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
                Some(_) => glob(pattern, &full),
                None => glob(pattern, repo),
            }
        })
    }
}

/// A reference without wildcards in Docker's familiar form
/// (`docker.io/library/busybox` → `busybox`), as names are matched.
fn normalize_pattern(p: &str) -> String {
    if p.contains(['*', '?', '[']) {
        return p.to_string();
    }
    match p.parse::<layerkit::oci::Reference>() {
        Ok(r) => r.familiar(),
        Err(_) => p.to_string(),
    }
}

/// Go's `path.Match`: `*` any run without `/`, `?` one such character.
pub fn glob(pattern: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != '/')
                .any(|i| go(&p[1..], &s[i..])),
            Some('?') => s.first().is_some_and(|&c| c != '/') && go(&p[1..], &s[1..]),
            Some(&c) => s.first() == Some(&c) && go(&p[1..], &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

/// Seconds since the epoch now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Sizes as Docker prints them: decimal units, three significant digits
/// (`1.22MB`, `14B`, `72.8MB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut size = bytes as f64;
    let mut i = 0;
    while size >= 1000.0 && i < UNITS.len() - 1 {
        size /= 1000.0;
        i += 1;
    }
    format!("{}{}", go_g3(size), UNITS[i])
}

/// Go's `%.3g`.
fn go_g3(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.abs().log10().floor() as i32;
    // %g uses scientific notation when exp < -4 or exp >= precision.
    let rounded = format!("{:.*e}", 2, v);
    let (mant, e) = rounded.split_once('e').unwrap_or((&rounded, "0"));
    let e: i32 = e.parse().unwrap_or(exp);
    if !(-4..3).contains(&e) {
        let mant = trim_zeros(mant);
        return format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let decimals = (2 - e).max(0) as usize;
    trim_zeros(&format!("{v:.decimals$}"))
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Docker's `units.HumanDuration`.
pub fn human_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let minutes = secs / 60;
    let hours = (secs + 1800) / 3600;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", secs / 3600 / 24 / 365)
    }
}

/// Columns as Docker's CLI aligns them (Go `tabwriter`: minimum width 10,
/// padding 3).
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: Vec<String>) -> Table {
        Table { rows: vec![header] }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0usize; cols];
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(c.chars().count() + 3).max(10);
            }
        }
        for r in &self.rows {
            let mut line = String::new();
            for (i, c) in r.iter().enumerate() {
                line.push_str(c);
                if i + 1 < r.len() {
                    let pad = widths[i] - c.chars().count();
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
}

/// Renders a Go-template-like `template` (`{{.Field}}`, `{{json .}}`,
/// `\t`, a leading `table `) for each row of fields.
pub fn print_template(
    out: &mut dyn Write,
    template: &str,
    rows: &[Vec<(&str, String)>],
    json: impl Fn(usize) -> String,
) -> anyhow::Result<()> {
    let (table, body) = match template.strip_prefix("table") {
        Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
            (true, rest.trim_start())
        }
        _ => (false, template),
    };
    let body = body.replace("\\t", "\t").replace("\\n", "\n");
    let render = |fields: &[(&str, String)], i: Option<usize>| -> anyhow::Result<String> {
        let mut s = String::new();
        let mut rest = body.as_str();
        while let Some(start) = rest.find("{{") {
            s.push_str(&rest[..start]);
            let end = rest[start..]
                .find("}}")
                .context("unterminated {{ in --format")?
                + start;
            let expr = rest[start + 2..end].trim();
            if expr == "json ." {
                match i {
                    Some(i) => s.push_str(&json(i)),
                    None => s.push_str("JSON"),
                }
            } else {
                let name = expr.strip_prefix('.').unwrap_or(expr);
                match fields.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => s.push_str(v),
                    None => bail!(
                        "unknown field {expr:?} in --format; fields: {}",
                        fields
                            .iter()
                            .map(|(k, _)| format!(".{k}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                }
            }
            rest = &rest[end + 2..];
        }
        s.push_str(rest);
        Ok(s)
    };
    let mut lines: Vec<String> = Vec::new();
    if table {
        if let Some(first) = rows.first() {
            let header: Vec<(&str, String)> =
                first.iter().map(|(k, _)| (*k, header_name(k))).collect();
            lines.push(render(&header, None)?);
        }
    }
    for (i, r) in rows.iter().enumerate() {
        lines.push(render(r, Some(i))?);
    }
    if body.contains('\t') || table {
        let mut t = Table { rows: Vec::new() };
        for l in &lines {
            t.rows.push(l.split('\t').map(str::to_string).collect());
        }
        t.print(out)?;
    } else {
        for l in lines {
            writeln!(out, "{l}")?;
        }
    }
    Ok(())
}

fn header_name(field: &str) -> String {
    match field {
        "ID" => "IMAGE ID".into(),
        "CreatedSince" => "CREATED".into(),
        "CreatedAt" => "CREATED AT".into(),
        other => other.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_print_like_docker() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(8), "8B");
        assert_eq!(human_size(1_221_000), "1.22MB");
        assert_eq!(human_size(72_800_000), "72.8MB");
        assert_eq!(human_size(4860), "4.86kB");
        assert_eq!(human_size(999_999), "1e+03kB");
        assert_eq!(human_size(100_000), "100kB");
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(5), "5 seconds");
        assert_eq!(human_duration(90), "About a minute");
        assert_eq!(human_duration(3 * 3600), "3 hours");
        assert_eq!(human_duration(56 * 365 * 86400 + 86400 * 20), "56 years");
    }

    #[test]
    fn globs_match_like_go_path_match() {
        assert!(glob("bus*", "busybox"));
        assert!(!glob("me/*", "me/a/b"));
        assert!(glob("me/*:1.*", "me/app:1.2"));
        assert!(glob("a?c", "abc"));
    }

    #[test]
    fn tables_align_like_tabwriter() {
        let mut t = Table::new(vec!["TYPE".into(), "TOTAL".into(), "SIZE".into()]);
        t.row(vec!["Images".into(), "3".into(), "1.221MB".into()]);
        let mut out = Vec::new();
        t.print(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "TYPE      TOTAL     SIZE\nImages    3         1.221MB\n"
        );
    }
}
