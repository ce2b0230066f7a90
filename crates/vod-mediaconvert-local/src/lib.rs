//! A local twin of AWS Elemental MediaConvert: the same REST API, real HLS + DASH output made
//! with ffmpeg, and the same "MediaConvert Job State Change" events on EventBridge.
//!
//! Point `aws-sdk-mediaconvert` at it (`AWS_ENDPOINT_URL_MEDIACONVERT` or `endpoint_url`) and
//! submit the CreateJob you would send to AWS. The twin downloads the input from S3 (moto
//! locally), runs **one** ffmpeg process per job that decodes once and splits to every rung,
//! writes MediaConvert-named outputs back to S3, and reports PROGRESSING, STATUS_UPDATE,
//! COMPLETE / ERROR / CANCELED with `PutEvents`. Which settings are honoured, ignored or
//! rejected is listed in [`plan`]; event shapes in [`events`]; output names in [`package`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use vod_mediaconvert_local::{MediaConvertTwin, TwinConfig};
//!
//! let (router, twin) = MediaConvertTwin::new(TwinConfig::default()).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:4569").await?;
//! let server = tokio::spawn(async move { axum::serve(listener, router).await });
//! // ... submit jobs with aws-sdk-mediaconvert at http://127.0.0.1:4569 ...
//! twin.shutdown().await; // kills running ffmpeg children
//! server.abort();
//! # Ok(()) }
//! ```
//!
//! # The exact ffmpeg command
//! [`ffmpeg_plan`] returns the argument vector the twin runs for a job, so benchmarks run the
//! very same command: `vod-mediaconvert-local plan --job tests/fixtures/ladder-1080p.json
//! --input clip.mp4 --out /tmp/out` prints `{"ffmpeg": ..., "args": [...], "dirs": [...]}`
//! (create `dirs`, then run `ffmpeg args...`).
//!
//! State lives in `<state_dir>/mediaconvert/`: `requests/<jobId>.json` (every accepted
//! CreateJob body, byte for byte), `jobs/<jobId>.json` (job records, so a restart still answers
//! GetJob; jobs in flight at restart become ERROR 1999) and `work/` (temporary, per job).
//!
//! # Modules
//! - `api`: MediaConvert's REST routes (CreateJob, GetJob, ListJobs, CancelJob,
//!   DescribeEndpoints) over axum.
//! - `twin`: [`TwinConfig`] and the job manager: job table, queue, and the worker that runs
//!   one job from download to upload.
//! - [`plan`]: CreateJob → validated [`JobPlan`] → ffmpeg arguments, and what is honoured,
//!   ignored or rejected:
//!   - `plan::request`: the body's top-level members ([`CreateJobRequest`]);
//!   - `plan::json_cursor`: `JsonCursor`, typed JSON reads whose errors name the path;
//!   - `plan::validation`: the settings checked into a [`JobPlan`], refusals naming the setting;
//!   - `plan::model`: the job in the twin's terms (groups, outputs, video and audio encodes);
//!   - `plan::x264`: QVBR → capped CRF, the x264 preset per rung, x264 arguments
//!     ([`EncoderOptions`]);
//!   - `plan::ffmpeg_args`: the one ffmpeg command of a job and its file layout ([`FfmpegPlan`]).
//! - [`input`]: what ffmpeg may open: the source's demuxer from vod-probe's verdict
//!   ([`identify`], [`input::demuxer`]), the `file` protocol only ([`Input::args`]).
//! - `ffmpeg`: finding ffmpeg ([`find_ffmpeg`]), probing a source ([`probe`]), running a plan
//!   with progress.
//! - [`package`]: MediaConvert names for ffmpeg's files, the HLS master, `outputGroupDetails`;
//!   `package_tiles`: trick-play tiles and the DASH-IF thumbnail track of the MPD.
//! - [`events`]: "MediaConvert Job State Change" events sent with `PutEvents`.
//! - [`job`]: the job record GetJob/ListJobs answer, one JSON file per job.
//! - [`error`]: API errors in MediaConvert's wire form, job failures with its error codes.
//! - `src/bin/vod-mediaconvert-local.rs`: the standalone server, and `plan` (the ffmpeg command
//!   of a job, for benchmarks).

mod api;
pub mod error;
pub mod events;
mod ffmpeg;
pub mod input;
pub mod job;
pub mod package;
mod package_tiles;
pub mod plan;
pub mod quality;
mod twin;

use std::sync::Arc;

pub use error::{ApiError, BadRequest, JobFailure, TwinError};
pub use ffmpeg::{find_ffmpeg, parse_probe, probe};
pub use input::{Input, identify};
pub use plan::{
    CreateJobRequest, EncoderOptions, FfmpegPlan, JobPlan, PlanError, SourceInfo, ffmpeg_plan,
    qvbr_to_crf,
};
pub use twin::TwinConfig;

/// The twin: owns the job manager (job queue and workers). [`MediaConvertTwin::new`] also
/// returns the router that serves the API.
#[derive(Debug, Clone)]
pub struct MediaConvertTwin {
    manager: Arc<twin::JobManager>,
}

impl MediaConvertTwin {
    /// Loads stored jobs, finds ffmpeg and builds the SDK clients. Mount the returned
    /// [`axum::Router`] at the root of a listener (its routes start with `/2017-08-29/`), or
    /// `merge` it into a bigger router.
    pub async fn new(config: TwinConfig) -> Result<(axum::Router, Self), TwinError> {
        let manager = twin::JobManager::start(config).await?;
        Ok((api::router(Arc::clone(&manager)), Self { manager }))
    }

    /// Stops the workers and kills running ffmpeg children. Jobs still in flight stay
    /// SUBMITTED/PROGRESSING on disk and become ERROR at the next start.
    pub async fn shutdown(&self) {
        self.manager.shutdown().await;
    }

    /// The ffmpeg binary in use.
    pub fn ffmpeg(&self) -> &std::path::Path {
        &self.manager.ffmpeg
    }
}
