//! `layerkit pull`: download an image from a registry into the local store.

use anyhow::Context;
use clap::Args;
use layerkit::oci::{Platform, Reference};

use crate::copy::TransferArgs;
use crate::progress::Progress;
use crate::registry_args::parse_ref;
use crate::transfer::{self, Layout, Options};
use crate::transport::block_on;
use crate::{registry_config, Ctx, Outcome};

/// Download an image from a registry into the local store.
///
/// From a multi-platform image the manifest for this machine's platform
/// (or --platform) is taken. Layers download in parallel, each verified
/// against its digest before it enters the store; an interrupted download
/// resumes where it stopped, now or on the next pull.
#[derive(Args)]
#[command(after_help = "\
Examples:
  layerkit pull alpine:3.20
  layerkit pull --platform linux/arm64 ghcr.io/org/app:1.2
  layerkit pull -a localhost:5000/app      # every tag")]
pub struct Pull {
    /// The image: NAME[:TAG|@DIGEST] (Docker Hub unless NAME starts with a
    /// registry host).
    reference: String,
    /// Download every tag of the repository.
    #[arg(long, short = 'a')]
    all_tags: bool,
    /// Platform to pick from a multi-platform image (os/arch[/variant]).
    #[arg(long)]
    platform: Option<Platform>,
    /// Keep the whole multi-platform image (every platform's manifest and
    /// layers).
    #[arg(long)]
    all_platforms: bool,
    #[command(flatten)]
    transfer: TransferArgs,
}

pub fn run(cmd: Pull, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let raw: Reference = cmd.reference.parse()?;
    let mut refs = Vec::new();
    if cmd.all_tags {
        if raw.tag.is_some() || raw.digest.is_some() {
            anyhow::bail!("tag can't be used with --all-tags/-a");
        }
        let settings = cmd.transfer.registry.settings(&[&raw.registry])?;
        let client = registry_config::client(&settings, &raw.registry)?;
        let tags = block_on(client.tags(&raw.repository))?;
        for t in tags {
            let mut r = raw.clone();
            r.tag = Some(t);
            refs.push(r);
        }
        if !cmd.transfer.quiet {
            eprintln!("Pulling {} tags of {}", refs.len(), raw.name());
        }
    } else {
        if raw.tag.is_none() && raw.digest.is_none() && !cmd.transfer.quiet {
            eprintln!("Using default tag: latest");
        }
        refs.push(parse_ref(&cmd.reference)?);
    }
    for reference in refs {
        pull_one(&cmd, ctx, &reference)?;
    }
    Ok(Outcome::Ok)
}

fn pull_one(cmd: &Pull, ctx: &Ctx, reference: &Reference) -> anyhow::Result<()> {
    let quiet = cmd.transfer.quiet;
    let progress = Progress::new(quiet);
    progress.message(&format!(
        "{}: Pulling from {}",
        reference
            .tag
            .clone()
            .unwrap_or_else(|| reference.identifier()),
        reference.repository
    ));
    let src = cmd.transfer.registry_image(reference)?;
    let dst = Layout::store(ctx.store()?)?;
    let opts = Options {
        platform: cmd.platform.clone(),
        all_platforms: cmd.all_platforms,
        jobs: cmd.transfer.jobs,
        progress,
    };
    let copied = transfer::copy(&src, &dst, std::slice::from_ref(reference), &opts)
        .with_context(|| format!("pulling {reference}"))?;
    if !quiet {
        eprintln!("Digest: {}", copied.digest);
        if copied.bytes == 0 && copied.blobs == copied.skipped {
            eprintln!("Status: Image is up to date for {}", reference.familiar());
        } else {
            eprintln!(
                "Status: Downloaded newer image for {}",
                reference.familiar()
            );
        }
    }
    println!("{reference}");
    Ok(())
}
