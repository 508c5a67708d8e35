//! `layerkit dockerfile …`

use std::io::Write;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use layerkit::dockerfile::{self, Severity};

use crate::{input, Outcome};

#[derive(Subcommand)]
pub enum Command {
    /// Parse a Dockerfile and print its syntax tree.
    ///
    /// The tree is what BuildKit (the builder behind `docker build`) reads:
    /// one entry per instruction with its keyword, flags, arguments, whether
    /// they were a JSON array, its text and lines, and its heredocs.
    /// Problems are printed to standard error with their line; the exit
    /// status is 1 when `docker build` would refuse the file.
    #[command(after_help = "\
Examples:
  layerkit dockerfile parse Dockerfile
  layerkit dockerfile parse --format buildkit Dockerfile
  cat Dockerfile | layerkit dockerfile parse - | jq '.[].cmd'")]
    Parse {
        /// The Dockerfile, or `-` for standard input.
        file: String,
        /// `json`: an array with one object per instruction (cmd, subCmd,
        /// json, original, startLine, endLine, flags, value, heredocs).
        /// `buildkit`: BuildKit's s-expression dump, one line per instruction.
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Json)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Buildkit,
}

/// Problems printed before the rest are only counted (a binary file has
/// one per line).
const MAX_SHOWN: usize = 50;

pub fn run(cmd: Command) -> anyhow::Result<Outcome> {
    match cmd {
        Command::Parse { file, format } => parse(&file, format),
    }
}

fn parse(file: &str, format: Format) -> anyhow::Result<Outcome> {
    let bytes = input::read(file)?;
    let df = dockerfile::parse_bytes(&bytes);
    let typed = df.instructions();
    let name = input::display_name(file);
    let mut failed = false;
    let mut diags: Vec<_> = df.diagnostics.iter().chain(&typed.diagnostics).collect();
    diags.sort_by_key(|d| d.span.start);
    let not_text = std::str::from_utf8(&bytes).is_err();
    for (i, d) in diags.iter().enumerate() {
        let level = match d.severity {
            Severity::Error => {
                failed = true;
                "error"
            }
            Severity::Warning => "warning",
        };
        if i == MAX_SHOWN {
            eprintln!(
                "{name}: … and {} more problems not shown",
                diags.len() - MAX_SHOWN
            );
        }
        if i >= MAX_SHOWN {
            continue;
        }
        eprintln!(
            "{name}:{}:{}: {level}: {}",
            d.span.start.line,
            d.span.start.col,
            input::printable(&d.message)
        );
    }
    if not_text {
        // A binary file's "tree" is noise; the error above says why.
        return Ok(Outcome::Failed);
    }
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &df.to_json()).context("writing JSON")?;
            writeln!(out)?;
        }
        Format::Buildkit => out.write_all(df.dump().as_bytes())?,
    }
    Ok(if failed { Outcome::Failed } else { Outcome::Ok })
}
