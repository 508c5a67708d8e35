//! `layerkit`: Docker/OCI image tools without a daemon.
//!
//! One file per subcommand; this file holds the command table, exit codes
//! and error printing.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod dockerfile;
mod input;
mod lint;

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
