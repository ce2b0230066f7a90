//! The twin under load and faults: a queue far longer than the Transcode heartbeat, an encoder
//! killed mid-job, and one upload event put on the bus five times. Each prints its wall time.

use crate::s;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vod_core::contracts::{LambdaFunction, TRANSCODE_HEARTBEAT_SECONDS};
use vod_e2e::{Pipeline, TIMEOUT, clip};
use vod_local::{InvokeError, LambdaHost};

/// Counts the queued jobs the queue keeper heartbeated (its outcome's detail starts "N of").
struct WatchKeeper {
    inner: Arc<dyn LambdaHost>,
    kept_alive: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl LambdaHost for WatchKeeper {
    async fn invoke(&self, function: LambdaFunction, payload: Value) -> Result<Value, InvokeError> {
        let out = self.inner.invoke(function, payload).await?;
        if out["action"] == "heartbeat" {
            let kept: usize = s(&out["detail"])
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            self.kept_alive.fetch_add(kept, Ordering::SeqCst);
        }
        Ok(out)
    }
}

/// The longest time a job of the twin waited in its queue (submit → start), from ListJobs.
async fn longest_queue_wait(p: &Pipeline) -> Duration {
    let mut longest = 0;
    let mut next = None;
    loop {
        let out = p
            .mediaconvert
            .list_jobs()
            .set_next_token(next)
            .send()
            .await
            .unwrap();
        for job in out.jobs() {
            let timing = job.timing();
            let submit = timing.and_then(|t| t.submit_time()).map(|t| t.secs());
            let start = timing.and_then(|t| t.start_time()).map(|t| t.secs());
            if let (Some(submit), Some(start)) = (submit, start) {
                longest = longest.max(start - submit);
            }
        }
        next = out.next_token().map(str::to_owned);
        if next.is_none() {
            return Duration::from_secs(u64::try_from(longest).unwrap_or(0));
        }
    }
}

/// 24 uploads at once on 2 transcode slots, with a 10 s heartbeat: the tail waits in the queue
/// far longer than the heartbeat, sending no events, and must still complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_four_uploads_on_two_slots_all_complete_with_no_heartbeat_timeout() {
    let started = Instant::now();
    let heartbeat_seconds = 10;
    let kept_alive = Arc::new(AtomicUsize::new(0));
    let kept = Arc::clone(&kept_alive);
    let p = Pipeline::start_with(
        |config| {
            config.max_concurrent_jobs = 2;
            config.queue_keeper_period = Duration::from_secs(2);
            config.lambda_env.insert(
                TRANSCODE_HEARTBEAT_SECONDS.to_owned(),
                heartbeat_seconds.to_string(),
            );
        },
        |inner| {
            Arc::new(WatchKeeper {
                inner,
                kept_alive: kept,
            })
        },
    )
    .await
    .unwrap();
    let body = std::fs::read(clip(320, 180, 2).unwrap()).unwrap();
    let keys: Vec<String> = (0..24).map(|i| format!("load/clip-{i:02}.mp4")).collect();
    let uploads: Vec<_> = keys.iter().map(|k| p.upload(k, body.clone())).collect();
    for u in uploads {
        u.await.unwrap();
    }

    for key in &keys {
        let record = p.wait_final(key).await.unwrap();
        assert_eq!(record["status"], "COMPLETE", "{key}: {record:#}");
    }
    let settled = p.wait_executions_settled().await.unwrap();
    assert_eq!(settled.len(), 24, "{settled:?}");
    let failed: Vec<_> = p
        .local
        .step_functions()
        .engine()
        .list_executions()
        .into_iter()
        .filter(|e| e.status.as_str() != "SUCCEEDED")
        .map(|e| (e.name, e.error, e.cause))
        .collect();
    assert!(
        failed.is_empty(),
        "no execution may fail (heartbeat): {failed:#?}"
    );
    for r in p.all_records().await.unwrap() {
        assert!(r["error"].is_null(), "{r:#}");
    }
    // The queue was really exercised: the keeper heartbeated queued jobs.
    assert!(
        kept_alive.load(Ordering::SeqCst) > 0,
        "no queued job was kept alive"
    );
    let jobs = p
        .mediaconvert
        .list_jobs()
        .max_results(20)
        .send()
        .await
        .unwrap();
    assert!(!jobs.jobs().is_empty());
    eprintln!(
        "24 uploads / 2 slots / {heartbeat_seconds} s heartbeat: longest queue wait {:?}, {} keeper heartbeats, wall time {:?}",
        longest_queue_wait(&p).await,
        kept_alive.load(Ordering::SeqCst),
        started.elapsed()
    );
    p.shutdown().await;
}

/// The pid of the ffmpeg transcoding MediaConvert job `job_id` (its work directory is named
/// after the job, and only the transcode reports `-progress`).
fn transcoding_ffmpeg(job_id: &str) -> Option<u32> {
    let marker = format!("{job_id}-");
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_ffmpeg = args.first().is_some_and(|a| a.ends_with("ffmpeg"));
        if is_ffmpeg
            && args.iter().any(|a| a == "-progress")
            && args.iter().any(|a| a.contains(&marker))
        {
            return Some(pid);
        }
    }
    None
}

