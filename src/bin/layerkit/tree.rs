//! `layerkit tree TARGET`: what each layer changed, the merged filesystem,
//! and wasted space as dive measures it (with dive's `--ci` rules).

use std::io::Write;

use anyhow::Context;
use clap::{Args, ValueEnum};
use layerkit::image::filetree::{self, analyze_image, ChangeKind, CiRules};
use layerkit::image::history::ellipsis;
use layerkit::image::units::human_size;
use layerkit::image::Limits;
use serde_json::json;

use crate::target::{self, Target};
use crate::Outcome;

/// Show what each layer adds, modifies and removes (whiteouts and opaque
/// directories resolved), the merged filesystem, and the space wasted by
/// files stored in several layers — with dive's efficiency score and CI
/// rules, from a tarball or OCI layout, no daemon needed.
#[derive(Args)]
#[command(after_help = "\
Without --layer or --merged: one line per layer, then dive's analysis
(efficiency, wasted bytes, the biggest offenders).

Change marks: A added, M modified, D removed (deleted by a whiteout or an
opaque directory).

--ci evaluates dive's rules (lowestEfficiency, highestWastedBytes,
highestUserWastedPercent), read from --ci-config (default ./.dive-ci when
present) and overridden by the flags; the exit status is 1 when one fails.

Examples:
  layerkit tree app.tar
  layerkit tree app.tar --layer 3
  layerkit tree app.tar --merged --format json | jq -r '.merged[].path'
  layerkit tree app.tar --ci --lowest-efficiency 0.95 --highest-wasted-bytes 20MB")]
pub struct TreeArgs {
    /// The image: FILE[.tar|.tar.gz], `-`, or an OCI layout DIR, with an
    /// optional `:NAME:TAG` or `@INDEX`.
    target: String,
    /// Show the changes of layer N (from 0).
    #[arg(long, value_name = "N")]
    layer: Option<usize>,
    /// Show the merged filesystem (every path, with the layer it comes from).
    #[arg(long, conflicts_with = "layer")]
    merged: bool,
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Evaluate dive's CI rules; exit 1 when one fails.
    #[arg(long)]
    ci: bool,
    /// dive's CI config file (YAML with `rules:`).
    #[arg(long, value_name = "FILE")]
    ci_config: Option<String>,
    /// Fail when efficiency is below this ratio (0-1), or `disabled`.
    #[arg(long, value_name = "RATIO")]
    lowest_efficiency: Option<String>,
    /// Fail when at least this much is wasted (e.g. 20MB), or `disabled`.
    #[arg(long, value_name = "SIZE")]
    highest_wasted_bytes: Option<String>,
    /// Fail when wasted ÷ user bytes reaches this ratio (0-1), or `disabled`.
    #[arg(long, value_name = "RATIO")]
    highest_user_wasted_percent: Option<String>,
    /// For an index with several platforms: os/arch[/variant].
    #[arg(long)]
    platform: Option<String>,
    /// No progress on standard error.
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

fn mark(c: ChangeKind) -> &'static str {
    match c {
        ChangeKind::Added => "A",
        ChangeKind::Modified => "M",
        ChangeKind::Removed => "D",
    }
}

fn rules(a: &TreeArgs) -> anyhow::Result<CiRules> {
    let path = a.ci_config.clone().or_else(|| {
        std::path::Path::new(".dive-ci")
            .exists()
            .then(|| ".dive-ci".to_string())
    });
    let mut r = match &path {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {p}"))?;
            CiRules::parse_dive_ci(&text).map_err(anyhow::Error::msg)?
        }
        None => CiRules {
            // dive's defaults.
            lowest_efficiency: Some(0.9),
            highest_wasted_bytes: None,
            highest_user_wasted_percent: Some(0.1),
        },
    };
    let bad = |flag: &str, v: &str| {
        anyhow::anyhow!("--{flag} {v:?}: expected a ratio 0-1, a size like 20MB, or `disabled`")
    };
    if let Some(v) = &a.lowest_efficiency {
        r.lowest_efficiency = filetree::parse_ratio(v).map_err(|_| bad("lowest-efficiency", v))?;
    }
    if let Some(v) = &a.highest_wasted_bytes {
        r.highest_wasted_bytes =
            filetree::parse_bytes(v).map_err(|_| bad("highest-wasted-bytes", v))?;
    }
    if let Some(v) = &a.highest_user_wasted_percent {
        r.highest_user_wasted_percent =
            filetree::parse_ratio(v).map_err(|_| bad("highest-user-wasted-percent", v))?;
    }
    Ok(r)
}

