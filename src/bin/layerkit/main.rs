//! `layerkit`: Docker/OCI image tools without a daemon.
//!
//! One file per subcommand; this file holds the command table, exit codes
//! and error printing.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod catalog;
mod copy;
mod credentials;
mod delete;
mod digest;
mod dockerfile;
mod input;
mod login;
mod logout;
mod manifest;
mod progress;
mod pull;
mod push;
mod registry_args;
mod registry_config;
mod tags;
mod transfer;
mod transport;

/// Docker/OCI image tools that need no daemon: parse and lint Dockerfiles,
/// inspect image tarballs, manage a local image store, talk to registries.
#[derive(Parser)]
#[command(name = "layerkit", version, about, long_about = None, propagate_version = true)]
#[command(after_help = "Run `layerkit <command> --help` for a command's options and examples.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with Dockerfiles: parse them exactly as BuildKit does.
    #[command(subcommand)]
    Dockerfile(dockerfile::Command),
    /// Log in to a registry (credentials checked, then saved as docker does).
    Login(login::Login),
    /// Log out from a registry.
    Logout(logout::Logout),
    /// Download an image from a registry into the local store.
    Pull(pull::Pull),
    /// Upload an image to a registry.
    Push(push::Push),
    /// Copy an image between registries, OCI layouts and the store.
    Copy(copy::Copy),
    /// List a registry's repositories.
    Catalog(catalog::Catalog),
    /// List a repository's tags.
    Tags(tags::Tags),
    /// Print an image's manifest as the registry serves it.
    Manifest(manifest::Manifest),
    /// Print the digest of an image's manifest.
    Digest(digest::Digest),
    /// Delete an image from a registry.
    Delete(delete::Delete),
}

/// What a command tells `main` to exit with.
pub enum Outcome {
    /// Everything fine.
    Ok,
    /// The command ran, and what it checked failed (errors in the input,
    /// findings over the threshold). It has printed why.
    Failed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dockerfile(cmd) => dockerfile::run(cmd),
        Command::Login(cmd) => login::run(cmd),
        Command::Logout(cmd) => logout::run(cmd),
        Command::Pull(cmd) => pull::run(cmd),
        Command::Push(cmd) => push::run(cmd),
        Command::Copy(cmd) => copy::run(cmd),
        Command::Catalog(cmd) => catalog::run(cmd),
        Command::Tags(cmd) => tags::run(cmd),
        Command::Manifest(cmd) => manifest::run(cmd),
        Command::Digest(cmd) => digest::run(cmd),
        Command::Delete(cmd) => delete::run(cmd),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("layerkit: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}
