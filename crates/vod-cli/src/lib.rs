//! The `vod` command's library: everything but `main`, so the pieces are testable.
//!
//! `vod` works against a real AWS account or the local twin alike: resource names come from
//! flags or the variables in [`env`](mod@env); endpoints and credentials from the standard AWS
//! configuration, or from `localstack/twin.json` with `--local` ([`settings`]). Each command is
//! a module with its clap arguments and a `run` that returns the process [`exit`] code.
//!
//! - [`cli`]: the command line, global flags and the subcommand enum that names each command;
//! - [`upload`]: `upload`, PutObject / multipart upload and the asset id the pipeline will assign;
//! - [`status`]: `status`, one asset record in words or JSON;
//! - [`list`]: `list`, assets newest first;
//! - [`records`]: reading the asset table for `status`, `list`, `playback` and `upload --wait`;
//! - [`watch`]: `watch`, lifecycle events through a temporary SQS queue on the events topic;
//! - [`probe`]: `probe`, the ingest probe's decision and facts for a local file;
//! - [`plan`]: `job plan`, the exact MediaConvert CreateJob body for a probe report;
//! - [`sign`]: `sign`, CloudFront signed URLs and cookies, and the signing key both commands use;
//! - [`playback`]: `playback`, an asset's manifest URLs and cookies covering its outputs;
//! - [`env`](mod@env): `env`, every environment variable `vod` reads;
//! - [`settings`]: resource names from flags, environment and `twin.json`, and the SDK config;
//! - [`error`]: [`CliError`], each failure phrased as something a person can act on;
//! - [`exit`]: the process exit codes.
//!
//! `local up` is `vod_local::cli`'s, run in the foreground.
//!
//! ```
//! let id = vod_cli::upload::asset_id("vod-source", "my clip.mp4", Some("\"abc\""), None).unwrap();
//! assert_eq!(id, vod_core::AssetId::derive("vod-source", "my clip.mp4", "abc"));
//! ```

pub mod cli;
pub mod env;
pub mod error;
pub mod list;
pub mod plan;
pub mod playback;
pub mod probe;
pub mod records;
pub mod settings;
pub mod sign;
pub mod status;
pub mod upload;
pub mod watch;

pub use error::{CliError, CliResult};

/// Process exit codes (`upload --wait` distinguishes how the asset ended).
pub mod exit {
    /// Success; with `--wait`, the asset is COMPLETE.
    pub const OK: u8 = 0;
    /// Any error (bad input, AWS refused, unreachable endpoint, interrupted).
    pub const ERROR: u8 = 1;
    /// `--wait`: the pipeline rejected the source; `probe`: the pipeline would reject it.
    pub const REJECTED: u8 = 2;
    /// `--wait`: the pipeline failed.
    pub const FAILED: u8 = 3;
    /// `--wait` / `watch --max-events`: the timeout passed first.
    pub const TIMEOUT: u8 = 4;
}

/// `--json` output: the value, pretty-printed, on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> CliResult<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM with the signal's name, so long operations can clean up.
pub async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = ctrl_c => "Ctrl-C",
            () = term => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        ctrl_c.await;
        "Ctrl-C"
    }
}
