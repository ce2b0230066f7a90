//! The EventBridge events the Lambdas receive (inbound; the lifecycle event they publish is
//! `vod_core::event`). The envelope is `aws_lambda_events`'; the details (S3 "Object Created",
//! "MediaConvert Job State Change") are ours, because that crate has none. Field names follow
//! the AWS documentation; fixtures in `tests/fixtures/`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vod_core::AssetId;
use vod_core::asset_id::object_revision;
use vod_core::record::SourceObject;
use vod_core::s3_key::ObjectKey;

pub type S3ObjectCreatedEvent = EventBridgeEvent<S3ObjectCreated>;
pub type MediaConvertJobEvent = EventBridgeEvent<MediaConvertJobStateChange>;

/// `detail` of an S3 "Object Created" event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct S3ObjectCreated {
    pub bucket: S3Bucket,
    pub object: S3Object,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct S3Bucket {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct S3Object {
    /// As delivered: possibly URL-encoded (see `vod_core::s3_key`).
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// `etag` from S3; moto (5.x) spells it `eTag`.
    #[serde(default, alias = "eTag", skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// S3 puts `"null"` here for an unversioned bucket (see `vod_core::asset_id::object_revision`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequencer: Option<String>,
}

impl S3ObjectCreated {
    /// The key as delivered, with its decoded form (see `vod_core::s3_key`).
    pub fn key(&self) -> ObjectKey {
        ObjectKey::from_event(&self.object.key)
    }

    /// The asset this upload becomes, and its source description; `None` when the event
    /// carries neither a version id nor an etag (nothing identifies the object's content).
    ///
    /// `found_key` is the key the object was found under (one of `key().candidates()`,
    /// [`crate::identity::locate`]); the id derives from it so that it is the id the uploader
    /// computes from its own key and PutObject response. Without it (the object is gone) the
    /// decoded key stands in.
    pub fn identify(&self, found_key: Option<&str>) -> Option<(AssetId, SourceObject)> {
        let revision = object_revision(
            self.object.version_id.as_deref(),
            self.object.etag.as_deref(),
        )?;
        let key = self.key();
        let id = AssetId::derive(
            &self.bucket.name,
            found_key.unwrap_or(&key.decoded),
            revision,
        );
        let source = SourceObject {
            bucket: self.bucket.name.clone(),
            key,
            resolved_key: found_key.map(str::to_owned),
            version_id: self.object.version_id.clone(),
            etag: self.object.etag.clone(),
            size_bytes: self.object.size,
        };
        Some((id, source))
    }
}

/// `detail` of a "MediaConvert Job State Change" event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaConvertJobStateChange {
    #[serde(default)]
    pub timestamp: Option<i64>,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub queue: Option<String>,
    pub job_id: String,
    /// PROGRESSING, STATUS_UPDATE, COMPLETE, ERROR, CANCELED, INPUT_INFORMATION, …
    pub status: String,
    #[serde(default)]
    pub user_metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub output_group_details: Vec<OutputGroupDetail>,
    #[serde(default)]
    pub job_progress: Option<JobProgress>,
    #[serde(default)]
    pub error_code: Option<i64>,
    #[serde(default)]
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputGroupDetail {
    #[serde(default)]
    pub output_details: Vec<OutputDetail>,
    #[serde(default)]
    pub playlist_file_paths: Vec<String>,
    #[serde(default, rename = "type")]
    pub group_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputDetail {
    #[serde(default)]
    pub output_file_paths: Vec<String>,
    #[serde(default)]
    pub duration_in_ms: Option<u64>,
    #[serde(default)]
    pub video_details: Option<VideoDetails>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoDetails {
    #[serde(default)]
    pub width_in_px: Option<u32>,
    #[serde(default)]
    pub height_in_px: Option<u32>,
    #[serde(default)]
    pub average_bitrate: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    #[serde(default)]
    pub job_percent_complete: Option<u8>,
    #[serde(default)]
    pub current_phase: Option<String>,
}
