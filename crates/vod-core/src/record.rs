//! The asset record: what DynamoDB holds for one asset, from upload to playback.

use crate::asset_id::AssetId;
use crate::ladder::LadderPlan;
use crate::probe::{ProbeReport, Rejection};
use crate::s3_key::ObjectKey;
use crate::status::{AssetStatus, IllegalTransition};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Bumped when the record's shape changes incompatibly; readers check it.
pub const RECORD_SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetRecord {
    pub schema_version: u32,
    pub asset_id: AssetId,
    /// Incremented on every write; the store refuses a write based on a stale read.
    pub revision: u64,
    pub source: SourceObject,
    /// The execution that claimed the asset: its retries resume, any other execution is a
    /// duplicate delivery and stops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    pub status: AssetStatus,
    /// Every status the asset went through, oldest first.
    pub history: Vec<StatusChange>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
    /// The ladder chosen for this source, with the reason for each decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ladder: Option<LadderPlan>,
    /// Set before CreateJob, so a retried submission reuses its token and finds its job
    /// ([`crate::lifecycle::Submission`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission: Option<crate::lifecycle::Submission>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_percent: Option<u8>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renditions: Vec<Rendition>,
    /// Every file MediaConvert reported writing (S3 URIs; for a frame-capture output, its last
    /// image only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playback: Option<Playback>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    /// SNS events published for this asset (the notifier never publishes one type twice).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<NotificationStamp>,
}

/// The uploaded object an asset came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceObject {
    pub bucket: String,
    /// The key as delivered in the event and its decoded form.
    pub key: ObjectKey,
    /// The key under which the object was actually found (decoded or raw), once probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

impl SourceObject {
    /// The key to read the object with: the resolved one once known, else the decoded one.
    pub fn object_key(&self) -> &str {
        self.resolved_key.as_deref().unwrap_or(&self.key.decoded)
    }

    pub fn s3_uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.object_key())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub status: AssetStatus,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRef {
    pub job_id: String,
    pub submitted_at: DateTime<Utc>,
    /// Step Functions task token of the paused Transcode state.
    pub task_token: String,
}

/// One output rendition as MediaConvert reported it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rendition {
    pub kind: RenditionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bitrate_bps: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Files of this rendition (S3 URIs).
    pub files: Vec<String>,
}

/// What a rendition carries (serde: `video`, `audio`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RenditionKind {
    Video,
    Audio,
}

impl RenditionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Audio => "audio",
        }
    }
}

impl std::fmt::Display for RenditionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where viewers fetch the asset (CDN URLs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Playback {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hls_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dash_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poster_url: Option<String>,
    /// The thumbnails as one URL template and a count, not a URL each (a 12 h source has
    /// 4,321). Records written before it carry `thumbnails`, a list of URLs, instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_series: Option<ThumbnailSeries>,
    /// WebVTT storyboard mapping time ranges to thumbnails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storyboard_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp4_url: Option<String>,
}

/// Numbered images taken at a fixed interval: image `i` (from 0) shows the source at
/// `i × intervalSeconds`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThumbnailSeries {
    /// URL of every image, with `$Number%0<width>d$` (DASH's `SegmentTemplate` identifier)
    /// standing for its number zero-padded to `<width>` digits, e.g.
    /// `https://cdn/assets/<id>/thumbs/thumb.$Number%07d$.jpg`.
    pub url_template: String,
    /// Images `0` to `count - 1` exist.
    pub count: u32,
    pub interval_seconds: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl ThumbnailSeries {
    /// The identifier in [`ThumbnailSeries::url_template`] for numbers of `digits` digits.
    pub fn placeholder(digits: usize) -> String {
        format!("$Number%0{digits}d$")
    }

    /// The URL of image `index`, or `None` past the end (or for a template without the
    /// identifier).
    pub fn url(&self, index: u32) -> Option<String> {
        if index >= self.count {
            return None;
        }
        let start = self.url_template.find("$Number%0")?;
        let rest = &self.url_template[start + "$Number%0".len()..];
        let end = rest.find("d$")?;
        let digits: usize = rest[..end].parse().ok()?;
        Some(format!(
            "{}{index:0digits$}{}",
            &self.url_template[..start],
            &rest[end + "d$".len()..]
        ))
    }
}

/// A failure as the asset record and the event report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    /// One of [`crate::error_names`] or a Step Functions / Lambda error name.
    pub name: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationStamp {
    pub event_type: crate::event::EventType,
    pub message_id: String,
    pub at: DateTime<Utc>,
}

impl AssetRecord {
    /// The record the ingest step claims: UPLOADED, then PROBING, in one write.
    pub fn claim(asset_id: AssetId, source: SourceObject, now: DateTime<Utc>) -> Self {
        let change = |status| StatusChange {
            status,
            at: now,
            note: None,
        };
        Self {
            schema_version: RECORD_SCHEMA_VERSION,
            asset_id,
            revision: 1,
            source,
            claimed_by: None,
            status: AssetStatus::Probing,
            history: vec![change(AssetStatus::Uploaded), change(AssetStatus::Probing)],
            created_at: now,
            updated_at: now,
            probe: None,
            rejection: None,
            ladder: None,
            submission: None,
            job: None,
            progress_percent: None,
            renditions: Vec::new(),
            outputs: Vec::new(),
            playback: None,
            error: None,
            notifications: Vec::new(),
        }
    }

    /// Moves to `next` if the lifecycle allows it, recording when and why.
    pub fn transition(
        &mut self,
        next: AssetStatus,
        at: DateTime<Utc>,
        note: Option<String>,
    ) -> Result<(), IllegalTransition> {
        self.status.check_transition(next)?;
        self.status = next;
        self.history.push(StatusChange {
            status: next,
            at,
            note,
        });
        Ok(())
    }

    /// Marks the record as changed for the next conditional write.
    pub fn touch(&mut self, at: DateTime<Utc>) {
        self.revision += 1;
        self.updated_at = at;
    }

    pub fn was_notified(&self, event_type: crate::event::EventType) -> bool {
        self.notifications
            .iter()
            .any(|n| n.event_type == event_type)
    }
}