pub fn run(a: TreeArgs) -> anyhow::Result<Outcome> {
    let t = Target::parse(&a.target, a.platform.as_deref())?;
    let ci_rules = if a.ci { Some(rules(&a)?) } else { None };
    let (archive, _) = target::read(&t, a.quiet, Limits::default(), None)?;
    let image = target::image(&archive, &t)?;
    let tree = filetree::build(&image);
    let analysis = analyze_image(&image);
    let mut out = std::io::stdout().lock();
    let json = matches!(a.format, Format::Json);

    if let Some(n) = a.layer {
        let Some(changes) = tree.changes.get(n) else {
            anyhow::bail!(
                "--layer {n}: the image has {} layers (0 to {})",
                image.layers.len(),
                image.layers.len().saturating_sub(1)
            );
        };
        if json {
            serde_json::to_writer_pretty(
                &mut out,
                &json!({"layer": n, "digest": image.layers[n].descriptor.digest, "changes": changes}),
            )?;
            writeln!(out)?;
        } else {
            for c in changes {
                let link = c
                    .link
                    .as_ref()
                    .map(|l| format!(" -> {l}"))
                    .unwrap_or_default();
                let opaque = if c.opaque { " (opaque)" } else { "" };
                writeln!(
                    out,
                    "{} {} {:>9}  /{}{link}{opaque}",
                    mark(c.change),
                    c.kind.letter(),
                    if c.change == ChangeKind::Removed {
                        "-".into()
                    } else {
                        human_size(c.size)
                    },
                    c.path
                )?;
            }
        }
        return Ok(Outcome::Ok);
    }

    if a.merged {
        if json {
            let merged: Vec<_> = tree.merged.values().collect();
            serde_json::to_writer(&mut out, &json!({"merged": merged}))?;
            writeln!(out)?;
        } else {
            for m in tree.merged.values() {
                let e = &m.entry;
                let link = e
                    .link
                    .as_ref()
                    .map(|l| format!(" -> {l}"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}{:04o} {:>5}:{:<5} {:>9} L{:<2} /{}{link}",
                    e.kind.letter(),
                    e.mode & 0o7777,
                    e.uid,
                    e.gid,
                    human_size(e.size),
                    m.layer,
                    e.path
                )?;
            }
        }
        return Ok(Outcome::Ok);
    }

    // The summary: layers, then dive's analysis.
    let layers = filetree::layer_summaries(&image, &tree);
    let evaluation = ci_rules.as_ref().map(|r| r.evaluate(&analysis));
    let failed = evaluation
        .as_ref()
        .is_some_and(|e| e.iter().any(|r| r.status == "FAIL"));
    if json {
        serde_json::to_writer_pretty(
            &mut out,
            &json!({"image": analysis, "layer": layers, "evaluation": evaluation}),
        )?;
        writeln!(out)?;
    } else {
        let mut rows = vec![vec![
            "LAYER".to_string(),
            "DIGEST".into(),
            "SIZE".into(),
            "+A ~M -D".into(),
            "COMMAND".into(),
        ]];
        for l in &layers {
            rows.push(vec![
                l.index.to_string(),
                l.digest.hex()[..12].to_string(),
                human_size(l.size_bytes),
                format!("+{} ~{} -{}", l.added, l.modified, l.removed),
                ellipsis(&l.command.replace('\t', " "), 60),
            ]);
        }
        crate::table::write(&mut out, &rows)?;
        writeln!(out)?;
        writeln!(out, "Analysis:")?;
        writeln!(
            out,
            "  efficiency:        {:.4} %",
            analysis.efficiency_score * 100.0
        )?;
        writeln!(
            out,
            "  wastedBytes:       {} bytes ({})",
            analysis.inefficient_bytes,
            human_size(analysis.inefficient_bytes)
        )?;
        writeln!(
            out,
            "  userSizeBytes:     {} bytes ({})",
            analysis.user_size_bytes,
            human_size(analysis.user_size_bytes)
        )?;
        writeln!(
            out,
            "  userWastedPercent: {:.4} %",
            analysis.user_wasted_percent * 100.0
        )?;
        if !analysis.file_reference.is_empty() {
            writeln!(out)?;
            writeln!(out, "Inefficient Files:")?;
            let mut rows = vec![vec![
                "  Count".to_string(),
                "Wasted Space".into(),
                "File Path".into(),
            ]];
            for f in analysis.file_reference.iter().take(20) {
                rows.push(vec![
                    format!("  {}", f.count),
                    human_size(f.size_bytes),
                    f.path.clone(),
                ]);
            }
            crate::table::write(&mut out, &rows)?;
            if analysis.file_reference.len() > 20 {
                writeln!(out, "  … and {} more", analysis.file_reference.len() - 20)?;
            }
        }
        if let Some(ev) = &evaluation {
            writeln!(out)?;
            writeln!(out, "Evaluation:")?;
            for r in ev {
                writeln!(out, "  {}  {} ({})", r.status, r.rule, r.message)?;
            }
            let n = |s| ev.iter().filter(|r| r.status == s).count();
            writeln!(out)?;
            writeln!(
                out,
                "{} [pass:{} fail:{} skip:{}]",
                if failed { "FAIL" } else { "PASS" },
                n("PASS"),
                n("FAIL"),
                n("SKIP")
            )?;
        }
    }
    Ok(if failed { Outcome::Failed } else { Outcome::Ok })
}
