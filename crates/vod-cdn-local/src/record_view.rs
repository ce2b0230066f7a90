//! What `GET /api/assets/<assetId>` answers: the part of an asset record a player needs.
//!
//! CloudFront serves no records at all; the local CDN serves this view so its player page can
//! show state and renditions. It leaves out everything a viewer must not see or has no use
//! for: the Step Functions task token and the MediaConvert job, the execution that claimed the
//! asset, the source bucket and key, S3 URIs of outputs, the probe report, the ladder
//! reasoning, failure messages and notification stamps.

use chrono::{DateTime, Utc};
use serde::Serialize;
use vod_core::record::{AssetRecord, Playback, Rendition};
use vod_core::{AssetId, AssetStatus};

/// The player's view of an asset record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlayerRecord {
    pub asset_id: AssetId,
    pub status: AssetStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_percent: Option<u8>,
    /// The longest rendition's duration once transcoded, else the probe's estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// The renditions a player can pick from (no file lists).
    pub renditions: Vec<PlayerRendition>,
    /// CDN URLs, as the record holds them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playback: Option<Playback>,
    pub updated_at: DateTime<Utc>,
}

/// One rendition as a quality menu shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlayerRendition {
    /// `video` or `audio`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_bitrate_bps: Option<u64>,
}

impl From<&Rendition> for PlayerRendition {
    fn from(r: &Rendition) -> Self {
        Self {
            kind: r.kind.to_string(),
            width: r.width,
            height: r.height,
            max_bitrate_bps: r.max_bitrate_bps,
        }
    }
}

impl From<&AssetRecord> for PlayerRecord {
    fn from(record: &AssetRecord) -> Self {
        let transcoded = record
            .renditions
            .iter()
            .filter_map(|r| r.duration_ms)
            .max()
            .map(|ms| ms as f64 / 1000.0);
        let probed = record.probe.as_ref().and_then(|p| p.duration_seconds);
        Self {
            asset_id: record.asset_id.clone(),
            status: record.status,
            progress_percent: record.progress_percent,
            duration_seconds: transcoded.or(probed),
            renditions: record
                .renditions
                .iter()
                .map(PlayerRendition::from)
                .collect(),
            playback: record.playback.clone(),
            updated_at: record.updated_at,
        }
    }
}
