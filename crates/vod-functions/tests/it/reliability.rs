//! Issue #17's fixes at the handler level, each found by a vod-sim seed first (see
//! docs/reliability.md): one key identity, idempotent submission, CancelJob on failure.

use crate::*;
use serde_json::json;
use vod_core::ports::Transcoder;
use vod_core::{AssetId, AssetStatus};
use vod_functions::{ingest_probe, job_submit, notifier};

/// An emulator that passes keys raw: the object is stored under `a+b.mp4` and the event says
/// `a+b.mp4`, which decodes to `a b.mp4`.
const STORED_RAW: &str = "uploads/take+2 (final).mp4";
const ETAG: &str = "\"0f343b0931126a20f133d67c2b018a3b\"";

#[tokio::test]
async fn ingest_probe_and_the_notifier_find_one_id_for_the_upload() {
    // Issue #17 problem 2 (vod-sim seed 30): ingest-probe derived the id from the key the
    // object was found under, the notifier from the decoded key; a failure after the claim
    // landed on a phantom record and the real one stayed non-final. Both now find the object
    // the same way (`vod_functions::identity`).
    let p = Pipeline::new();
    p.reader
        .insert_with_etag(SOURCE_BUCKET, STORED_RAW, ETAG, small_mp4());
    let event = s3_event(STORED_RAW, ETAG);
    let out = ingest_probe::handle(&p.probe, probe_input(event.clone(), "exec-1"))
        .await
        .unwrap();
    assert_eq!(out.decision, vod_core::lifecycle::IngestDecision::Probed);
    // The uploader's id: from the key the object is stored under.
    let expected = AssetId::derive(SOURCE_BUCKET, STORED_RAW, ETAG);
    assert_eq!(out.asset_id, expected.as_str());
    let record = p.store.record(&expected).unwrap();
    assert_eq!(record.source.resolved_key.as_deref(), Some(STORED_RAW));

    // A later step of the same execution fails before the state machine knew the id.
    let caught = json!({"Error": "Lambda.Unknown", "Cause": "the response was lost"});
    notifier::handle(
        &p.notify,
        json!({"eventType": "asset.failed", "source": event["detail"], "error": caught, "executionId": "exec-1"}),
    )
    .await
    .unwrap();
    let records = p.store.all();
    assert_eq!(records.len(), 1, "no phantom record: {records:?}");
    assert_eq!(records[0].asset_id, expected);
    assert_eq!(records[0].status, AssetStatus::Failed);
}

/// An asset probed by `exec-1` (under a plain key).
async fn probed_by_exec_1(p: &Pipeline) -> AssetId {
    p.reader
        .insert_with_etag(SOURCE_BUCKET, "uploads/clip.mp4", ETAG, small_mp4());
    let out = ingest_probe::handle(
        &p.probe,
        probe_input(s3_event("uploads/clip.mp4", ETAG), "exec-1"),
    )
    .await
    .unwrap();
    AssetId::parse(&out.asset_id).unwrap()
}

/// The job job-submit would create for the probed asset `id` (to create one behind its back).
fn job_spec(p: &Pipeline, id: &AssetId) -> vod_core::job::JobSpec {
    let probe = p.store.record(id).unwrap().probe.unwrap();
    let plan =
        vod_core::ladder::plan_ladder(&probe, &vod_core::ladder::LadderPolicy::default()).unwrap();
    vod_core::job::JobSpec::new(
        id.clone(),
        "s3://vod-source/uploads/clip.mp4".into(),
        OUTPUT_BUCKET,
        "assets/",
        plan,
        "vod",
    )
}

fn submit_input(id: &AssetId, token: &str, execution: &str) -> serde_json::Value {
    json!({"assetId": id, "taskToken": token, "executionId": execution})
}

#[tokio::test]
async fn a_retried_submission_adopts_the_job_its_lost_attempt_created() {
    // Issue #17 problem 3 (vod-sim seed 2): CreateJob ran, its response or the record write
    // was lost, the retry saw PROBED and created a second job (billed twice, same outputs).
    let p = Pipeline::new();
    let id = probed_by_exec_1(&p).await;
    // The first attempt marks the submission and creates the job; then it dies before it
    // records the job, and the retry comes after MediaConvert's one-minute token window.
    let mut record = p.store.record(&id).unwrap();
    let marker = match record
        .submit_step(Some("exec-1"), p.submit.clock.now())
        .unwrap()
    {
        vod_core::lifecycle::SubmitStep::Start(m) => m,
        other => panic!("a fresh asset starts a submission, got {other:?}"),
    };
    assert!(record.mark_submission(&marker).unwrap());
    record.touch(p.submit.clock.now());
    p.store.put(record);
    let spec = job_spec(&p, &id).with_request_token(&marker.request_token);
    let first = p.transcoder.submit(&spec).await.unwrap();
    p.transcoder.forget_tokens();

    let out = job_submit::handle(&p.submit, submit_input(&id, "token-2", "exec-1"))
        .await
        .unwrap();
    assert_eq!(
        out.job_id, first,
        "the retry adopts the job, it creates none"
    );
    assert_eq!(p.transcoder.submitted().len(), 1);
    let record = p.store.record(&id).unwrap();
    assert_eq!(record.status, AssetStatus::Transcoding);
    assert_eq!(record.job.unwrap().task_token, "token-2");
}

