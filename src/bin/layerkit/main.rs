//! `layerkit`: Docker/OCI image tools without a daemon.
//!
//! One file per subcommand; this file holds the command table, exit codes
//! and error printing.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod blob_locations;
mod cat;
mod catalog;
mod commit;
mod compress;
mod copy;
mod credentials;
mod delete;
mod df;
mod digest;
mod dockerfile;
mod export;
mod extract;
mod history;
mod images;
mod import;
mod input;
mod inspect;
mod lint;
mod load;
mod login;
mod logout;
mod manifest;
mod progress;
mod prune;
mod pull;
mod push;
mod registry_args;
mod registry_config;
mod rmi;
mod save;
mod store;
mod table;
mod tag;
mod tags;
mod target;
mod transfer;
mod transport;
mod tree;

/// Docker/OCI image tools that need no daemon: parse and lint Dockerfiles,
/// inspect image tarballs, manage a local image store, talk to registries.
#[derive(Parser)]
#[command(name = "layerkit", version, about, long_about = None, propagate_version = true)]
#[command(after_help = "Run `layerkit <command> --help` for a command's options and examples.")]
struct Cli {
    /// The local image store (an OCI image layout). Default:
    /// $XDG_DATA_HOME/layerkit, or ~/.local/share/layerkit.
    #[arg(long, global = true, env = "LAYERKIT_ROOT", value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// What every command may need from the global options.
pub struct Ctx {
    pub root: Option<PathBuf>,
}

impl Ctx {
    /// The local image store, created on first use.
    pub fn store(&self) -> anyhow::Result<store::Store> {
        let root = store::default_root(self.root.as_deref())?;
        store::Store::open(&root)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Work with Dockerfiles: parse them exactly as BuildKit does.
    #[command(subcommand)]
    Dockerfile(dockerfile::Command),
    Lint(Box<lint::LintArgs>),
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
    /// Show an image's config and layers like `docker image inspect`, from a tarball or OCI layout.
    Inspect(inspect::InspectArgs),
    /// Show how an image was built, like `docker history`.
    History(history::HistoryArgs),
    /// Show each layer's file changes, the merged filesystem and wasted space (dive's metrics).
    Tree(tree::TreeArgs),
    /// Print one file of an image.
    Cat(cat::CatArgs),
    /// Copy a file or directory out of an image.
    Extract(extract::ExtractArgs),
    /// List images in the local store.
    Images(images::Args),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.
    Tag(tag::Args),
    /// Remove one or more images from the store.
    Rmi(rmi::Args),
    /// Save images to a tar archive (streamed to STDOUT by default).
    Save(save::Args),
    /// Load images from a tar archive or STDIN into the store.
    Load(load::Args),
    /// Import the contents from a tarball to create a filesystem image.
    Import(import::Args),
    /// Export an image's filesystem as a tar archive.
    Export(export::Args),
    /// Create a new image from a directory's changes to an image.
    Commit(commit::Args),
    /// Manage images in the store (docker image …).
    #[command(subcommand)]
    Image(ImageCommand),
    /// Store-wide information (docker system …).
    #[command(subcommand)]
    System(SystemCommand),
}

#[derive(Subcommand)]
enum ImageCommand {
    /// List images.
    #[command(alias = "list")]
    Ls(images::Args),
    /// Remove unused images.
    Prune(prune::Args),
    /// Remove one or more images.
    #[command(alias = "remove")]
    Rm(rmi::Args),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE.
    Tag(tag::Args),
    /// Save images to a tar archive.
    Save(save::Args),
    /// Load images from a tar archive or STDIN.
    Load(load::Args),
    /// Import the contents from a tarball to create a filesystem image.
    Import(import::Args),
    /// Display detailed information on an image.
    Inspect(inspect::InspectArgs),
    /// Show the history of an image.
    History(history::HistoryArgs),
}

#[derive(Subcommand)]
enum SystemCommand {
    /// Show disk usage of the store.
    Df(df::Args),
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
    store::set_root(cli.root.clone());
    let ctx = Ctx { root: cli.root };
    let result = match cli.command {
        Command::Dockerfile(cmd) => dockerfile::run(cmd),
        Command::Login(cmd) => login::run(cmd),
        Command::Logout(cmd) => logout::run(cmd),
        Command::Pull(cmd) => pull::run(cmd, &ctx),
        Command::Push(cmd) => push::run(cmd, &ctx),
        Command::Copy(cmd) => copy::run(cmd, &ctx),
        Command::Catalog(cmd) => catalog::run(cmd),
        Command::Tags(cmd) => tags::run(cmd),
        Command::Manifest(cmd) => manifest::run(cmd),
        Command::Digest(cmd) => digest::run(cmd),
        Command::Delete(cmd) => delete::run(cmd),
        Command::Lint(args) => lint::run(*args),
        Command::Inspect(a) | Command::Image(ImageCommand::Inspect(a)) => inspect::run(a),
        Command::History(a) | Command::Image(ImageCommand::History(a)) => history::run(a),
        Command::Tree(a) => tree::run(a),
        Command::Cat(a) => cat::run(a),
        Command::Extract(a) => extract::run(a),
        Command::Images(a) | Command::Image(ImageCommand::Ls(a)) => images::run(a, &ctx),
        Command::Tag(a) | Command::Image(ImageCommand::Tag(a)) => tag::run(a, &ctx),
        Command::Rmi(a) | Command::Image(ImageCommand::Rm(a)) => rmi::run(a, &ctx),
        Command::Save(a) | Command::Image(ImageCommand::Save(a)) => save::run(a, &ctx),
        Command::Load(a) | Command::Image(ImageCommand::Load(a)) => load::run(a, &ctx),
        Command::Import(a) | Command::Image(ImageCommand::Import(a)) => import::run(a, &ctx),
        Command::Image(ImageCommand::Prune(a)) => prune::run(a, &ctx),
        Command::Export(a) => export::run(a, &ctx),
        Command::Commit(a) => commit::run(a, &ctx),
        Command::System(SystemCommand::Df(a)) => df::run(a, &ctx),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            // `layerkit … | head`: the reader went away; not an error.
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("layerkit: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}
