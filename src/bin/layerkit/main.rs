//! `layerkit`: Docker/OCI image tools without a daemon.
//!
//! One file per subcommand; this file holds the command table, exit codes
//! and error printing.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cat;
mod dockerfile;
mod extract;
mod history;
mod input;
mod inspect;
mod lint;
mod table;
mod target;
mod tree;

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
    Lint(Box<lint::LintArgs>),
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
        Command::Lint(args) => lint::run(*args),
        Command::Inspect(a) => inspect::run(a),
        Command::History(a) => history::run(a),
        Command::Tree(a) => tree::run(a),
        Command::Cat(a) => cat::run(a),
        Command::Extract(a) => extract::run(a),
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