#[tokio::test]
async fn every_attempt_of_a_submission_sends_its_markers_token() {
    let p = Pipeline::new();
    let id = probed_by_exec_1(&p).await;
    // The first attempt's CreateJob fails (throttled) after the marker was written.
    *p.transcoder.fail_with.lock().unwrap() = Some(vod_core::ports::PortErrorKind::Transient);
    let err = job_submit::handle(&p.submit, submit_input(&id, "token-1", "exec-1"))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, vod_core::error_names::TRANSIENT);
    let marker = p.store.record(&id).unwrap().submission.unwrap();
    *p.transcoder.fail_with.lock().unwrap() = None;
    job_submit::handle(&p.submit, submit_input(&id, "token-2", "exec-1"))
        .await
        .unwrap();
    // And a third attempt (its answer lost) changes nothing.
    job_submit::handle(&p.submit, submit_input(&id, "token-3", "exec-1"))
        .await
        .unwrap();
    let jobs = p.transcoder.submitted();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].client_request_token.as_deref(),
        Some(marker.request_token.as_str())
    );
    assert!(
        marker.request_token.len() <= 64,
        "MediaConvert takes ≤ 64 characters"
    );
}

#[tokio::test]
async fn only_the_owning_execution_submits() {
    let p = Pipeline::new();
    let id = probed_by_exec_1(&p).await;
    let err = job_submit::handle(&p.submit, submit_input(&id, "token-x", "exec-2"))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, vod_core::error_names::CONFLICT);
    assert!(err.message.contains("does not own"), "{}", err.message);
    assert!(p.transcoder.submitted().is_empty());
    assert_eq!(p.store.record(&id).unwrap().status, AssetStatus::Probed);
}

#[tokio::test]
async fn a_failed_asset_has_its_job_cancelled_once_whatever_the_retries() {
    // Issue #17 problem 4 (vod-sim seed 7): on a heartbeat or task timeout the state machine
    // failed the asset but the MediaConvert job ran on, writing outputs and billing minutes.
    let p = Pipeline::new();
    let id = probed_by_exec_1(&p).await;
    let job = job_submit::handle(&p.submit, submit_input(&id, "token-1", "exec-1"))
        .await
        .unwrap()
        .job_id;
    let timeout = json!({"Error": "States.HeartbeatTimeout", "Cause": "no event for 1800 s"});
    for _ in 0..2 {
        notifier::handle(
            &p.notify,
            json!({"eventType": "asset.failed", "assetId": id, "error": timeout, "executionId": "exec-1"}),
        )
        .await
        .unwrap();
    }
    assert_eq!(p.store.record(&id).unwrap().status, AssetStatus::Failed);
    assert_eq!(
        p.transcoder.status(&job),
        Some(vod_core::job::JobStatus::Canceled)
    );
    assert_eq!(p.notifier.published().len(), 1);
}

#[tokio::test]
async fn a_job_no_record_waits_on_is_cancelled_when_it_reports_progress() {
    let p = Pipeline::new();
    let id = probed_by_exec_1(&p).await;
    let recorded = job_submit::handle(&p.submit, submit_input(&id, "token-1", "exec-1"))
        .await
        .unwrap()
        .job_id;
    // A second job for the same asset (created by hand here; a lost attempt on AWS).
    let spec = job_spec(&p, &id);
    let extra = p.transcoder.submit(&spec).await.unwrap();
    let event = job_event("mediaconvert-status-update.json", id.as_str(), &extra);
    let out = vod_functions::completion_handler::handle(&p.completion, event)
        .await
        .unwrap();
    assert_eq!(
        out.action,
        vod_functions::completion_handler::CompletionAction::Cancelled
    );
    assert_eq!(
        p.transcoder.status(&extra),
        Some(vod_core::job::JobStatus::Canceled)
    );
    assert_eq!(
        p.transcoder.status(&recorded),
        Some(vod_core::job::JobStatus::Submitted)
    );
    assert_eq!(
        p.store.record(&id).unwrap().status,
        AssetStatus::Transcoding
    );
}
