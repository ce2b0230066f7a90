//! Runs the MediaConvert twin standalone.
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use vod_mediaconvert_local::{MediaConvertTwin, TwinConfig};

/// A local MediaConvert: REST API on --listen, ffmpeg transcodes, events to EventBridge.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Address to listen on.
    #[arg(
        long,
        env = "VOD_MEDIACONVERT_LISTEN",
        default_value = "127.0.0.1:4569"
    )]
    listen: String,
    /// State directory (jobs and request bodies go to <dir>/mediaconvert/).
    #[arg(long, env = "VOD_STATE_DIR", default_value = ".vod")]
    state_dir: PathBuf,
    /// Jobs transcoding at once.
    #[arg(long, env = "VOD_MEDIACONVERT_CONCURRENCY", default_value_t = 1)]
    concurrency: usize,
    /// x264 preset.
    #[arg(long, env = "VOD_MEDIACONVERT_X264_PRESET", default_value = "veryfast")]
    x264_preset: String,
    /// SVT-AV1 preset of AV1 outputs (0 slowest – 13 fastest).
    #[arg(long, env = "VOD_MEDIACONVERT_SVTAV1_PRESET", default_value_t = vod_mediaconvert_local::plan::DEFAULT_SVTAV1_PRESET)]
    svtav1_preset: u8,
    /// Search each QVBR rung's CRF for its level's VMAF on sampled chunks (libvmaf).
    #[arg(long, env = "VOD_MEDIACONVERT_QUALITY_SEARCH", default_value_t = false)]
    quality_search: bool,
    /// Seconds between STATUS_UPDATE events.
    #[arg(long, env = "VOD_MEDIACONVERT_STATUS_INTERVAL", default_value_t = 3)]
    status_interval: u64,
    /// Region for ARNs and events.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// Account id for ARNs and events.
    #[arg(long, env = "VOD_ACCOUNT_ID", default_value = "000000000000")]
    account_id: String,
    /// Event bus for job events.
    #[arg(long, env = "VOD_MEDIACONVERT_EVENT_BUS", default_value = "default")]
    event_bus: String,
    /// Do not send job events.
    #[arg(long)]
    no_events: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Print the exact ffmpeg command the twin runs for a CreateJob body (REST wire JSON) and
    /// a local input file, as JSON `{"ffmpeg": ..., "args": [...], "search": [...]}` (for
    /// `make bench`; `search` lists the quality search's probes when it is on).
    Plan {
        /// CreateJob request body (wire form, camelCase).
        #[arg(long)]
        job: PathBuf,
        /// Local input file.
        #[arg(long)]
        input: PathBuf,
        /// Directory the outputs would be written to.
        #[arg(long)]
        out: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        // The same filter variable and default as every binary we run locally (VOD_LOG).
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env(vod_toolchain::LOG_ENV).unwrap_or_else(
                |_| tracing_subscriber::EnvFilter::new(vod_toolchain::DEFAULT_LOG_FILTER),
            ),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if let Some(Cmd::Plan { job, input, out }) = &args.command {
        let body: serde_json::Value = serde_json::from_slice(&std::fs::read(job)?)?;
        let request = vod_mediaconvert_local::CreateJobRequest::from_wire(&body)?;
        let ffmpeg = vod_mediaconvert_local::find_ffmpeg()?;
        let input = vod_mediaconvert_local::identify(input).await?;
        let source = vod_mediaconvert_local::probe(&ffmpeg, &input).await?;
        let options = vod_mediaconvert_local::EncoderOptions {
            x264_preset: args.x264_preset.clone(),
            svtav1_preset: args.svtav1_preset,
        };
        let mut job = vod_mediaconvert_local::JobPlan::from_request(&request)?;
        let mut search = Vec::new();
        if args.quality_search {
            use vod_mediaconvert_local::quality::{CHUNK_SECONDS, Samples, search_crfs};
            let samples = Samples::cut(&ffmpeg, &input, &source, CHUNK_SECONDS)?;
            search = search_crfs(&ffmpeg, &samples, &mut job, &options)?;
        }
        let plan =
            vod_mediaconvert_local::plan::ffmpeg_plan_for(&job, &source, &input, out, &options)?;
        let dirs: Vec<String> = plan.dirs.iter().map(|d| d.display().to_string()).collect();
        println!(
            "{}",
            serde_json::json!({ "ffmpeg": ffmpeg.display().to_string(), "args": plan.args, "dirs": dirs, "search": search })
        );
        return Ok(());
    }
    let config = TwinConfig {
        state_dir: args.state_dir,
        region: args.region,
        account_id: args.account_id,
        max_concurrent_jobs: args.concurrency,
        x264_preset: args.x264_preset,
        svtav1_preset: args.svtav1_preset,
        quality_search: args.quality_search,
        status_update_interval: Duration::from_secs(args.status_interval.max(1)),
        send_events: !args.no_events,
        event_bus_name: args.event_bus,
        ..TwinConfig::default()
    };
    let (router, twin) = MediaConvertTwin::new(config).await?;
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    tracing::info!(listen = %args.listen, ffmpeg = %twin.ffmpeg().display(), "MediaConvert twin ready");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    twin.shutdown().await;
    Ok(())
}