/// SIGKILL of a running job's ffmpeg: that asset ends FAILED saying the encoder died, and the
/// job queued behind it (one slot) then runs and completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_encoder_of_a_running_job_fails_that_asset_and_the_next_job_runs() {
    let started = Instant::now();
    let p = Pipeline::start_with(|config| config.max_concurrent_jobs = 1, |host| host)
        .await
        .unwrap();
    let victim = "faults/killed.mp4";
    let next = "faults/next.mp4";
    p.upload(victim, std::fs::read(clip(1280, 720, 10).unwrap()).unwrap())
        .await
        .unwrap();
    let record = p
        .wait_for_record(victim, "a submitted job", |r| !r["job"]["jobId"].is_null())
        .await
        .unwrap();
    let job_id = s(&record["job"]["jobId"]).to_owned();
    // Queued behind the victim on the only slot.
    p.upload(next, std::fs::read(clip(320, 180, 2).unwrap()).unwrap())
        .await
        .unwrap();

    let deadline = Instant::now() + TIMEOUT;
    let pid = loop {
        if let Some(pid) = transcoding_ffmpeg(&job_id) {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "no ffmpeg found for job {job_id}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let killed = Instant::now();

    let failed = p.wait_final(victim).await.unwrap();
    let to_failed = killed.elapsed();
    assert_eq!(failed["status"], "FAILED", "{failed:#}");
    assert_eq!(
        failed["error"]["name"], "MediaConvert.JobFailed",
        "{failed:#}"
    );
    assert!(
        s(&failed["error"]["message"]).contains("encoder died"),
        "{failed:#}"
    );
    assert!(
        to_failed < Duration::from_secs(60),
        "FAILED only {to_failed:?} after the kill"
    );
    let completed = p.wait_final(next).await.unwrap();
    assert_eq!(completed["status"], "COMPLETE", "{completed:#}");
    eprintln!(
        "killed ffmpeg {pid} of job {job_id}: FAILED {to_failed:?} later; wall time {:?}",
        started.elapsed()
    );
    p.shutdown().await;
}

/// The upload's own S3 event put on the EventBridge bus five more times while its job runs
/// (five new events, as a replay or a misbehaving producer would send): one MediaConvert job,
/// one COMPLETE, one `asset.completed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_s3_event_put_on_the_bus_five_times_while_its_job_runs_makes_one_job() {
    let started = Instant::now();
    let p = Pipeline::start().await.unwrap();
    let key = "replayed/clip.mp4";
    p.upload(key, std::fs::read(clip(1280, 720, 8).unwrap()).unwrap())
        .await
        .unwrap();
    p.wait_for_record(key, "TRANSCODING", |r| r["status"] == "TRANSCODING")
        .await
        .unwrap();
    let execution = p
        .local
        .step_functions()
        .engine()
        .list_executions()
        .into_iter()
        .next()
        .unwrap();
    let event = execution.input;

    let events = aws_sdk_eventbridge::Client::new(p.local.sdk_config());
    let resources: Vec<String> = event["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    for _ in 0..5 {
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .source(s(&event["source"]))
            .detail_type(s(&event["detail-type"]))
            .set_resources(Some(resources.clone()))
            .detail(event["detail"].to_string())
            .build();
        let out = events.put_events().entries(entry).send().await.unwrap();
        assert_eq!(out.failed_entry_count(), 0, "{out:?}");
    }

    let record = p.wait_final(key).await.unwrap();
    assert_eq!(record["status"], "COMPLETE", "{record:#}");
    // Each put is a new event (a new id), so each starts an execution, which finds the asset
    // claimed and stops as a duplicate.
    let deadline = Instant::now() + TIMEOUT;
    let settled = loop {
        let settled = p.wait_executions_settled().await.unwrap();
        if settled.len() >= 6 || Instant::now() > deadline {
            break settled;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        settled.len(),
        6,
        "the five puts reached the pipeline: {settled:?}"
    );
    assert!(
        settled.iter().all(|(_, st)| st == "SUCCEEDED"),
        "{settled:?}"
    );
    let jobs = p.mediaconvert.list_jobs().send().await.unwrap();
    assert_eq!(jobs.jobs().len(), 1, "exactly one MediaConvert job");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let completed = p
        .events_for(s(&record["assetId"]), "asset.completed")
        .await
        .unwrap();
    assert_eq!(completed.len(), 1, "{completed:#?}");
    let statuses: HashMap<String, usize> =
        p.all_records()
            .await
            .unwrap()
            .iter()
            .fold(HashMap::new(), |mut m, r| {
                *m.entry(s(&r["status"]).to_owned()).or_default() += 1;
                m
            });
    assert_eq!(statuses, HashMap::from([("COMPLETE".to_owned(), 1)]));
    eprintln!("5 puts of one event: wall time {:?}", started.elapsed());
    p.shutdown().await;
}
