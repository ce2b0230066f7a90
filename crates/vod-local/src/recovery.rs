//! Start-up recovery. Executions live only in this process, so a record left PROBING, PROBED or
//! TRANSCODING by an earlier vod-local has no execution to finish it: it is failed through the
//! notifier (record FAILED with `Vod.Internal` + `asset.failed` event), as the state machine's
//! Catch would have done, so no asset stays stuck. Every page of the `byStatus` index is read,
//! not only the first.

use crate::lambda::{LambdaHost, invoke_isolated};
use serde_json::json;
use std::sync::Arc;
use vod_aws::dynamodb::DynamoAssetStore;
use vod_core::contracts::LambdaFunction;
use vod_core::record::AssetRecord;
use vod_core::{AssetStatus, error_names};
use vod_states::{Engine, ExecutionStatus};

/// One asset that recovery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub asset_id: String,
    pub status: AssetStatus,
}

/// `byStatus` records read per query page.
pub const PAGE_SIZE: i32 = 100;

pub async fn fail_orphans(
    store: &DynamoAssetStore,
    engine: &Engine,
    host: &Arc<dyn LambdaHost>,
) -> crate::Result<Vec<Recovered>> {
    fail_orphans_paged(store, engine, host, PAGE_SIZE).await
}

/// [`fail_orphans`] reading `page_size` records per query.
pub async fn fail_orphans_paged(
    store: &DynamoAssetStore,
    engine: &Engine,
    host: &Arc<dyn LambdaHost>,
    page_size: i32,
) -> crate::Result<Vec<Recovered>> {
    let mut recovered = Vec::new();
    for status in [
        AssetStatus::Probing,
        AssetStatus::Probed,
        AssetStatus::Transcoding,
    ] {
        // Every page first, then the writes: failing a record moves it out of the index being
        // paged.
        let records = list_all(store, status, page_size).await?;
        for record in records {
            let live = record
                .claimed_by
                .as_deref()
                .and_then(|arn| engine.describe(arn).ok())
                .is_some_and(|d| d.status == ExecutionStatus::Running);
            if live {
                continue;
            }
            let asset_id = record.asset_id.to_string();
            let message = format!(
                "vod-local restarted while this asset was {}; its execution did not survive the restart; re-upload to retry",
                status.as_str()
            );
            let payload = json!({
                "eventType": "asset.failed",
                "assetId": asset_id,
                "error": {"Error": error_names::INTERNAL, "Cause": message},
            });
            match invoke_isolated(host, LambdaFunction::Notifier, payload).await {
                Ok(_) => {
                    tracing::warn!(asset_id = %asset_id, was = status.as_str(), "marked FAILED: orphaned by a restart");
                    recovered.push(Recovered { asset_id, status });
                }
                Err(e) => {
                    tracing::error!(asset_id = %asset_id, error = %e.error_type, message = %e.message, "could not fail an orphaned asset");
                }
            }
        }
    }
    Ok(recovered)
}

/// Every record with `status`, page by page.
async fn list_all(
    store: &DynamoAssetStore,
    status: AssetStatus,
    page_size: i32,
) -> crate::Result<Vec<AssetRecord>> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = store
            .list_by_status_page(status.as_str(), page_size, cursor)
            .await
            .map_err(|cause| crate::Error::ListOrphans {
                status: status.as_str(),
                cause,
            })?;
        all.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(all),
        }
    }
}
