//! The reconciler: assets whose execution died or overran are finished through the same rules
//! as the other handlers (completion handler for a completed job, notifier's failure path
//! otherwise), once.

use crate::*;
use chrono::Duration;
use serde_json::json;
use std::sync::Arc;
use vod_core::event::EventType;
use vod_core::job::JobStatus;
use vod_core::reconcile::ExecutionState;
use vod_core::{AssetId, AssetStatus, error_names};
use vod_functions::reconciler::{self, ReconcilerDeps};
use vod_functions::{ingest_probe, job_submit};
use vod_testkit::{CallbackCall, ListedExecutions, ListedOutputs};

const ETAG: &str = "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"";

struct Reconciling {
    p: Pipeline,
    executions: Arc<ListedExecutions>,
    outputs: Arc<ListedOutputs>,
    deps: ReconcilerDeps,
}

fn reconciling() -> Reconciling {
    let p = Pipeline::new();
    let executions = Arc::new(ListedExecutions::default());
    let outputs = Arc::new(ListedOutputs::default());
    let deps = ReconcilerDeps {
        index: p.store.clone(),
        executions: executions.clone(),
        transcoder: p.transcoder.clone(),
        outputs: outputs.clone(),
        completion: p.completion.clone(),
        notifier: p.notify.clone(),
    };
    Reconciling {
        p,
        executions,
        outputs,
        deps,
    }
}

/// An asset probed by execution `exec` (key `uploads/<n>.mp4`).
async fn probed(p: &Pipeline, n: usize, exec: &str) -> AssetId {
    let key = format!("uploads/{n}.mp4");
    p.reader
        .insert_with_etag(SOURCE_BUCKET, &key, ETAG, small_mp4());
    let out = ingest_probe::handle(&p.probe, probe_input(s3_event(&key, ETAG), exec))
        .await
        .unwrap();
    AssetId::parse(&out.asset_id).unwrap()
}

async fn transcoding(p: &Pipeline, exec: &str) -> (AssetId, String) {
    let id = probed(p, 0, exec).await;
    let out = job_submit::handle(&p.submit, json!({"assetId": id, "taskToken": "token-1"}))
        .await
        .unwrap();
    (id, out.job_id)
}

fn published(p: &Pipeline, id: &AssetId) -> Vec<EventType> {
    p.notifier
        .published()
        .into_iter()
        .filter(|e| e.asset_id == *id)
        .map(|e| e.event_type)
        .collect()
}

fn wrote_outputs(r: &Reconciling, id: &AssetId) {
    for file in [
        "stream.m3u8",
        "stream.mpd",
        "stream_audio.m3u8",
        "thumbs/thumb.0000000.jpg",
        "thumbs/thumb.0000001.jpg",
        "poster/poster.0000000.jpg",
    ] {
        r.outputs.put(OUTPUT_BUCKET, &format!("assets/{id}/{file}"));
    }
}

#[tokio::test]
async fn a_lost_complete_event_of_a_dead_execution_completes_the_asset_from_its_outputs_once() {
    let r = reconciling();
    let (id, job) = transcoding(&r.p, "exec-1").await;
    r.p.transcoder.set_status(&job, JobStatus::Complete);
    r.executions.set("exec-1", ExecutionState::TimedOut);
    wrote_outputs(&r, &id);

    let report = reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert_eq!(report.completed, [id.to_string()]);
    let record = r.p.store.record(&id).unwrap();
    assert_eq!(record.status, AssetStatus::Complete);
    let playback = record.playback.clone().unwrap();
    let base = format!("{CDN}/assets/{id}");
    assert_eq!(playback.hls_url, Some(format!("{base}/stream.m3u8")));
    assert_eq!(playback.dash_url, Some(format!("{base}/stream.mpd")));
    assert_eq!(
        playback.poster_url,
        Some(format!("{base}/poster/poster.0000000.jpg"))
    );
    assert_eq!(playback.thumbnail_series.map(|s| s.count), Some(2));
    assert_eq!(published(&r.p, &id), [EventType::Completed]);

    // Idempotent: a second run changes nothing and publishes nothing.
    let again = reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert_eq!(again.examined, 0);
    assert_eq!(r.p.store.record(&id).unwrap(), record);
    assert_eq!(published(&r.p, &id), [EventType::Completed]);
}

#[tokio::test]
async fn a_waiting_execution_gets_the_answer_and_finishes_the_asset_itself() {
    let r = reconciling();
    let (id, job) = transcoding(&r.p, "exec-1").await;
    r.p.transcoder.set_status(&job, JobStatus::Complete);
    r.executions.set("exec-1", ExecutionState::Running);
    wrote_outputs(&r, &id);

    reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert!(
        matches!(&r.p.callback.calls()[..], [CallbackCall::Success { token, .. }] if token == "token-1")
    );
    // The execution's NotifyCompleted publishes, not the reconciler.
    assert_eq!(published(&r.p, &id), []);
}

