//! The command line: the global resource flags and one subcommand. Each command's arguments
//! live in the module that runs it; this enum only names them, in the order `vod --help` lists.

use crate::settings::ResourceFlags;
use crate::{list, plan, playback, probe, sign, status, upload, watch};
use clap::{Parser, Subcommand};

// No doc comment here: `about` below is the whole top-level help text.
#[derive(Debug, Parser)]
#[command(
    name = "vod",
    version,
    about = "Upload, follow and play assets of the VOD pipeline (AWS or the local twin)"
)]
pub struct Cli {
    #[command(flatten)]
    pub resources: ResourceFlags,
    #[command(subcommand)]
    pub command: Command,
}

// The variants' doc comments are the commands' help lines.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload a source file; prints the asset id it will have.
    Upload(upload::UploadArgs),
    /// Show one asset record.
    Status(status::StatusArgs),
    /// List assets, newest first.
    List(list::ListArgs),
    /// Print lifecycle events as they are published (temporary SQS queue, removed on exit).
    Watch(watch::WatchArgs),
    /// Probe a local file as the pipeline would (ranged reads, nothing uploaded): the report
    /// on stdout (input for `vod job plan`), a summary on stderr; exit 2 if it would be rejected.
    Probe(probe::ProbeArgs),
    /// MediaConvert job tools.
    Job {
        #[command(subcommand)]
        command: JobCommand,
    },
    /// Sign a CloudFront URL (canned policy, or custom with --policy-resource/--ip/--not-before).
    Sign(sign::SignArgs),
    /// Playback URLs of an asset plus signed cookies covering <cdn>/<prefix><id>/*.
    // The doc line is the help line, printed as written: the placeholders are not HTML.
    #[allow(rustdoc::invalid_html_tags)]
    Playback(playback::PlaybackArgs),
    /// The local twin (no AWS account needed).
    Local {
        #[command(subcommand)]
        command: LocalCommand,
    },
    /// List the environment variables vod reads.
    Env,
}

#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// Print the CreateJob JSON body for a probe report (or asset record with `probe`).
    Plan(plan::PlanArgs),
}

#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Run the twin in the foreground (moto, Step Functions, Lambdas, MediaConvert, CDN) and
    /// print its endpoints and the `export` lines for the aws CLI; Ctrl-C stops it cleanly.
    /// Buckets, objects, records and subscriptions survive a restart (in --state-dir).
    Up(vod_local::cli::UpArgs),
    /// Empty the twin's state directory: every asset, record, output, subscription and job it
    /// kept across restarts is gone at its next start (refused while it runs).
    Reset(vod_local::cli::ResetArgs),
}
