//! The queue keeper: a schedule's tick heartbeats assets whose job still waits in the queue,
//! and only those.

use crate::*;
use serde_json::json;
use vod_core::AssetId;
use vod_functions::queue_keeper::tick_event;
use vod_functions::{completion_handler, ingest_probe, job_submit};
use vod_testkit::CallbackCall;

const KEY: &str = "uploads/queued.mp4";
const ETAG: &str = "\"0123456789abcdef0123456789abcdef\"";

async fn submitted(p: &Pipeline, token: &str) -> (AssetId, String) {
    p.reader
        .insert_with_etag(SOURCE_BUCKET, KEY, ETAG, small_mp4());
    let out = ingest_probe::handle(&p.probe, probe_input(s3_event(KEY, ETAG), "exec-1"))
        .await
        .unwrap();
    let id = AssetId::parse(&out.asset_id).unwrap();
    let job = job_submit::handle(&p.submit, json!({"assetId": id, "taskToken": token}))
        .await
        .unwrap();
    (id, job.job_id)
}

fn heartbeats(p: &Pipeline) -> Vec<String> {
    p.callback
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            CallbackCall::Heartbeat { token } => Some(token),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_tick_heartbeats_the_asset_waiting_on_a_queued_job_and_nothing_else() {
    let p = Pipeline::new();
    let (id, job) = submitted(&p, "token-1").await;
    p.queue.push(&job, Some(&id));
    // Queued jobs nobody here waits on: another asset, a job this asset no longer owns, none.
    let stranger = AssetId::derive("other", "x.mp4", "e");
    p.queue.push("job-of-a-stranger", Some(&stranger));
    p.queue.push("job-replaced", Some(&id));
    p.queue.push("job-without-metadata", None);

    let out = completion_handler::handle(&p.completion, tick_event(chrono::Utc::now()))
        .await
        .unwrap();
    assert_eq!(
        out.action,
        vod_functions::completion_handler::CompletionAction::Heartbeat
    );
    assert_eq!(heartbeats(&p), ["token-1"]);
    assert_eq!(*p.queue.listings.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_started_job_is_left_to_its_own_events() {
    let p = Pipeline::new();
    let (_id, _job) = submitted(&p, "token-1").await;
    // The job left the queue: only its own STATUS_UPDATEs may keep the task alive now, so a
    // running job that goes silent still trips the heartbeat.
    completion_handler::handle(&p.completion, tick_event(chrono::Utc::now()))
        .await
        .unwrap();
    assert!(heartbeats(&p).is_empty(), "{:?}", p.callback.calls());
}

#[tokio::test]
async fn a_closed_task_is_skipped_quietly() {
    let p = Pipeline::new();
    let (id, job) = submitted(&p, "token-1").await;
    p.queue.push(&job, Some(&id));
    p.callback.closed.lock().unwrap().push("token-1".into());
    let out = completion_handler::handle(&p.completion, tick_event(chrono::Utc::now())).await;
    assert!(out.is_ok(), "{out:?}");
}

#[tokio::test]
async fn the_heartbeat_the_probe_hands_the_transcode_state_is_configurable() {
    let mut p = Pipeline::new();
    p.probe.heartbeat_seconds = 20;
    p.reader
        .insert_with_etag(SOURCE_BUCKET, KEY, ETAG, small_mp4());
    let out = ingest_probe::handle(&p.probe, probe_input(s3_event(KEY, ETAG), "exec-1"))
        .await
        .unwrap();
    assert_eq!(out.heartbeat_seconds, 20);
    assert!(out.timeout_seconds > 20);
}