#[tokio::test]
async fn a_running_execution_within_its_bound_is_left_alone() {
    let r = reconciling();
    let (id, job) = transcoding(&r.p, "exec-1").await;
    r.p.transcoder.set_status(&job, JobStatus::Progressing);
    r.executions.set("exec-1", ExecutionState::Running);
    let before = r.p.store.record(&id).unwrap();

    let report = reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert_eq!((report.examined, report.failed.len()), (1, 0));
    assert_eq!(r.p.store.record(&id).unwrap(), before);
    assert!(r.p.callback.calls().is_empty());
    assert!(r.p.transcoder.cancelled().is_empty());
}

#[tokio::test]
async fn an_overdue_transcode_has_its_job_cancelled_and_its_task_failed() {
    let r = reconciling();
    let (id, job) = transcoding(&r.p, "exec-1").await;
    r.executions.set("exec-1", ExecutionState::Running);
    let mut record = r.p.store.record(&id).unwrap();
    if let Some(j) = record.job.as_mut() {
        j.submitted_at -= Duration::days(3);
    }
    r.p.store.put(record);

    reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert_eq!(r.p.transcoder.cancelled(), [job.as_str()]);
    let calls = r.p.callback.calls();
    let [
        CallbackCall::Failure {
            token,
            error,
            cause,
        },
    ] = &calls[..]
    else {
        panic!("expected one SendTaskFailure: {calls:?}");
    };
    assert_eq!(
        (token.as_str(), error.as_str()),
        ("token-1", "States.Timeout")
    );
    assert!(
        cause.contains(&format!("{job} was still SUBMITTED")),
        "{cause}"
    );
}

#[tokio::test]
async fn a_dead_executions_probed_asset_fails_naming_it_and_its_stray_job_is_cancelled() {
    let r = reconciling();
    let (id, job) = transcoding(&r.p, "exec-1").await;
    // job-submit created the job, then its record write was lost: the record says PROBED.
    let mut record = r.p.store.record(&id).unwrap();
    record.status = AssetStatus::Probed;
    record.job = None;
    r.p.store.put(record);
    r.executions.set("exec-1", ExecutionState::Failed);

    let report = reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert_eq!(report.failed, [id.to_string()]);
    assert_eq!(report.cancelled_jobs, [job.as_str()]);
    let record = r.p.store.record(&id).unwrap();
    assert_eq!(record.status, AssetStatus::Failed);
    let error = record.error.unwrap();
    assert_eq!(error.name, error_names::INTERNAL);
    assert_eq!(
        error.message,
        "execution exec-1 is FAILED while the asset was PROBED"
    );
    assert_eq!(published(&r.p, &id), [EventType::Failed]);

    reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert_eq!(published(&r.p, &id), [EventType::Failed]);
}

#[tokio::test]
async fn every_page_of_the_index_is_reconciled() {
    let r = reconciling();
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(probed(&r.p, n, "exec-gone").await.to_string());
    }
    // exec-gone is unknown to Step Functions (the twin forgets executions when it restarts).
    let mut report = reconciler::handle(&r.deps, json!({})).await.unwrap();
    report.failed.sort();
    ids.sort();
    assert_eq!(report.failed, ids);
    assert!(
        r.p.store
            .all()
            .iter()
            .all(|record| record.status == AssetStatus::Failed)
    );
}

#[tokio::test]
async fn a_final_asset_whose_event_was_lost_is_announced_once_its_execution_is_gone() {
    let r = reconciling();
    let id = probed(&r.p, 0, "exec-1").await;
    // The execution's NotifyFailed wrote FAILED, then its publish never went out.
    let mut record = r.p.store.record(&id).unwrap();
    record
        .transition(AssetStatus::Failed, record.updated_at, Some("boom".into()))
        .unwrap();
    r.p.store.put(record);
    r.executions.set("exec-1", ExecutionState::Running);
    reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert_eq!(published(&r.p, &id), [], "its execution may still publish");

    r.executions.set("exec-1", ExecutionState::Failed);
    let report = reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert_eq!(report.announced, [id.to_string()]);
    assert_eq!(published(&r.p, &id), [EventType::Failed]);
    assert!(
        r.p.store
            .record(&id)
            .unwrap()
            .was_notified(EventType::Failed)
    );
    let again = reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert!(again.announced.is_empty());
    assert_eq!(published(&r.p, &id), [EventType::Failed]);
}

#[tokio::test]
async fn a_completed_job_without_manifests_fails_the_asset_of_a_dead_execution_with_the_reason() {
    let r = reconciling();
    let (id, job) = transcoding(&r.p, "exec-1").await;
    r.p.transcoder.set_status(&job, JobStatus::Complete);
    r.executions.set("exec-1", ExecutionState::Aborted);
    r.p.callback.closed.lock().unwrap().push("token-1".into());
    // The outputs were deleted (or never written): nothing to play.
    let report = reconciler::handle(&r.deps, json!({})).await.unwrap();
    assert_eq!(report.failed, [id.to_string()]);
    let record = r.p.store.record(&id).unwrap();
    assert_eq!(record.status, AssetStatus::Failed);
    let error = record.error.unwrap();
    assert_eq!(error.name, error_names::MEDIACONVERT_JOB_FAILED);
    assert!(
        error.message.contains("without any HLS or DASH manifest"),
        "{}",
        error.message
    );
    assert_eq!(published(&r.p, &id), [EventType::Failed]);
}
