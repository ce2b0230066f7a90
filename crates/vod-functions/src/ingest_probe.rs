//! ingest-probe: S3 "Object Created" → claim the asset → probe with ranged reads → PROBED or
//! REJECTED.

use crate::HandlerError;
use crate::identity::{Identified, identify_upload, names_the_event};
use crate::inbound_events::{S3ObjectCreated, S3ObjectCreatedEvent};
use crate::read_modify_write::{Change, modify};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vod_core::AssetStatus;
use vod_core::job::CallbackTimeouts;
use vod_core::lifecycle::{IngestDecision, Resume};
use vod_core::ports::{
    AssetStore, Claim, Clock, MediaProbe, MediaReader, ObjectMeta, ObjectRange, PortErrorKind,
    PortResult,
};
use vod_core::probe::{ProbeOutcome, RejectReason, Rejection};
use vod_core::record::AssetRecord;

#[derive(Clone)]
pub struct IngestProbeDeps {
    pub store: Arc<dyn AssetStore>,
    pub reader: Arc<dyn MediaReader>,
    pub probe: Arc<dyn MediaProbe>,
    pub clock: Arc<dyn Clock>,
    /// The Transcode state's heartbeat (`VOD_TRANSCODE_HEARTBEAT_SECONDS`, else
    /// [`CallbackTimeouts::HEARTBEAT_SECONDS`]).
    pub heartbeat_seconds: u64,
}

/// What the state machine's `Route` choice reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestProbeOutput {
    pub asset_id: String,
    pub decision: IngestDecision,
    pub heartbeat_seconds: u64,
    pub timeout_seconds: u64,
}

/// The state machine sends `{event, executionId}`; a bare event (direct invocation) works too.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    event: S3ObjectCreatedEvent,
    #[serde(default)]
    execution_id: Option<String>,
}

fn parse(payload: serde_json::Value) -> Result<Input, HandlerError> {
    let input = if payload.get("detail-type").is_some() {
        serde_json::from_value(payload).map(|event| Input {
            event,
            execution_id: None,
        })
    } else {
        serde_json::from_value(payload)
    };
    input.map_err(|e| {
        HandlerError::invalid_input(format!("not an S3 \"Object Created\" event: {e}"))
    })
}

