//! `vod-local`: the whole pipeline on 127.0.0.1 until Ctrl-C / SIGTERM (also `vod local up`).

use clap::Parser;
use vod_local::cli::{UpArgs, init_tracing, run_until_signal};

#[derive(Debug, Parser)]
#[command(
    name = "vod-local",
    version,
    about = "The VOD pipeline on one machine (moto + Step Functions + Lambdas + MediaConvert + CDN)"
)]
struct Cli {
    #[command(flatten)]
    up: UpArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_tracing();
    Ok(run_until_signal(Cli::parse().up).await?)
}
