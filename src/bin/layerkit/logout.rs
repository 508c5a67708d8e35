//! `layerkit logout`: forget a registry's credentials.

use clap::Args;
use layerkit::oci::reference::DOCKER_HUB;

use crate::credentials;
use crate::Outcome;

/// Log out from a registry: remove its credentials from
/// ~/.docker/config.json (or its credential helper). Without SERVER,
/// Docker Hub.
#[derive(Args)]
pub struct Logout {
    /// Registry host; Docker Hub if omitted.
    server: Option<String>,
}

pub fn run(cmd: Logout) -> anyhow::Result<Outcome> {
    let registry = credentials::normalize_server(cmd.server.as_deref().unwrap_or(DOCKER_HUB));
    if credentials::erase(&registry)? {
        println!(
            "Removing login credentials for {}",
            credentials::server_key(&registry)
        );
    } else {
        println!("Not logged in to {}", credentials::server_key(&registry));
    }
    Ok(Outcome::Ok)
}
