//! The lifecycle event published to SNS: versioned, small, self-describing.

use crate::asset_id::AssetId;
use crate::probe::Rejection;
use crate::record::{AssetRecord, ErrorInfo, Playback, Rendition, SourceObject};
use crate::status::AssetStatus;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped when the event's shape changes incompatibly; subscribers check `version`.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// SNS message attribute names subscribers can filter on.
pub const ATTRIBUTE_EVENT_TYPE: &str = "eventType";
pub const ATTRIBUTE_STATUS: &str = "status";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum EventType {
    #[serde(rename = "asset.ingested")]
    Ingested,
    #[serde(rename = "asset.rejected")]
    Rejected,
    #[serde(rename = "asset.completed")]
    Completed,
    #[serde(rename = "asset.failed")]
    Failed,
}

impl EventType {
    pub const ALL: [EventType; 4] = [
        Self::Ingested,
        Self::Rejected,
        Self::Completed,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingested => "asset.ingested",
            Self::Rejected => "asset.rejected",
            Self::Completed => "asset.completed",
            Self::Failed => "asset.failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Whether this event is true of an asset in `status`: the notifier publishes nothing
    /// untrue (a late `asset.failed` for a COMPLETE asset, an `asset.completed` before it is).
    pub fn tells_the_truth_about(self, status: crate::AssetStatus) -> bool {
        use crate::AssetStatus::*;
        match self {
            Self::Ingested => matches!(status, Probed | Transcoding | Complete),
            Self::Rejected => status == Rejected,
            Self::Completed => status == Complete,
            Self::Failed => status == Failed,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PipelineEvent {
    pub version: u32,
    /// Deterministic per (asset, event type): subscribers can drop redeliveries by it.
    pub event_id: String,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub asset_id: AssetId,
    pub source: SourceObject,
    pub status: AssetStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playback: Option<Playback>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renditions: Vec<Rendition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
}

impl PipelineEvent {
    /// The string message attributes the event is published with, `(name, value)`.
    pub fn message_attributes(&self) -> [(&'static str, &'static str); 2] {
        [
            (ATTRIBUTE_EVENT_TYPE, self.event_type.as_str()),
            (ATTRIBUTE_STATUS, self.status.as_str()),
        ]
    }

    /// The event describing `record` as it stands.
    pub fn from_record(event_type: EventType, record: &AssetRecord, now: DateTime<Utc>) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(record.asset_id.as_str().as_bytes());
        hasher.update(b"/");
        hasher.update(event_type.as_str().as_bytes());
        let digest = hex::encode(hasher.finalize());
        Self {
            version: EVENT_SCHEMA_VERSION,
            event_id: digest[..32].to_owned(),
            event_type,
            occurred_at: now,
            asset_id: record.asset_id.clone(),
            source: record.source.clone(),
            status: record.status,
            duration_seconds: record.probe.as_ref().and_then(|p| p.duration_seconds),
            playback: record.playback.clone(),
            renditions: record.renditions.clone(),
            rejection: record.rejection.clone(),
            error: record.error.clone(),
        }
    }
}
