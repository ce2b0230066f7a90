//! `vod`: upload, follow and play assets of the VOD pipeline, on AWS or the local twin.
//! The command line is [`vod_cli::cli`]; each command's work is its module's `run`.

use anyhow::{Context, Result};
use clap::Parser;
use std::process::ExitCode;
use vod_cli::cli::{Cli, Command, JobCommand, LocalCommand};
use vod_cli::settings::Resources;
use vod_cli::{env, exit, list, plan, playback, probe, sign, status, upload, watch};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .and_then(|runtime| runtime.block_on(run(cli)));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

async fn run(cli: Cli) -> Result<u8> {
    let r = &Resources::resolve(cli.resources)?;
    Ok(match cli.command {
        Command::Upload(args) => upload::run(args, r).await?,
        Command::Status(args) => status::run(args, r).await?,
        Command::List(args) => list::run(args, r).await?,
        Command::Watch(args) => watch::run(args, r).await?,
        Command::Probe(args) => probe::run(args).await?,
        Command::Job {
            command: JobCommand::Plan(args),
        } => plan::run(args, r).await?,
        Command::Sign(args) => sign::run(args)?,
        Command::Playback(args) => playback::run(args, r).await?,
        Command::Local {
            command: LocalCommand::Up(args),
        } => {
            vod_local::cli::init_tracing();
            vod_local::cli::run_until_signal(args).await?;
            exit::OK
        }
        Command::Local {
            command: LocalCommand::Reset(args),
        } => {
            vod_local::cli::reset(&args)?;
            exit::OK
        }
        Command::Env => env::run(),
    })
}
