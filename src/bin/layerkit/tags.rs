//! `layerkit tags REPO`: list a repository's tags.

use clap::Args;
use layerkit::oci::Reference;

use crate::registry_args::RegistryArgs;
use crate::transport::block_on;
use crate::{registry_config, Outcome};

/// List the tags of a repository (every page).
#[derive(Args)]
#[command(
    after_help = "Examples:\n  layerkit tags alpine\n  layerkit tags localhost:5000/app --format json"
)]
pub struct Tags {
    /// The repository: [REGISTRY/]NAME.
    repository: String,
    /// `text`: one tag a line; `json`: an array.
    #[arg(long, value_parser = ["json", "text"], default_value = "text")]
    format: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub fn run(cmd: Tags) -> anyhow::Result<Outcome> {
    let r: Reference = cmd.repository.parse()?;
    if r.tag.is_some() || r.digest.is_some() {
        anyhow::bail!(
            "{}: name a repository, without a tag or digest",
            cmd.repository
        );
    }
    let settings = cmd.registry.settings(&[&r.registry])?;
    let client = registry_config::client(&settings, &r.registry)?;
    let tags = block_on(client.tags(&r.repository))?;
    if cmd.format == "json" {
        println!("{}", serde_json::to_string_pretty(&tags)?);
    } else {
        for t in tags {
            println!("{t}");
        }
    }
    Ok(Outcome::Ok)
}
