//! `layerkit catalog REGISTRY`: list a registry's repositories.

use clap::Args;

use crate::registry_args::RegistryArgs;
use crate::transport::block_on;
use crate::{credentials, registry_config, Outcome};

/// List the repositories of a registry (`/v2/_catalog`, every page).
///
/// Docker Hub and many hosted registries do not offer the catalog.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  layerkit catalog localhost:5000\n  layerkit catalog registry.example.com --format json"
)]
pub struct Catalog {
    /// Registry host[:port].
    registry: String,
    /// At most this many repositories (one request with `n=`).
    #[arg(long, short = 'n', value_name = "N")]
    limit: Option<u32>,
    /// `text`: one repository a line; `json`: an array.
    #[arg(long, value_parser = ["json", "text"], default_value = "text")]
    format: String,
    #[command(flatten)]
    registry_args: RegistryArgs,
}

pub fn run(cmd: Catalog) -> anyhow::Result<Outcome> {
    let registry = credentials::normalize_server(&cmd.registry);
    let settings = cmd.registry_args.settings(&[&registry])?;
    let client = registry_config::client(&settings, &registry)?;
    let repos = match cmd.limit {
        Some(n) => block_on(client.catalog_page(Some(n), None))?.items,
        None => block_on(client.catalog())?,
    };
    if cmd.format == "json" {
        println!("{}", serde_json::to_string_pretty(&repos)?);
    } else {
        for r in repos {
            println!("{r}");
        }
    }
    Ok(Outcome::Ok)
}
