//! The transcode job in our own terms; vod-aws turns it into a MediaConvert CreateJob.

use crate::asset_id::AssetId;
use crate::ladder::LadderPlan;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `UserMetadata` key carrying the asset id through MediaConvert to its job events; the
/// EventBridge rule for job state changes matches on its presence.
pub const USER_METADATA_ASSET_ID: &str = "vodAssetId";
/// `UserMetadata` key naming the pipeline, so several stacks can share an account.
pub const USER_METADATA_PIPELINE: &str = "vodPipeline";

/// Base name of every packaged output: `stream.m3u8`, `stream.mpd`, `stream_1080p.m3u8`, ...
pub const OUTPUT_BASENAME: &str = "stream";

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
        }
    }
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
