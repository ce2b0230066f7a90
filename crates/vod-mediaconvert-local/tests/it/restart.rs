//! A restart of the twin: finished jobs are still answered, jobs that were in flight fail.

use aws_sdk_mediaconvert::types as mc;

use crate::env::{Env, HEAVY, test_clip};
use crate::jobs::{asset_id, small_job, submit};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_reports_old_jobs_and_fails_jobs_that_were_in_flight() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    env.put_source("good.mp4", std::fs::read(test_clip()).expect("clip"))
        .await;
    let mut seen = Vec::new();
    let failed = submit(&env, &small_job("missing.mp4", &asset_id("f"))).await;
    env.wait_for_event(&failed, "ERROR", &mut seen).await;
    let inflight = submit(&env, &small_job("good.mp4", &asset_id("i"))).await;
    env.wait_for_event(&inflight, "PROGRESSING", &mut seen)
        .await;
    let (moto, state) = env.stop().await;

    let env = Env::start_with(moto, state).await;
    let old = env.mc.get_job().id(&failed).send().await.expect("old job");
    assert_eq!(old.job().and_then(|j| j.error_code()), Some(1010));
    let job = env
        .mc
        .get_job()
        .id(&inflight)
        .send()
        .await
        .expect("in-flight job");
    let job = job.job().expect("job");
    assert_eq!(job.status(), Some(&mc::JobStatus::Error));
    assert!(
        job.error_message()
            .unwrap_or_default()
            .contains("restarted"),
        "{job:?}"
    );
    env.wait_for_event(&inflight, "ERROR", &mut seen).await;
    env.stop().await;
}
