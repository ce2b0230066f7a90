//! reconciler: on a schedule, finishes the assets nothing else will.
//!
//! A lost MediaConvert event, a failure path that could not write, an execution that timed out
//! or crashed: each leaves a record PROBING, PROBED or TRANSCODING with nothing left to finish
//! it. Every run pages through the `byStatus` index for those statuses, reads each record
//! again (the index lags), asks Step Functions about its execution (`DescribeExecution`) and
//! MediaConvert about its job (`GetJob`), and applies [`vod_core::reconcile::decide`]. It
//! writes nothing itself; the other handlers' rules do:
//!
//! - a completed job: the job's outputs, listed under the asset's prefix, become the COMPLETE
//!   event MediaConvert would have sent, run through [`crate::completion_handler`] (outputs,
//!   playback, storyboard, `SendTaskSuccess`); when no execution waits for that answer, the
//!   [`crate::notifier`] publishes `asset.completed`;
//! - a failure: the jobs still running are cancelled first; an execution still waiting on its
//!   task token gets `SendTaskFailure` (its Catch fails the asset); otherwise the notifier's
//!   failure path marks the record FAILED as its owning execution (`claimedBy`, so the owner
//!   check passes) and publishes `asset.failed`.
//!
//! A record already final whose terminal event never went out (the publish failed and no
//! execution is left to retry it, or the reconciler itself stopped between the write and the
//! publish) is announced through the notifier: the final statuses are read too, as far back
//! as [`FINAL_LOOKBACK_SECONDS`].
//!
//! Idempotent: a second run finds the records final and announced, and does nothing; the
//! notifier never publishes one event type twice.

use crate::HandlerError;
use crate::completion_handler::{self, CompletionAction, CompletionDeps};
use crate::notifier::{self, NotifierDeps};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;
use vod_core::job::{
    DOWNLOAD_PATH, OUTPUT_BASENAME, POSTER_PATH, THUMBNAILS_PATH, USER_METADATA_ASSET_ID,
    asset_prefix,
};
use vod_core::ports::{Executions, OutputListing, PortErrorKind, StatusIndex, Transcoder};
use vod_core::reconcile::{
    Cancel, ExecutionState, FINAL_LOOKBACK_SECONDS, Verdict, decide, may_run_on, unannounced,
};
use vod_core::record::{AssetRecord, ErrorInfo};
use vod_core::{AssetStatus, error_names};

/// The statuses a record can be stuck in.
pub const NON_FINAL: [AssetStatus; 3] = [
    AssetStatus::Probing,
    AssetStatus::Probed,
    AssetStatus::Transcoding,
];

/// The statuses whose terminal event may still be owed.
pub const FINAL: [AssetStatus; 3] = [
    AssetStatus::Complete,
    AssetStatus::Failed,
    AssetStatus::Rejected,
];

#[derive(Clone)]
pub struct ReconcilerDeps {
    pub index: Arc<dyn StatusIndex>,
    pub executions: Arc<dyn Executions>,
    pub transcoder: Arc<dyn Transcoder>,
    pub outputs: Arc<dyn OutputListing>,
    /// The completion handler's dependencies: its COMPLETE rules finish a completed job, its
    /// callback answers a waiting task.
    pub completion: CompletionDeps,
    /// The notifier's: its failure path and its once-only publishing.
    pub notifier: NotifierDeps,
}

/// What one run did (returned for logs and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    /// Non-final records read from the index.
    pub examined: usize,
    /// Assets finished COMPLETE (by this run, or by the execution it answered).
    pub completed: Vec<String>,
    /// Assets failed (by this run, or by the execution it answered).
    pub failed: Vec<String>,
    /// Jobs cancelled before their asset failed.
    pub cancelled_jobs: Vec<String>,
    /// Final assets whose terminal event this run published.
    pub announced: Vec<String>,
}

/// What happened to one record.
enum Done {
    Left,
    Completed,
    Failed,
}

