//! `vod-local`: the whole pipeline on 127.0.0.1 until Ctrl-C / SIGTERM.

use clap::Parser;
use std::path::PathBuf;
use vod_local::{LocalConfig, TwinFile, VodLocal};

#[derive(Debug, Parser)]
#[command(
    name = "vod-local",
    version,
    about = "The VOD pipeline on one machine (moto + Step Functions + Lambdas + MediaConvert + CDN)"
)]
struct Args {
    /// State directory (MediaConvert twin jobs, moto log).
    #[arg(long, default_value = ".vod", env = "VOD_STATE_DIR")]
    state_dir: PathBuf,
    /// Do not start moto: use AWS_ENDPOINT_URL (required then).
    #[arg(long)]
    no_moto: bool,
    /// Data-plane endpoint (moto or any AWS-compatible service). Unset: start moto ourselves.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    aws_endpoint: Option<String>,
    /// Another twin.json (names and ports); default: the checked-in localstack/twin.json.
    #[arg(long)]
    twin_file: Option<PathBuf>,
    /// Port of the moto server vod-local starts.
    #[arg(long)]
    moto_port: Option<u16>,
    /// Step Functions API port.
    #[arg(long)]
    sfn_port: Option<u16>,
    /// Local CDN + player port.
    #[arg(long)]
    cdn_port: Option<u16>,
    /// MediaConvert API port.
    #[arg(long)]
    mediaconvert_port: Option<u16>,
    /// Transcodes running at once.
    #[arg(long, default_value_t = 2)]
    max_jobs: usize,
    /// moto_server binary (default: VOD_MOTO_SERVER, then .venv/bin/moto_server).
    #[arg(long)]
    moto_binary: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VOD_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut twin = match &args.twin_file {
        Some(p) => TwinFile::load(p)?,
        None => TwinFile::embedded(),
    };
    if let Some(p) = args.moto_port {
        twin.ports.moto = p;
    }
    if let Some(p) = args.sfn_port {
        twin.ports.step_functions = p;
    }
    if let Some(p) = args.cdn_port {
        twin.ports.cdn = p;
    }
    if let Some(p) = args.mediaconvert_port {
        twin.ports.media_convert = p;
    }
    if args.no_moto && args.aws_endpoint.is_none() {
        anyhow::bail!(
            "--no-moto needs AWS_ENDPOINT_URL (or --aws-endpoint) pointing at a running moto"
        );
    }
    let config = LocalConfig {
        twin,
        state_dir: args.state_dir,
        aws_endpoint: args.aws_endpoint,
        moto_binary: args.moto_binary,
        max_concurrent_jobs: args.max_jobs,
        ..LocalConfig::default()
    };
    let local = VodLocal::start(config).await?;
    let e = local.endpoints();
    println!("vod-local is up");
    println!("  data plane (moto)  {}", e.aws);
    println!(
        "  Step Functions     {}   {}",
        e.step_functions, e.state_machine_arn
    );
    println!("  MediaConvert       {}", e.mediaconvert);
    println!("  CDN + player       {}/player/<assetId>", e.cdn);
    println!("  upload to          s3://{}/", e.twin.source_bucket);
    for r in local.recovered() {
        println!(
            "  recovered          {} was {} at restart: now FAILED",
            r.asset_id,
            r.status.as_str()
        );
    }
    println!("\n# for the aws CLI:\n{}\n", e.exports());
    println!("Ctrl-C to stop.");

    wait_for_signal().await;
    eprintln!("stopping: killing running transcodes and moto (if started here)...");
    local.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
