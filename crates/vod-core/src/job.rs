//! The transcode job in our own terms; vod-aws turns it into a MediaConvert CreateJob.

use crate::asset_id::AssetId;
use crate::ladder::{LadderPlan, ThumbnailPlan};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// `UserMetadata` key carrying the asset id through MediaConvert to its job events; the
/// EventBridge rule for job state changes matches on its presence.
pub const USER_METADATA_ASSET_ID: &str = "vodAssetId";
/// `UserMetadata` key naming the pipeline, so several stacks can share an account.
pub const USER_METADATA_PIPELINE: &str = "vodPipeline";

/// Base name of every packaged output: `stream.m3u8`, `stream.mpd`, `stream_1080p.m3u8`, ...
pub const OUTPUT_BASENAME: &str = "stream";
/// Where frame captures and derived files go under an asset's prefix (destination base
/// names: MediaConvert appends `.0000000.jpg`, …). The completion handler recognises outputs
/// by these.
pub const THUMBNAILS_PATH: &str = "thumbs/thumb";
pub const POSTER_PATH: &str = "poster/poster";
pub const DOWNLOAD_PATH: &str = "download/download";
/// The WebVTT storyboard the completion handler writes next to the outputs.
pub const STORYBOARD_FILE: &str = "storyboard.vtt";

/// The storyboard's sprites: MediaConvert's image-based trick play (`ADVANCED`, in the CMAF
/// group, described by the DASH manifest's thumbnail track). Small thumbnails, many to a tile:
/// a player scrubbing a 2 h source at one every 10 s fetches 8 images instead of 720.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrickPlayTiles {
    /// Thumbnail width: [`TrickPlayTiles::THUMBNAIL_WIDTH`] or the source's width if smaller,
    /// a multiple of 8 (MediaConvert's rule).
    pub width: u32,
    /// Follows the source's aspect ratio, even.
    pub height: u32,
    /// Thumbnails in a row and in a column of one tile image (MediaConvert's `tileWidth` and
    /// `tileHeight`).
    pub columns: u32,
    pub rows: u32,
    /// One thumbnail every this many seconds from 0 s: the frame captures' interval.
    pub interval_seconds: u32,
}

impl TrickPlayTiles {
    pub const THUMBNAIL_WIDTH: u32 = 160;
    pub const COLUMNS: u32 = 10;
    /// Even, as MediaConvert requires of `tileHeight`.
    pub const ROWS: u32 = 10;

    /// The tiles for a source whose thumbnails are planned as `thumbnails`.
    pub fn for_thumbnails(thumbnails: &ThumbnailPlan) -> Self {
        let width = (Self::THUMBNAIL_WIDTH.min(thumbnails.width) / 8 * 8).max(8);
        let height =
            u64::from(width) * u64::from(thumbnails.height) / u64::from(thumbnails.width.max(1));
        // MediaConvert rejects a tile image over 4096 px high.
        let max_height = 4096 / Self::ROWS / 2 * 2;
        Self {
            width,
            height: u32::try_from(height / 2 * 2)
                .unwrap_or(max_height)
                .clamp(2, max_height),
            columns: Self::COLUMNS,
            rows: Self::ROWS,
            interval_seconds: thumbnails.interval_seconds.max(1),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    pub asset_id: AssetId,
    /// `s3://bucket/key` of the source.
    pub input_uri: String,
    /// `s3://bucket/prefix/<assetId>/` where every output goes.
    pub destination_uri: String,
    pub plan: LadderPlan,
    pub user_metadata: BTreeMap<String, String>,
    /// MediaConvert's `ClientRequestToken`: a CreateJob repeated with the same token inside
    /// MediaConvert's idempotency window returns the job already created instead of a second
    /// one. job-submit takes it from the record's submission marker, so every retry of one
    /// submission sends the same token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
}

impl JobSpec {
    pub fn new(
        asset_id: AssetId,
        input_uri: String,
        output_bucket: &str,
        output_prefix: &str,
        plan: LadderPlan,
        pipeline: &str,
    ) -> Self {
        let destination_uri = format!(
            "s3://{output_bucket}/{}",
            asset_prefix(output_prefix, &asset_id)
        );
        let user_metadata = BTreeMap::from([
            (USER_METADATA_ASSET_ID.to_owned(), asset_id.to_string()),
            (USER_METADATA_PIPELINE.to_owned(), pipeline.to_owned()),
        ]);
        Self {
            asset_id,
            input_uri,
            destination_uri,
            plan,
            user_metadata,
            client_request_token: None,
        }
    }

    /// The same job sent with `token` as its `ClientRequestToken`.
    #[must_use]
    pub fn with_request_token(mut self, token: impl Into<String>) -> Self {
        self.client_request_token = Some(token.into());
        self
    }
}

/// A MediaConvert job's status (`Job.Status`; also the `status` of its terminal events).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Waiting in the queue for a transcode slot (it sends no event while it waits).
    Submitted,
    Progressing,
    Complete,
    Canceled,
    Error,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        Self::Submitted,
        Self::Progressing,
        Self::Complete,
        Self::Canceled,
        Self::Error,
    ];

