//! `layerkit load [-i FILE]`: images from an archive into the store.

use std::path::PathBuf;

use clap::Args as ClapArgs;

use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
pub struct Args {
    /// Read from a file (or an OCI layout directory) instead of STDIN.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Suppress the load output.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(_args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let _ = ctx.store()?;
    anyhow::bail!("load is not available yet")
}
