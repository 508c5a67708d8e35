//! `layerkit login`: check credentials against a registry, then save them
//! as docker does (see [`crate::credentials`]).

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use clap::Args;
use layerkit::oci::reference::DOCKER_HUB;
use layerkit::registry::Credential;

use crate::credentials;
use crate::registry_args::RegistryArgs;
use crate::registry_config;
use crate::transport::block_on;
use crate::Outcome;

/// Log in to a registry.
///
/// The credentials are checked against the registry (its `/v2/` endpoint,
/// and its token server for Bearer auth) before they are saved, in
/// ~/.docker/config.json (`$DOCKER_CONFIG`) or the credential helper it
/// names. Without SERVER, Docker Hub.
#[derive(Args)]
#[command(after_help = "\
Examples:
  layerkit login registry.example.com:5000 -u alice
  echo \"$TOKEN\" | layerkit login ghcr.io -u alice --password-stdin
  layerkit login                    # Docker Hub")]
pub struct Login {
    /// Registry host (`registry.example.com[:port]`); Docker Hub if omitted.
    server: Option<String>,
    /// User name.
    #[arg(short, long)]
    username: Option<String>,
    /// Password or token (visible to other users in the process list:
    /// prefer --password-stdin).
    #[arg(short, long)]
    password: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

fn prompt(label: &str, hidden: bool) -> anyhow::Result<String> {
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("opening the terminal to ask for credentials")?;
    write!(tty, "{label}")?;
    tty.flush()?;
    let stty = |arg: &str| {
        let _ = std::process::Command::new("stty")
            .arg(arg)
            .stdin(
                std::fs::File::open("/dev/tty")
                    .map(std::process::Stdio::from)
                    .unwrap_or_else(|_| std::process::Stdio::null()),
            )
            .status();
    };
    if hidden {
        stty("-echo");
    }
    let mut line = String::new();
    let read = std::io::BufReader::new(tty.try_clone()?).read_line(&mut line);
    if hidden {
        stty("echo");
        writeln!(tty)?;
    }
    read.context("reading from the terminal")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub fn run(cmd: Login) -> anyhow::Result<Outcome> {
    let registry = credentials::normalize_server(cmd.server.as_deref().unwrap_or(DOCKER_HUB));
    if cmd.password.is_some() && cmd.password_stdin {
        bail!("--password and --password-stdin are mutually exclusive");
    }
    if cmd.password_stdin && cmd.username.is_none() {
        bail!("--password-stdin needs --username (-u)");
    }
    let settings = cmd.registry.settings(&[&registry])?;
    let interactive = std::io::stdin().is_terminal();

    // Like docker: without a user name, try what is stored first.
    if cmd.username.is_none() && cmd.password.is_none() && !cmd.password_stdin {
        if let Some(stored) = credentials::lookup(&registry)? {
            eprintln!("Authenticating with existing credentials...");
            let client = registry_config::client_with(&settings, &registry, Some(stored))?;
            if block_on(client.ping()).is_ok() {
                println!("Login Succeeded");
                return Ok(Outcome::Ok);
            }
            eprintln!("Stored credentials were refused; enter new ones.");
        }
    }

    let username = match cmd.username {
        Some(u) => u,
        None if interactive => prompt("Username: ", false)?,
        None => bail!("cannot ask for a user name: standard input is not a terminal; pass -u USER and --password-stdin"),
    };
    if username.is_empty() {
        bail!("a user name is required");
    }
    let password = if cmd.password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_line(&mut s)
            .context("reading the password from standard input")?;
        s.trim_end_matches(['\r', '\n']).to_string()
    } else if let Some(p) = cmd.password {
        eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
        p
    } else if interactive {
        prompt("Password: ", true)?
    } else {
        bail!("cannot ask for a password: standard input is not a terminal; use --password-stdin")
    };
    if password.is_empty() {
        bail!("a password is required");
    }
    let credential = Credential::basic(username, password);
    let client = registry_config::client_with(&settings, &registry, Some(credential.clone()))?;
    block_on(client.ping()).with_context(|| format!("logging in to {registry}"))?;
    credentials::store(&registry, &credential)?;
    let place = credentials::store_name(&registry)?;
    if !place.starts_with("docker-credential-") {
        eprintln!("WARNING! Your password will be stored unencrypted in {place}.");
        eprintln!(
            "Configure a credential helper to remove this warning (credsStore in that file)."
        );
    }
    println!("Login Succeeded");
    Ok(Outcome::Ok)
}