    /// A final job writes nothing more and cannot be cancelled.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Complete | Self::Canceled | Self::Error)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::Progressing => "PROGRESSING",
            Self::Complete => "COMPLETE",
            Self::Canceled => "CANCELED",
            Self::Error => "ERROR",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job as the transcoder reports it now (`GetJob`, `ListJobs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSummary {
    pub job_id: String,
    pub status: JobStatus,
    /// From the job's `UserMetadata` ([`USER_METADATA_ASSET_ID`]).
    pub asset_id: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// MediaConvert's error code and message, for a job in ERROR.
    pub error: Option<String>,
}

/// What a `CancelJob` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancellation {
    /// The job was waiting or running and is now cancelled: it writes nothing more.
    Cancelled,
    /// The job had already finished (complete, failed or cancelled): nothing to stop.
    AlreadyFinal,
    /// No such job.
    Unknown,
}

/// Key prefix of one asset's outputs: `<prefix><assetId>/` (prefix normalised to end in `/`).
pub fn asset_prefix(output_prefix: &str, asset_id: &AssetId) -> String {
    let prefix = output_prefix.trim_start_matches('/');
    if prefix.is_empty() {
        format!("{asset_id}/")
    } else if prefix.ends_with('/') {
        format!("{prefix}{asset_id}/")
    } else {
        format!("{prefix}/{asset_id}/")
    }
}

/// How long the Transcode state may wait for the completion handler, from the source duration.
///
/// `heartbeat_seconds`: the longest silence allowed between job events while the job runs
/// (MediaConvert sends a STATUS_UPDATE about every minute). A job waiting in the queue sends
/// no event at all, so the completion handler's queue keeper heartbeats queued jobs on a
/// schedule much shorter than this; queue time is bounded only by `timeout_seconds`: the
/// whole transcode, generous for long 4K sources (20× realtime plus an hour), capped at two
/// days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackTimeouts {
    pub heartbeat_seconds: u64,
    pub timeout_seconds: u64,
}

impl CallbackTimeouts {
    pub const HEARTBEAT_SECONDS: u64 = 1800;
    pub const MAX_TIMEOUT_SECONDS: u64 = 172_800;

    pub fn for_duration(duration_seconds: Option<f64>) -> Self {
        let duration = duration_seconds
            .filter(|d| d.is_finite() && *d > 0.0)
            .unwrap_or(3600.0);
        let timeout = (3600.0 + duration * 20.0).min(Self::MAX_TIMEOUT_SECONDS as f64) as u64;
        Self {
            heartbeat_seconds: Self::HEARTBEAT_SECONDS.min(timeout),
            timeout_seconds: timeout,
        }
    }

    /// The same timeout with another heartbeat (`VOD_TRANSCODE_HEARTBEAT_SECONDS`), never above
    /// the timeout and at least one second.
    #[must_use]
    pub fn with_heartbeat(self, heartbeat_seconds: u64) -> Self {
        Self {
            heartbeat_seconds: heartbeat_seconds.clamp(1, self.timeout_seconds.max(1)),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_grow_with_duration_and_are_capped() {
        let short = CallbackTimeouts::for_duration(Some(20.0));
        assert_eq!(short.timeout_seconds, 4000);
        assert_eq!(short.heartbeat_seconds, 1800);
        let long = CallbackTimeouts::for_duration(Some(10.0 * 3600.0));
        assert_eq!(long.timeout_seconds, CallbackTimeouts::MAX_TIMEOUT_SECONDS);
        assert_eq!(CallbackTimeouts::for_duration(None).timeout_seconds, 75_600);
        let tuned = short.with_heartbeat(20);
        assert_eq!((tuned.heartbeat_seconds, tuned.timeout_seconds), (20, 4000));
        assert_eq!(short.with_heartbeat(10_000).heartbeat_seconds, 4000);
        assert_eq!(short.with_heartbeat(0).heartbeat_seconds, 1);
    }

    #[test]
    fn trick_play_thumbnails_are_small_multiples_of_8_in_the_source_shape() {
        let plan = |width, height| ThumbnailPlan {
            interval_seconds: 10,
            width,
            height,
            max_captures: 1,
            poster_seconds: 1,
            poster_width: width,
            poster_height: height,
        };
        let landscape = TrickPlayTiles::for_thumbnails(&plan(320, 180));
        assert_eq!(
            (
                landscape.width,
                landscape.height,
                landscape.columns,
                landscape.rows
            ),
            (160, 90, 10, 10)
        );
        assert_eq!(landscape.interval_seconds, 10);
        let portrait = TrickPlayTiles::for_thumbnails(&plan(180, 320));
        assert_eq!((portrait.width, portrait.height), (160, 284));
        let tiny = TrickPlayTiles::for_thumbnails(&plan(2, 2));
        assert_eq!((tiny.width, tiny.height), (8, 8));
        let sliver = TrickPlayTiles::for_thumbnails(&plan(320, 16_000));
        assert_eq!(
            (sliver.width, sliver.height),
            (160, 408),
            "tile at most 4096 high"
        );
    }

    #[test]
    fn asset_prefix_is_normalised() -> Result<(), crate::asset_id::InvalidAssetId> {
        let id = AssetId::parse("0123456789abcdef0123456789abcdef")?;
        assert_eq!(
            asset_prefix("assets", &id),
            "assets/0123456789abcdef0123456789abcdef/"
        );
        assert_eq!(
            asset_prefix("/assets/", &id),
            "assets/0123456789abcdef0123456789abcdef/"
        );
        assert_eq!(asset_prefix("", &id), "0123456789abcdef0123456789abcdef/");
        Ok(())
    }
}
