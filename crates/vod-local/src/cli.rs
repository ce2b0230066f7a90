//! The twin's command line, shared by the `vod-local` binary and `vod local up`.

use crate::{LocalConfig, TwinFile, VodLocal};
use clap::Args;
use std::path::PathBuf;

/// Options of `vod-local` / `vod local up`.
#[derive(Debug, Clone, Args)]
pub struct UpArgs {
    /// State directory: what the twin keeps across restarts (moto's journal: buckets, objects,
    /// the asset table, the topic's subscriptions; MediaConvert twin jobs; moto's log).
    #[arg(long, default_value = ".vod", env = "VOD_STATE_DIR")]
    pub state_dir: PathBuf,
    /// Do not start moto: use AWS_ENDPOINT_URL (required then).
    #[arg(long)]
    pub no_moto: bool,
    /// Data-plane endpoint (moto or any AWS-compatible service). Unset: start moto ourselves.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub aws_endpoint: Option<String>,
    /// Another twin.json (names and ports); default: the checked-in localstack/twin.json.
    #[arg(long)]
    pub twin_file: Option<PathBuf>,
    /// Port of the moto server vod-local starts.
    #[arg(long)]
    pub moto_port: Option<u16>,
    /// Step Functions API port.
    #[arg(long)]
    pub sfn_port: Option<u16>,
    /// Local CDN + player port.
    #[arg(long)]
    pub cdn_port: Option<u16>,
    /// MediaConvert API port.
    #[arg(long)]
    pub mediaconvert_port: Option<u16>,
    /// Transcodes running at once.
    #[arg(long, default_value_t = 2)]
    pub max_jobs: usize,
    /// moto_server binary (default: VOD_MOTO_SERVER, then .venv/bin/moto_server).
    #[arg(long)]
    pub moto_binary: Option<PathBuf>,
}

/// Options of `vod local reset`.
#[derive(Debug, Clone, Args)]
pub struct ResetArgs {
    /// State directory to empty (the one `vod local up` used).
    #[arg(long, default_value = ".vod", env = "VOD_STATE_DIR")]
    pub state_dir: PathBuf,
}

/// Empties the state directory (refused while a twin runs on it) and says what went.
pub fn reset(args: &ResetArgs) -> crate::Result<()> {
    let removed = crate::state_dir::reset(&args.state_dir)?;
    if removed.is_empty() {
        println!(
            "nothing to reset in {}: the twin's next start is empty anyway",
            args.state_dir.display()
        );
    }
    for path in removed {
        println!("removed {}", path.display());
    }
    Ok(())
}

/// Logs to stderr, filtered by `VOD_LOG` (default: info, quiet AWS SDK internals).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env(vod_toolchain::LOG_ENV).unwrap_or_else(
                |_| tracing_subscriber::EnvFilter::new(vod_toolchain::DEFAULT_LOG_FILTER),
            ),
        )
        .with_writer(std::io::stderr)
        .try_init();
}

/// Starts the twin, prints its endpoints and the `export` lines for the `aws` CLI, and serves
/// until Ctrl-C or SIGTERM; then kills running transcodes and the moto it started.
pub async fn run_until_signal(args: UpArgs) -> crate::Result<()> {
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
        return Err(crate::Error::NoMotoWithoutEndpoint);
    }
    let state_dir = args.state_dir;
    let config = LocalConfig {
        twin,
        state_dir: state_dir.clone(),
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
    if let Some(r) = local.restored() {
        println!(
            "  restored           {r} from {} (`vod local reset` empties it)",
            state_dir.display()
        );
    }
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
