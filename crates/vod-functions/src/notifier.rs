//! notifier: publishes the versioned lifecycle event to SNS and stamps the record. For
//! `asset.failed` it is also the one place that marks the record FAILED with the error the
//! state machine caught. Never publishes the same event type twice for an asset.

use crate::HandlerError;
use crate::identity::identify_upload;
use crate::inbound_events::S3ObjectCreated;
use crate::read_modify_write::{Change, modify};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vod_core::event::{EventType, PipelineEvent};
use vod_core::ports::{AssetStore, Claim, Clock, MediaReader, Notifier, Transcoder};
use vod_core::record::{AssetRecord, ErrorInfo, NotificationStamp};
use vod_core::{AssetId, AssetStatus, error_names};

#[derive(Clone)]
pub struct NotifierDeps {
    pub store: Arc<dyn AssetStore>,
    /// Finds an upload's object when the failure came before its asset id was known.
    pub reader: Arc<dyn MediaReader>,
    pub notifier: Arc<dyn Notifier>,
    /// Cancels the job of an asset that failed (timed out, caught error), so it stops writing
    /// and billing.
    pub transcoder: Arc<dyn Transcoder>,
    pub clock: Arc<dyn Clock>,
}

/// `{Error, Cause}` as a Step Functions Catch delivers it.
#[derive(Debug, Clone, Deserialize)]
pub struct CaughtError {
    #[serde(rename = "Error", default)]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    event_type: String,
    #[serde(default)]
    asset_id: Option<String>,
    /// The S3 event detail, when the failure came before the asset id was known.
    #[serde(default)]
    source: Option<S3ObjectCreated>,
    #[serde(default)]
    error: Option<CaughtError>,
    /// The execution calling (`$$.Execution.Id`). A failure is written only to a record this
    /// execution claimed: a duplicate execution must never fail the owner's asset.
    #[serde(default)]
    execution_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifierOutput {
    pub asset_id: String,
    pub event_type: String,
    /// SNS message id, or `None` when this event had already been published.
    pub message_id: Option<String>,
}

/// A Lambda failure's cause is JSON `{"errorMessage", "errorType"}`; show the message.
fn error_info(caught: &CaughtError) -> ErrorInfo {
    let message = serde_json::from_str::<serde_json::Value>(&caught.cause)
        .ok()
        .and_then(|v| {
            v.get("errorMessage")
                .and_then(|m| m.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| caught.cause.clone());
    ErrorInfo {
        name: if caught.error.is_empty() {
            error_names::INTERNAL.to_owned()
        } else {
            caught.error.clone()
        },
        message,
    }
}

pub async fn handle(
    deps: &NotifierDeps,
    payload: serde_json::Value,
) -> Result<NotifierOutput, HandlerError> {
    let input: Input = serde_json::from_value(payload)
        .map_err(|e| HandlerError::invalid_input(format!("notifier input: {e}")))?;
    let event_type = EventType::parse(&input.event_type).ok_or_else(|| {
        HandlerError::invalid_input(format!("unknown event type '{}'", input.event_type))
    })?;
    // A failure in ingest-probe comes without an assetId: the upload is identified as
    // ingest-probe identified it (`crate::identity`: where its object is found), so the
    // failure lands on the record it claimed. An outage of S3 fails this call, which the
    // state machine retries for hours.
    let identified = match (&input.asset_id, &input.source) {
        (None, Some(detail)) => {
            let found = identify_upload(deps.reader.as_ref(), detail).await?;
            Some((found.asset_id, found.source))
        }
        _ => None,
    };
    #[cfg(feature = "mutants")]
    let identified = identified.map(|(id, source)| {
        if !crate::mutants::key_mixup() {
            return (id, source);
        }
        let revision = vod_core::asset_id::object_revision(
            source.version_id.as_deref(),
            source.etag.as_deref(),
        )
        .unwrap_or_default();
        let raw = AssetId::derive(&source.bucket, &source.key.raw, revision);
        (raw, source)
    });
    let asset_id = match (&input.asset_id, &identified) {
        (Some(id), _) => {
            AssetId::parse(id).map_err(|e| HandlerError::invalid_input(e.to_string()))?
        }
        (None, Some((id, _))) => id.clone(),
        (None, None) => {
            return Err(HandlerError::invalid_input(
                "the notifier needs an assetId or the S3 event detail",
            ));
        }
    };

    if event_type == EventType::Failed {
        let error = input.error.as_ref().map(error_info).unwrap_or(ErrorInfo {
            name: error_names::INTERNAL.to_owned(),
            message: "the pipeline failed without an error description".to_owned(),
        });
        let caller = input.execution_id.as_deref();
        let owner = mark_failed(deps, &asset_id, identified.map(|(_, s)| s), error, caller).await?;
        if owner == Owner::Other {
            tracing::info!(asset_id = %asset_id, execution = caller, "another execution owns this asset: its record and events are left alone");
            return Ok(NotifierOutput {
                asset_id: asset_id.to_string(),
                event_type: event_type.as_str().to_owned(),
                message_id: None,
            });
        }
    }

    // The failed asset's job is stopped whether or not the event can go out, and the event
    // goes out whether or not the job could be stopped: an outage of SNS must not keep the job
    // running, nor one of MediaConvert hold back the news. Either failure fails this call,
    // which the state machine retries (nothing is published or cancelled twice).
    let cancelled = if event_type == EventType::Failed {
        cancel_job(deps, &asset_id).await
    } else {
        Ok(())
    };
    let message_id = publish_once(deps, &asset_id, event_type).await?;
    cancelled?;
    Ok(NotifierOutput {
        asset_id: asset_id.to_string(),
        event_type: event_type.as_str().to_owned(),
        message_id,
    })
}

/// Publishes `event_type` for the asset unless it already was (the record's stamps); the SNS
/// message id, or `None` when it had been published before.
async fn publish_once(
    deps: &NotifierDeps,
    asset_id: &AssetId,
    event_type: EventType,
) -> Result<Option<String>, HandlerError> {
    let record = deps
        .store
        .get(asset_id)
        .await
        .map_err(|e| HandlerError::from_port("reading the asset record", e))?
        .ok_or_else(|| HandlerError::conflict(format!("no record for asset {asset_id}")))?;
    if !event_type.tells_the_truth_about(record.status) {
        return Err(HandlerError::conflict(format!(
            "asset {asset_id} is {}: {} would be untrue",
            record.status,
            event_type.as_str()
        )));
    }
    if record.was_notified(event_type) {
        tracing::info!(asset_id = %asset_id, event_type = event_type.as_str(), "already published");
        return Ok(None);
    }
    let event = PipelineEvent::from_record(event_type, &record, deps.clock.now());
    let message_id = deps
        .notifier
        .publish(&event)
        .await
        .map_err(|e| HandlerError::from_port("publishing the event", e))?;
    let at = deps.clock.now();
    modify(deps.store.as_ref(), deps.clock.as_ref(), asset_id, |r| {
        if r.was_notified(event_type) {
            return Ok(Change::Keep);
        }
        r.notifications.push(NotificationStamp {
            event_type,
            message_id: message_id.clone(),
            at,
        });
        Ok(Change::Write)
    })
    .await?;
    tracing::info!(asset_id = %asset_id, event_type = event_type.as_str(), message_id, "published");
    Ok(Some(message_id))
}

/// Stops the failed asset's MediaConvert job (a heartbeat or task timeout leaves it running,
/// writing outputs and billing minutes). Cancelling a finished job is not an error, so every
/// retry of the failure path may call it again; a failed call is retried by the state machine.
async fn cancel_job(deps: &NotifierDeps, asset_id: &AssetId) -> Result<(), HandlerError> {
    let record = deps
        .store
        .get(asset_id)
        .await
        .map_err(|e| HandlerError::from_port("reading the asset record", e))?;
    let Some(job) = record
        .filter(|r| r.status == AssetStatus::Failed)
        .and_then(|r| r.job)
    else {
        return Ok(());
    };
    let outcome = deps
        .transcoder
        .cancel(&job.job_id)
        .await
        .map_err(|e| HandlerError::from_port("cancelling the failed asset's job", e))?;
    tracing::info!(asset_id = %asset_id, job_id = %job.job_id, ?outcome, "job of a failed asset cancelled");
    Ok(())
}

/// Whose record `mark_failed` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// The caller's, or one no execution claimed (a direct invocation): the failure is written.
    Caller,
    /// Another execution claimed it: nothing was written.
    Other,
}

/// Marks the asset FAILED with `error` (creating the record when the failure came before the
/// claim, so the record always says what happened), unless another execution than `caller`
/// claimed it.
async fn mark_failed(
    deps: &NotifierDeps,
    asset_id: &AssetId,
    source: Option<vod_core::record::SourceObject>,
    error: ErrorInfo,
    caller: Option<&str>,
) -> Result<Owner, HandlerError> {
    let now = deps.clock.now();
    let owned_by_other = |r: &AssetRecord| !r.writable_by(caller);
    let existing = deps
        .store
        .get(asset_id)
        .await
        .map_err(|e| HandlerError::from_port("reading the asset record", e))?;
    if existing.as_ref().is_some_and(owned_by_other) {
        return Ok(Owner::Other);
    }
    if existing.is_none() {
        let Some(source) = source else {
            return Err(HandlerError::conflict(format!(
                "no record for asset {asset_id}"
            )));
        };
        let mut record = AssetRecord::claim(asset_id.clone(), source, now);
        record.claimed_by = caller.map(str::to_owned);
        record
            .fail(caller, error.clone(), now)
            .map_err(|e| HandlerError::internal(e.to_string()))?;
        match deps
            .store
            .claim(&record)
            .await
            .map_err(|e| HandlerError::from_port("recording the failure", e))?
        {
            Claim::Claimed => return Ok(Owner::Caller),
            Claim::Duplicate(_) => {} // created meanwhile: fall through to the update
        }
    }
    let mut owner = Owner::Caller;
    modify(deps.store.as_ref(), deps.clock.as_ref(), asset_id, |r| {
        if owned_by_other(r) {
            owner = Owner::Other;
            return Ok(Change::Keep);
        }
        owner = Owner::Caller;
        match r.fail(caller, error.clone(), now) {
            Ok(true) => Ok(Change::Write),
            Ok(false) => Ok(Change::Keep),
            Err(e) => Err(HandlerError::internal(e.to_string())),
        }
    })
    .await?;
    Ok(owner)
}