/// One run over every non-final record. A record that cannot be reconciled now (a throttled
/// call) does not stop the others; the run then reports [`error_names::TRANSIENT`] and the next
/// run tries again.
pub async fn handle(
    deps: &ReconcilerDeps,
    _payload: Value,
) -> Result<ReconcileReport, HandlerError> {
    let mut report = ReconcileReport::default();
    let mut failures = Vec::new();
    for status in NON_FINAL {
        // Every page first, then the writes: finishing a record moves it out of the index.
        let mut records = Vec::new();
        let mut cursor = None;
        loop {
            // A page that cannot be read ends this status's listing, not the run: the other
            // statuses (and the records already listed) are still worked on.
            let (page, next) = match deps.index.page(status, None, cursor).await {
                Ok(listed) => listed,
                Err(e) => {
                    failures.push(format!("listing {status} assets: {e}"));
                    break;
                }
            };
            records.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        report.examined += records.len();
        for record in records {
            let id = record.asset_id.to_string();
            match reconcile(deps, &record, &mut report.cancelled_jobs).await {
                Ok(Done::Left) => {}
                Ok(Done::Completed) => report.completed.push(id),
                Ok(Done::Failed) => report.failed.push(id),
                Err(e) => failures.push(format!("{id}: {}", e.message)),
            }
        }
    }
    // Announcing leaves a record in its status, so these are handled a page at a time.
    let since = deps.completion.clock.now()
        - chrono::Duration::seconds(i64::try_from(FINAL_LOOKBACK_SECONDS).unwrap_or(i64::MAX));
    for status in FINAL {
        let mut cursor = None;
        loop {
            let (page, next) = match deps.index.page(status, Some(since), cursor).await {
                Ok(listed) => listed,
                Err(e) => {
                    failures.push(format!("listing {status} assets: {e}"));
                    break;
                }
            };
            for record in page.iter().filter(|r| unannounced(r, None).is_some()) {
                let id = record.asset_id.to_string();
                match announce(deps, record).await {
                    Ok(true) => report.announced.push(id),
                    Ok(false) => {}
                    Err(e) => failures.push(format!("{id}: {}", e.message)),
                }
            }
            let now = deps.completion.clock.now();
            for record in page.iter().filter(|r| may_run_on(r, now)) {
                let id = record.asset_id.to_string();
                match stop_stray_job(deps, record).await {
                    Ok(Some(job)) => report.cancelled_jobs.push(job),
                    Ok(None) => {}
                    Err(e) => failures.push(format!("{id}: {}", e.message)),
                }
            }
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    tracing::info!(
        examined = report.examined,
        announced = report.announced.len(),
        completed = report.completed.len(),
        failed = report.failed.len(),
        cancelled = report.cancelled_jobs.len(),
        errors = failures.len(),
        "reconciled"
    );
    if failures.is_empty() {
        Ok(report)
    } else {
        Err(HandlerError::new(
            error_names::TRANSIENT,
            format!(
                "the reconciler could not finish {} asset(s) this run: {}",
                failures.len(),
                failures.join("; ")
            ),
        ))
    }
}

/// The record as it is now (the index lags behind the table).
async fn fresh(
    deps: &ReconcilerDeps,
    listed: &AssetRecord,
) -> Result<Option<AssetRecord>, HandlerError> {
    deps.completion
        .store
        .get(&listed.asset_id)
        .await
        .map_err(|e| HandlerError::from_port("reading the asset record", e))
}

/// What Step Functions says of the execution that claimed `record` (`None`: none, or gone).
async fn owner_state(
    deps: &ReconcilerDeps,
    record: &AssetRecord,
) -> Result<Option<ExecutionState>, HandlerError> {
    match record.claimed_by.as_deref() {
        Some(arn) => deps
            .executions
            .status(arn)
            .await
            .map_err(|e| HandlerError::from_port("describing the execution", e)),
        None => Ok(None),
    }
}

/// Stops the job of a FAILED asset that is still running: its failure path's CancelJob was
/// lost (an outage of MediaConvert outlasting the state machine's retries). Left to a running
/// execution, whose failure path is still ahead of it.
async fn stop_stray_job(
    deps: &ReconcilerDeps,
    listed: &AssetRecord,
) -> Result<Option<String>, HandlerError> {
    let Some(record) = fresh(deps, listed).await? else {
        return Ok(None);
    };
    let Some(job) = record
        .job
        .as_ref()
        .filter(|_| record.status == AssetStatus::Failed)
    else {
        return Ok(None);
    };
    if owner_state(deps, &record).await? == Some(ExecutionState::Running) {
        return Ok(None);
    }
    let running = deps
        .transcoder
        .job(&job.job_id)
        .await
        .map_err(|e| HandlerError::from_port("reading the failed asset's job", e))?
        .is_some_and(|j| !j.status.is_final());
    if !running {
        return Ok(None);
    }
    deps.transcoder
        .cancel(&job.job_id)
        .await
        .map_err(|e| HandlerError::from_port("cancelling the failed asset's job", e))?;
    tracing::warn!(asset_id = %record.asset_id, job_id = %job.job_id, "reconciler cancelled the job of a failed asset");
    Ok(Some(job.job_id.clone()))
}

/// Publishes the terminal event a final record still owes, when no execution will.
async fn announce(deps: &ReconcilerDeps, listed: &AssetRecord) -> Result<bool, HandlerError> {
    let Some(record) = fresh(deps, listed).await? else {
        return Ok(false);
    };
    if unannounced(&record, None).is_none() {
        return Ok(false);
    }
    let execution = owner_state(deps, &record).await?;
    let Some(event) = unannounced(&record, execution) else {
        return Ok(false);
    };
    tracing::warn!(asset_id = %record.asset_id, event_type = event.as_str(), "reconciler publishes a terminal event nobody sent");
    publish(deps, &record, event.as_str(), None).await?;
    Ok(true)
}

async fn reconcile(
    deps: &ReconcilerDeps,
    listed: &AssetRecord,
    cancelled: &mut Vec<String>,
) -> Result<Done, HandlerError> {
    let Some(record) = fresh(deps, listed).await? else {
        return Ok(Done::Left);
    };
    if record.status.is_final() {
        return Ok(Done::Left);
    }
    let execution = owner_state(deps, &record).await?;
    let job = match (&record.job, record.status) {
        (Some(j), AssetStatus::Transcoding) => deps
            .transcoder
            .job(&j.job_id)
            .await
            .map_err(|e| HandlerError::from_port("reading the MediaConvert job", e))?,
        _ => None,
    };
    let now = deps.completion.clock.now();
    let running = execution == Some(ExecutionState::Running);
    match decide(&record, now, execution, job.as_ref()) {
        Verdict::Leave => Ok(Done::Left),
        Verdict::Complete { job_id } => complete(deps, &record, &job_id, running).await,
        Verdict::Fail { error, cancel } => {
            cancel_jobs(deps, &record, &cancel, cancelled).await?;
            tracing::warn!(asset_id = %record.asset_id, error = %error.name, message = %error.message, "reconciler fails the asset");
            fail(deps, &record, error, running).await
        }
    }
}

/// Runs the completion handler on the COMPLETE event the job's outputs make, then publishes
/// `asset.completed` when no execution will.
async fn complete(
    deps: &ReconcilerDeps,
    record: &AssetRecord,
    job_id: &str,
    running: bool,
) -> Result<Done, HandlerError> {
    let settings = &deps.completion.settings;
    let prefix = asset_prefix(&settings.output_prefix, &record.asset_id);
    let keys = deps
        .outputs
        .keys(&settings.output_bucket, &prefix)
        .await
        .map_err(|e| HandlerError::from_port("listing the job's outputs", e))?;
    let event = complete_event(record, job_id, &settings.output_bucket, &prefix, &keys);
    let outcome = completion_handler::handle(&deps.completion, event).await?;
    if outcome.action == CompletionAction::Completed {
        if !running {
            publish(deps, record, "asset.completed", None).await?;
        }
        tracing::info!(asset_id = %record.asset_id, job_id, "reconciler completed the asset");
        return Ok(Done::Completed);
    }
    if running && outcome.action == CompletionAction::Failed {
        // The execution was answered with the failure: its Catch fails the asset.
        return Ok(Done::Failed);
    }
    // Finished meanwhile (the job's own event won the race): nothing left to do.
    if fresh(deps, record)
        .await?
        .is_none_or(|r| r.status.is_final())
    {
        return Ok(Done::Left);
    }
    // Nothing waits for an answer: fail the asset with what the completion handler found.
    let error = ErrorInfo {
        name: error_names::MEDIACONVERT_JOB_FAILED.to_owned(),
        message: format!(
            "MediaConvert job {job_id} completed, but its outputs cannot finish the asset: {}",
            outcome.detail
        ),
    };
    fail(deps, record, error, false).await
}

async fn cancel_jobs(
    deps: &ReconcilerDeps,
    record: &AssetRecord,
    cancel: &Cancel,
    cancelled: &mut Vec<String>,
) -> Result<(), HandlerError> {
    let ids = match cancel {
        Cancel::Job(id) => vec![id.clone()],
        Cancel::EveryJobOfTheAsset => deps
            .transcoder
            .jobs_for(&record.asset_id, record.created_at)
            .await
            .map_err(|e| HandlerError::from_port("listing the asset's jobs", e))?
            .into_iter()
            .filter(|j| !j.status.is_final())
            .map(|j| j.job_id)
            .collect(),
    };
    for id in ids {
        let result = deps
            .transcoder
            .cancel(&id)
            .await
            .map_err(|e| HandlerError::from_port("cancelling the MediaConvert job", e))?;
        if result == vod_core::job::Cancellation::Cancelled {
            tracing::warn!(asset_id = %record.asset_id, job_id = %id, "cancelled");
            cancelled.push(id);
        }
    }
    Ok(())
}

/// Answers the waiting task with the failure when an execution still waits on one; otherwise
/// (or when the task turns out closed) the notifier's failure path fails the asset.
async fn fail(
    deps: &ReconcilerDeps,
    record: &AssetRecord,
    error: ErrorInfo,
    running: bool,
) -> Result<Done, HandlerError> {
    let waiting = record
        .job
        .as_ref()
        .filter(|_| running && record.status == AssetStatus::Transcoding);
    if let Some(job) = waiting {
        match deps
            .completion
            .callback
            .fail(&job.task_token, &error.name, &error.message)
            .await
        {
            Ok(()) => return Ok(Done::Failed),
            Err(e) if e.kind == PortErrorKind::NotFound => {}
            Err(e) => return Err(HandlerError::from_port("SendTaskFailure", e)),
        }
    }
    publish(deps, record, "asset.failed", Some(error)).await?;
    Ok(Done::Failed)
}

async fn publish(
    deps: &ReconcilerDeps,
    record: &AssetRecord,
    event_type: &str,
    error: Option<ErrorInfo>,
) -> Result<(), HandlerError> {
    let mut payload = json!({
        "eventType": event_type,
        "assetId": record.asset_id,
        "executionId": record.claimed_by,
    });
    if let Some(error) = error {
        payload["error"] = json!({"Error": error.name, "Cause": error.message});
    }
    notifier::handle(&deps.notifier, payload).await?;
    Ok(())
}

/// The "MediaConvert Job State Change" COMPLETE event the job would have sent, from the keys
/// it wrote under `prefix`: the top-level manifests as the CMAF group's playlists, each
/// rendition's own playlist as an output (its size and bitrate from the record's ladder), the
/// last thumbnail, the poster and the MP4 as frame-capture and file outputs.
pub fn complete_event(
    record: &AssetRecord,
    job_id: &str,
    bucket: &str,
    prefix: &str,
    keys: &[String],
) -> Value {
    let uri = |key: &str| format!("s3://{bucket}/{key}");
    let duration_ms = record
        .probe
        .as_ref()
        .and_then(|p| p.duration_seconds)
        .map(|s| (s.max(0.0) * 1000.0).round() as u64);
    let rungs = record
        .ladder
        .as_ref()
        .map(|l| l.rungs.as_slice())
        .unwrap_or(&[]);
    let video = |width: u32, height: u32, bitrate: Option<u64>| json!({"widthInPx": width, "heightInPx": height, "averageBitrate": bitrate});
    let mut playlists = Vec::new();
    let mut renditions = Vec::new();
    let mut files = Vec::new();
    let mut last_thumbnail = None;
    for key in keys {
        let Some(name) = key.strip_prefix(prefix) else {
            continue;
        };
        if name == format!("{OUTPUT_BASENAME}.m3u8") || name == format!("{OUTPUT_BASENAME}.mpd") {
            playlists.push(uri(key));
        } else if let Some(modifier) = name
            .strip_prefix(OUTPUT_BASENAME)
            .and_then(|n| n.strip_suffix(".m3u8"))
            .filter(|n| !n.contains('/'))
        {
            let details = rungs
                .iter()
                .find(|r| r.name == modifier)
                .map(|r| video(r.width, r.height, Some(r.max_bitrate_bps)));
            renditions.push(json!({"outputFilePaths": [uri(key)], "durationInMs": duration_ms, "videoDetails": details}));
        } else if name.starts_with(THUMBNAILS_PATH) && name.ends_with(".jpg") {
            last_thumbnail = Some(uri(key)); // keys come in order, numbers zero-padded
        } else if name.starts_with(POSTER_PATH) && name.ends_with(".jpg") {
            let details = rungs.first().map(|r| video(r.width, r.height, None));
            files.push(json!({"outputFilePaths": [uri(key)], "durationInMs": duration_ms, "videoDetails": details}));
        } else if name.starts_with(DOWNLOAD_PATH) && name.ends_with(".mp4") {
            let details = rungs
                .first()
                .map(|r| video(r.width, r.height, Some(r.max_bitrate_bps)));
            files.push(json!({"outputFilePaths": [uri(key)], "durationInMs": duration_ms, "videoDetails": details}));
        }
    }
    if let Some(last) = last_thumbnail {
        let size = record
            .ladder
            .as_ref()
            .and_then(|l| l.thumbnails.as_ref())
            .map(|t| video(t.width, t.height, None));
        files.push(
            json!({"outputFilePaths": [last], "durationInMs": duration_ms, "videoDetails": size}),
        );
    }
    let mut groups = vec![json!({
        "type": "CMAF_GROUP",
        "playlistFilePaths": playlists,
        "outputDetails": renditions,
    })];
    if !files.is_empty() {
        groups.push(json!({"type": "FILE_GROUP", "outputDetails": files}));
    }
    json!({
        "version": "0",
        "detail-type": "MediaConvert Job State Change",
        "source": "aws.mediaconvert",
        "detail": {
            "jobId": job_id,
            "status": "COMPLETE",
            "userMetadata": {USER_METADATA_ASSET_ID: record.asset_id},
            "outputGroupDetails": groups,
        },
    })
}
