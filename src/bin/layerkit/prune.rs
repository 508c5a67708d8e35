//! `layerkit image prune [-a] [-f]`: remove unnamed images and unused blobs.

use std::io::{BufRead, Write};

use anyhow::Context;
use clap::Args as ClapArgs;

use crate::images::human_size;
use crate::{Ctx, Outcome};

#[derive(ClapArgs)]
#[command(after_help = "\
Without -a, removes dangling images (images without a name). With -a,
removes every image: the store has no containers, so no image is in use.
Either way, blobs no image needs and half-written files of interrupted
loads are deleted.

Examples:
  layerkit image prune -f
  layerkit image prune -a -f")]
pub struct Args {
    /// Remove all images, not just dangling ones.
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Filters (until=…, label=…) are not supported yet; accepted only to
    /// refuse them clearly.
    #[arg(long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> anyhow::Result<Outcome> {
    if !args.filter.is_empty() {
        anyhow::bail!("image prune --filter is not supported yet");
    }
    if !args.force {
        let what = if args.all {
            "WARNING! This will remove all images without at least one container associated to them."
        } else {
            "WARNING! This will remove all dangling images."
        };
        print!("{what}\nAre you sure you want to continue? [y/N] ");
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Ok(crate::Outcome::Ok);
        }
    }
    let store = ctx.store()?;
    let _lock = store.lock_exclusive()?;
    let images = store.images()?;
    let mut removed = Vec::new();
    store.update_index(|index| {
        index.manifests.retain(|d| {
            let gone = args.all || d.ref_name().is_none();
            if gone {
                removed.push(d.clone());
            }
            !gone
        });
        Ok(())
    })?;
    let freed = store.collect_garbage().context("deleting unused blobs")?;
    let mut printed_header = false;
    for d in &removed {
        let Some(img) = images.iter().find(|i| i.entry.digest == d.digest) else {
            continue;
        };
        if !printed_header {
            println!("Deleted Images:");
            printed_header = true;
        }
        match d.ref_name() {
            Some(n) => println!(
                "untagged: {}",
                layerkit::oci::Reference::parse_with_default_tag(n)
                    .map(|r| r.familiar())
                    .unwrap_or_else(|_| n.to_string())
            ),
            None => println!("deleted: {}", img.id()),
        }
    }
    if printed_header {
        println!();
    }
    let total: u64 = freed.iter().map(|(_, s)| s).sum();
    println!("Total reclaimed space: {}", human_size(total));
    Ok(Outcome::Ok)
}
