//! Job events and the queue: failures become ERROR events with MediaConvert's codes, cancels
//! become CANCELED, progress comes as STATUS_UPDATE, and the queue keeps serving.

use aws_sdk_mediaconvert::types as mc;

use crate::env::{Env, HEAVY, PIPELINE, test_clip};
use crate::jobs::{asset_id, ladder, rung, small_job, spec, submit};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_and_cancel_emit_events_and_the_queue_keeps_serving() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    let clip = std::fs::read(test_clip()).expect("clip");
    env.put_source("good.mp4", clip).await;
    env.put_source(
        "corrupt.mp4",
        b"this is not a video file at all".repeat(100),
    )
    .await;
    let mut seen = Vec::new();

    let missing = submit(&env, &small_job("no/such key.mp4", &asset_id("missing"))).await;
    let corrupt = submit(&env, &small_job("corrupt.mp4", &asset_id("corrupt"))).await;
    // A 1080p ladder, canceled while ffmpeg runs.
    let ladder_1080p = ladder(vec![
        rung("_1080p", 1920, 1080, 6_000_000),
        rung("_720p", 1280, 720, 3_000_000),
    ]);
    let running = submit(&env, &spec("good.mp4", &asset_id("running"), ladder_1080p)).await;
    let queued = submit(&env, &small_job("good.mp4", &asset_id("queued"))).await;
    // Cancel the queued job before it starts (max 1 job at a time).
    env.mc
        .cancel_job()
        .id(&queued)
        .send()
        .await
        .expect("cancel queued");

    let e = env.wait_for_event(&missing, "ERROR", &mut seen).await;
    assert_eq!(e["detail"]["errorCode"], 1010);
    assert!(
        e["detail"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("s3://src-bucket/no/such key.mp4")),
        "{e}"
    );
    assert_eq!(e["detail"]["userMetadata"]["vodPipeline"], PIPELINE);
    let e = env.wait_for_event(&corrupt, "ERROR", &mut seen).await;
    assert_eq!(e["detail"]["errorCode"], 1010, "{e}");
    env.wait_for_event(&queued, "CANCELED", &mut seen).await;

    let transcoding = env
        .wait_until(&mut seen, |e| {
            e["detail"]["jobId"] == running.as_str()
                && e["detail"]["jobProgress"]["currentPhase"] == "TRANSCODING"
        })
        .await;
    assert_eq!(
        transcoding["detail"]["jobProgress"]["phaseProgress"]["PROBING"]["status"],
        "COMPLETE"
    );
    env.mc
        .cancel_job()
        .id(&running)
        .send()
        .await
        .expect("cancel running");
    env.wait_for_event(&running, "CANCELED", &mut seen).await;
    let got = env.mc.get_job().id(&running).send().await.expect("GetJob");
    assert_eq!(
        got.job().and_then(|j| j.status()),
        Some(&mc::JobStatus::Canceled)
    );
    // Canceling a finished job is refused.
    assert!(env.mc.cancel_job().id(&running).send().await.is_err());

    // The queue still serves the next job.
    let good = submit(&env, &small_job("good.mp4", &asset_id("good"))).await;
    let done = env.wait_for_event(&good, "COMPLETE", &mut seen).await;
    assert_eq!(
        done["detail"]["outputGroupDetails"][0]["type"],
        "CMAF_GROUP"
    );
    let updates = seen
        .iter()
        .filter(|e| {
            e["detail"]["jobId"] == good.as_str() && e["detail"]["status"] == "STATUS_UPDATE"
        })
        .count();
    eprintln!("{updates} STATUS_UPDATE events for {good}");
    if let Some(update) = seen
        .iter()
        .find(|e| e["detail"]["status"] == "STATUS_UPDATE")
    {
        let progress = &update["detail"]["jobProgress"];
        assert!(progress["jobPercentComplete"].is_number(), "{update}");
        assert!(progress["currentPhase"].is_string(), "{update}");
        assert!(
            progress["phaseProgress"]["TRANSCODING"]["status"].is_string(),
            "{update}"
        );
    }

    let listed = env
        .mc
        .list_jobs()
        .order(mc::Order::Ascending)
        .max_results(2)
        .send()
        .await
        .expect("ListJobs");
    assert_eq!(listed.jobs().len(), 2);
    assert_eq!(listed.jobs()[0].id(), Some(missing.as_str()));
    assert!(listed.next_token().is_some());
    env.stop().await;
}
