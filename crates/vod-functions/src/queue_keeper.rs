//! The queue keeper: heartbeats for transcodes still waiting in MediaConvert's queue.
//!
//! The Transcode state's `HeartbeatSeconds` bounds the silence between a job's events, and
//! MediaConvert sends none while a job waits for a slot (no event before PROGRESSING), so a
//! long enough queue would fail its tail assets while their jobs still wait. On a schedule (an
//! EventBridge rule on AWS, a timer in the local twin) the completion handler receives a
//! "Scheduled Event", lists this pipeline's SUBMITTED jobs ([`JobQueue`](vod_core::ports::JobQueue)) and sends
//! `SendTaskHeartbeat` for each asset still waiting on one of them. Only queued jobs are kept
//! alive: a started job must keep itself alive with its own STATUS_UPDATE events, so a running
//! job that goes silent (lost events, a dead encoder) still trips the heartbeat. Queue time as
//! a whole stays bounded by the Transcode state's `TimeoutSeconds`.

use crate::HandlerError;
use crate::completion_handler::{CompletionAction, CompletionDeps, CompletionOutcome};
use serde_json::Value;
use vod_core::ports::PortErrorKind;
use vod_core::{AssetId, AssetStatus};

/// `source` of an EventBridge schedule's events.
pub const TICK_SOURCE: &str = "aws.events";
/// `detail-type` of an EventBridge schedule's events.
pub const TICK_DETAIL_TYPE: &str = "Scheduled Event";

/// A schedule's event: `{"source": "aws.events", "detail-type": "Scheduled Event", ...}`.
pub fn is_tick(payload: &Value) -> bool {
    payload.get("source").and_then(Value::as_str) == Some(TICK_SOURCE)
        && payload.get("detail-type").and_then(Value::as_str) == Some(TICK_DETAIL_TYPE)
}

/// The event the local twin's timer sends, shaped like EventBridge's.
pub fn tick_event(time: chrono::DateTime<chrono::Utc>) -> Value {
    serde_json::json!({
        "version": "0",
        "id": format!("queue-keeper-{}", time.timestamp_millis()),
        "detail-type": TICK_DETAIL_TYPE,
        "source": TICK_SOURCE,
        "time": time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "resources": [],
        "detail": {},
    })
}

/// Heartbeats the task of every asset waiting on a queued job. A heartbeat that fails is
/// reported after the others were sent (the next tick tries again).
pub async fn keep_queued_alive(deps: &CompletionDeps) -> Result<CompletionOutcome, HandlerError> {
    let queued = deps
        .queue
        .queued_jobs()
        .await
        .map_err(|e| HandlerError::from_port("listing the queued jobs", e))?;
    let mut kept = 0usize;
    let mut failures = Vec::new();
    for job in &queued {
        let Some(asset_id) = job.asset_id.as_deref().and_then(|a| AssetId::parse(a).ok()) else {
            continue;
        };
        let record = match deps.store.get(&asset_id).await {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(e) => {
                failures.push(format!("reading {asset_id}: {e}"));
                continue;
            }
        };
        let waiting = record.status == AssetStatus::Transcoding;
        let Some(job_ref) = record.job.filter(|j| waiting && j.job_id == job.job_id) else {
            continue;
        };
        match deps.callback.heartbeat(&job_ref.task_token).await {
            Ok(()) => kept += 1,
            // The task is closed (answered, timed out): nothing waits on this job any more.
            Err(e) if e.kind == PortErrorKind::NotFound => {}
            Err(e) => failures.push(format!("heartbeat for {asset_id}: {e}")),
        }
    }
    tracing::info!(
        queued = queued.len(),
        kept,
        failed = failures.len(),
        "queue keeper"
    );
    if failures.is_empty() {
        Ok(CompletionOutcome {
            action: CompletionAction::Heartbeat,
            detail: format!("{kept} of {} queued jobs kept alive", queued.len()),
        })
    } else {
        Err(HandlerError::new(
            vod_core::error_names::TRANSIENT,
            format!(
                "the queue keeper could not heartbeat {} queued job(s): {}",
                failures.len(),
                failures.join("; ")
            ),
        ))
    }
}