pub async fn handle(
    deps: &IngestProbeDeps,
    payload: serde_json::Value,
) -> Result<IngestProbeOutput, HandlerError> {
    let Input {
        event,
        execution_id,
    } = parse(payload)?;
    let detail = &event.detail;
    // One key identity with the notifier: the key the object is found under
    // (`crate::identity`), so the id is the uploader's and a failure lands on this record.
    let Identified {
        asset_id,
        source,
        found,
    } = identify_upload(deps.reader.as_ref(), detail).await?;
    let now = deps.clock.now();
    let mut claim = AssetRecord::claim(asset_id.clone(), source, now);
    claim.claimed_by = execution_id.clone();
    let output = |decision: IngestDecision, duration: Option<f64>| {
        let timeouts =
            CallbackTimeouts::for_duration(duration).with_heartbeat(deps.heartbeat_seconds);
        IngestProbeOutput {
            asset_id: asset_id.to_string(),
            decision,
            heartbeat_seconds: timeouts.heartbeat_seconds,
            timeout_seconds: timeouts.timeout_seconds,
        }
    };

    match deps
        .store
        .claim(&claim)
        .await
        .map_err(|e| HandlerError::from_port("claiming the asset", e))?
    {
        Claim::Claimed => {
            tracing::info!(asset_id = %asset_id, key = %claim.source.object_key(), "claimed")
        }
        Claim::Duplicate(existing) => {
            let duration = existing.probe.as_ref().and_then(|p| p.duration_seconds);
            match existing.resume_ingest(execution_id.as_deref()) {
                Resume::Duplicate => {
                    tracing::info!(asset_id = %asset_id, "duplicate event: another execution owns this asset");
                    return Ok(output(IngestDecision::Duplicate, None));
                }
                // A retry of the execution that claimed it: carry on from where it stopped.
                Resume::Probe => {}
                Resume::Decided(decision) => return Ok(output(decision, duration)),
                Resume::Failed => {
                    return Err(HandlerError::conflict(format!(
                        "asset {asset_id} has already failed"
                    )));
                }
            }
        }
    }

    let Some((key, meta)) = found else {
        return Err(HandlerError::invalid_input(format!(
            "s3://{}/{} no longer exists (deleted after upload?); upload it again",
            claim.source.bucket, claim.source.key.decoded
        )));
    };
    let probed = probe_pinned(deps, detail, &claim.source.bucket, &key, &meta)
        .await
        .map_err(|e| HandlerError::from_port("probing the upload", e))?;
    // A replaced source's size is another upload's: the record keeps the event's.
    let probed_size = probed.is_some().then_some(meta.size);
    let outcome = probed.unwrap_or_else(|| {
        tracing::info!(asset_id = %asset_id, "the source was replaced before it could be probed");
        replaced(&claim.source.bucket, &key)
    });

    let at = deps.clock.now();
    let record = modify(
        deps.store.as_ref(),
        deps.clock.as_ref(),
        &asset_id,
        |record| {
            if record.status != AssetStatus::Probing {
                return Ok(Change::Keep);
            }
            if let Some(size) = probed_size {
                record.source.size_bytes = Some(size);
            }
            match &outcome {
                ProbeOutcome::Accepted { report } => {
                    record.probe = Some(report.clone());
                    record
                        .transition(AssetStatus::Probed, at, None)
                        .map_err(|e| HandlerError::internal(e.to_string()))?;
                }
                ProbeOutcome::Rejected { rejection } => {
                    record.rejection = Some(rejection.clone());
                    record
                        .transition(AssetStatus::Rejected, at, Some(rejection.message.clone()))
                        .map_err(|e| HandlerError::internal(e.to_string()))?;
                }
            }
            Ok(Change::Write)
        },
    )
    .await?;

    let duration = record.probe.as_ref().and_then(|p| p.duration_seconds);
    match record.status {
        AssetStatus::Rejected => {
            tracing::info!(asset_id = %asset_id, reason = ?record.rejection.as_ref().map(|r| r.reason), "rejected");
            Ok(output(IngestDecision::Rejected, None))
        }
        AssetStatus::Failed => Err(HandlerError::conflict(format!(
            "asset {asset_id} failed while probing"
        ))),
        _ => {
            tracing::info!(asset_id = %asset_id, bytes_read = record.probe.as_ref().map(|p| p.bytes_read), "probed");
            Ok(output(IngestDecision::Probed, duration))
        }
    }
}

/// Probes the object the stat found with every read pinned to it, or `None` when it is not
/// the upload the event (and so the asset id) names: overwritten before the stat, or between
/// the stat and a read. Without the pin the probe would judge another upload's bytes under
/// this asset's id.
async fn probe_pinned(
    deps: &IngestProbeDeps,
    detail: &S3ObjectCreated,
    bucket: &str,
    key: &str,
    meta: &ObjectMeta,
) -> PortResult<Option<ProbeOutcome>> {
    if !names_the_event(meta, detail) {
        return Ok(None);
    }
    let version = meta.version();
    let object = ObjectRange {
        reader: deps.reader.as_ref(),
        bucket,
        key,
        size: meta.size,
        version: &version,
    };
    match deps.probe.probe(object).await {
        Ok(outcome) => Ok(Some(outcome)),
        Err(e) if e.kind == PortErrorKind::Replaced => Ok(None),
        Err(e) => Err(e),
    }
}

/// The rejection of an upload overwritten before its probe could read it: final for this
/// asset, while the overwrite's own event makes the new upload an asset of its own.
fn replaced(bucket: &str, key: &str) -> ProbeOutcome {
    ProbeOutcome::Rejected {
        rejection: Rejection::new(
            RejectReason::SourceReplaced,
            format!(
                "s3://{bucket}/{key} was replaced by a newer upload while it was being probed; \
                 the new upload is processed as its own asset"
            ),
        ),
    }
}
