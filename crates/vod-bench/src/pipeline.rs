//! `vod-bench pipeline UPLOADS WORK_DIR`: the pipeline's own overhead on the local twin, in
//! seconds: upload → job submitted, and the job's COMPLETE → the SNS event, with the steps
//! between.
//!
//! Starts the twin in this process through `vod-local`'s library API
//! ([`vod_local::VodLocal::start`]: moto started by it, every port free-chosen, its own state
//! directory under WORK_DIR), uploads UPLOADS copies of a small clip one after another with the
//! AWS SDK, waiting for each execution to finish (so no upload queues behind another's
//! transcode), then reads for each upload:
//! - the execution's history, from the twin's Step Functions engine;
//! - the asset record (DynamoDB on moto);
//! - the MediaConvert job (`GetJob` on the twin: `timing.finishTime` is COMPLETE, whole
//!   seconds as MediaConvert reports it).
//!
//! One machine, one clock. The figures (medians over the uploads, with min–max):
//! - upload → job submitted = the Transcode state's `TaskSubmitted` (job-submit returned after
//!   CreateJob) − the moment PutObject returned to the uploader;
//! - COMPLETE → SNS event = NotifyCompleted's `TaskSucceeded` (the notifier returned after SNS
//!   Publish) − the job's finishTime.
//!
//! Prints JSON (the `pipeline_overhead` of `bench/results.json`); asserts nothing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use vod_aws::AwsClients;
use vod_aws::dynamodb::DynamoAssetStore;
use vod_core::AssetId;
use vod_core::event::EventType;
use vod_core::ports::AssetStore;
use vod_core::record::AssetRecord;
use vod_local::{LocalConfig, TwinFile, VodLocal};
use vod_states::{Engine, ExecutionDescription, ExecutionStatus, HistoryEvent};

use crate::spread::Spread;

/// How long one upload may take to finish before it is reported as an error row.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);
const CLIP_SECONDS: u32 = 10;

/// The figures of one upload, in seconds; `None` where an event they need is missing.
#[derive(Debug, Default, Serialize)]
struct Figures {
    upload_to_execution_started_s: Option<f64>,
    execution_started_to_job_submitted_s: Option<f64>,
    upload_to_job_submitted_s: Option<f64>,
    record_job_submitted_at_minus_upload_s: Option<f64>,
    complete_to_task_success_s: Option<f64>,
    task_success_to_sns_event_s: Option<f64>,
    complete_to_sns_event_s: Option<f64>,
    transcode_s: Option<f64>,
}

impl Figures {
    /// Each figure with its name, in report order.
    fn named(&self) -> [(&'static str, Option<f64>); 8] {
        [
            (
                "upload_to_execution_started_s",
                self.upload_to_execution_started_s,
            ),
            (
                "execution_started_to_job_submitted_s",
                self.execution_started_to_job_submitted_s,
            ),
            ("upload_to_job_submitted_s", self.upload_to_job_submitted_s),
            (
                "record_job_submitted_at_minus_upload_s",
                self.record_job_submitted_at_minus_upload_s,
            ),
            (
                "complete_to_task_success_s",
                self.complete_to_task_success_s,
            ),
            (
                "task_success_to_sns_event_s",
                self.task_success_to_sns_event_s,
            ),
            ("complete_to_sns_event_s", self.complete_to_sns_event_s),
            ("transcode_s", self.transcode_s),
        ]
    }
}

/// One upload's row of the report: its figures, or why there are none.
#[derive(Debug, Serialize)]
struct Row {
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(flatten)]
    measured: Option<Measured>,
}

/// What one finished upload's execution, record and job say.
#[derive(Debug, Serialize)]
struct Measured {
    execution_status: &'static str,
    asset_status: Option<String>,
    job_id: Option<String>,
    #[serde(flatten)]
    figures: Figures,
    history_events: usize,
    /// The last failure events of an execution that did not succeed.
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<Vec<String>>,
    /// COMPLETE → the record's `asset.completed` notification stamp.
    #[serde(skip_serializing_if = "Option::is_none")]
    complete_to_record_stamp_s: Option<f64>,
}

/// Runs the benchmark and returns its JSON.
pub async fn run(uploads: usize, work_dir: &Path) -> anyhow::Result<Value> {
    let clip = small_clip(work_dir)?;
    let body = std::fs::read(&clip).with_context(|| clip.display().to_string())?;
    let state_dir = work_dir.join("pipeline-state");
    if state_dir.exists() {
        std::fs::remove_dir_all(&state_dir)
            .with_context(|| format!("removing {}", state_dir.display()))?;
    }
    let config = LocalConfig {
        twin: TwinFile::embedded().with_free_ports(),
        state_dir,
        ..LocalConfig::default()
    };
    eprintln!("  starting vod-local in-process (moto, free ports)");
    let started = Instant::now();
    let local = VodLocal::start(config).await?;
    let startup_s = started.elapsed().as_secs_f64();
    let rows = upload_each(&local, &body, uploads).await;
    local.shutdown().await;
    let rows = rows?;

    let mut summary = serde_json::Map::new();
    summary.insert("available".into(), true.into());
    summary.insert("uploads".into(), uploads.into());
    summary.insert(
        "clip".into(),
        format!(
            "{} ({} bytes, {CLIP_SECONDS} s 640x360 + tone)",
            clip.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            body.len()
        )
        .into(),
    );
    summary.insert("vod_local_startup_s".into(), startup_s.into());
    summary.insert(
        "command".into(),
        format!("target/release/vod-bench pipeline {uploads} WORK_DIR").into(),
    );
    for (index, (name, _)) in Figures::default().named().into_iter().enumerate() {
        let values = rows
            .iter()
            .filter_map(|row| row.measured.as_ref()?.figures.named()[index].1)
            .collect();
        summary.insert(name.into(), serde_json::to_value(Spread::of(values))?);
    }
    summary.insert("rows".into(), serde_json::to_value(&rows)?);
    Ok(Value::Object(summary))
}

/// Uploads the clip `uploads` times, one after another, each measured once its execution ends.
async fn upload_each(local: &VodLocal, body: &[u8], uploads: usize) -> anyhow::Result<Vec<Row>> {
    let endpoints = local.endpoints();
    let clients = AwsClients::from_sdk_config(local.sdk_config())
        .with_mediaconvert_endpoint(&endpoints.mediaconvert);
    let twin = &endpoints.twin;
    let store = DynamoAssetStore::new(clients.dynamodb(), &twin.asset_table);
    let engine = local.step_functions().engine();
    let mut rows = Vec::new();
    for i in 0..uploads {
        let key = format!("bench/overhead-{i:02}.mp4");
        let put = clients
            .s3()
            .put_object()
            .bucket(&twin.source_bucket)
            .key(&key)
            .content_type("video/mp4")
            .body(body.to_vec().into())
            .send()
            .await
            .with_context(|| format!("uploading {key}"))?;
        let uploaded = Utc::now();
        let Some(execution) = finished_execution(engine, &key).await else {
            rows.push(Row {
                key,
                error: Some(format!(
                    "no finished execution within {} s",
                    UPLOAD_TIMEOUT.as_secs()
                )),
                measured: None,
            });
            continue;
        };
        let revision = vod_core::asset_id::object_revision(put.version_id(), put.e_tag())
            .with_context(|| format!("PutObject of {key} returned no ETag"))?;
        let asset_id = AssetId::derive(&twin.source_bucket, &key, revision);
        let record = store.get(&asset_id).await?;
        let finished = match record.as_ref().and_then(|r| r.job.as_ref()) {
            Some(job) => job_finish_time(&clients, &job.job_id).await?,
            None => None,
        };
        let history = engine.history(&execution.execution_arn)?;
        let measured = measure(&execution, &history, record.as_ref(), uploaded, finished);
        let row = Row {
            key,
            error: None,
            measured: Some(measured),
        };
        eprintln!("  {}", serde_json::to_string(&row)?);
        rows.push(row);
    }
    Ok(rows)
}

/// The execution started for `key`, once it has finished; `None` after [`UPLOAD_TIMEOUT`].
async fn finished_execution(engine: &Engine, key: &str) -> Option<ExecutionDescription> {
    let deadline = tokio::time::Instant::now() + UPLOAD_TIMEOUT;
    loop {
        let started = engine
            .list_executions()
            .into_iter()
            .rev()
            .find(|e| e.input.to_string().contains(key));
        if let Some(execution) = started {
            let finished = tokio::time::timeout_at(deadline, engine.wait(&execution.execution_arn));
            return finished.await.ok()?.ok();
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The job's `timing.finishTime` (COMPLETE) from GetJob on the twin.
async fn job_finish_time(clients: &AwsClients, job_id: &str) -> anyhow::Result<Option<f64>> {
    let got = clients
        .mediaconvert()
        .get_job()
        .id(job_id)
        .send()
        .await
        .with_context(|| format!("GetJob {job_id}"))?;
    Ok(got
        .job()
        .and_then(|job| job.timing())
        .and_then(|timing| timing.finish_time())
        .map(|t| t.secs() as f64 + f64::from(t.subsec_nanos()) / 1e9))
}

fn seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_micros() as f64 / 1e6
}

/// The time of the first `event_type` event inside state `state`.
fn first_in_state(history: &[HistoryEvent], event_type: &str, state: &str) -> Option<f64> {
    let mut current: Option<&str> = None;
    for event in history {
        if event.event_type.ends_with("StateEntered") {
            current = event
                .details
                .get("stateEnteredEventDetails")
                .and_then(|d| d["name"].as_str());
        }
        if event.event_type == event_type && current == Some(state) {
            return Some(seconds(event.timestamp));
        }
    }
    None
}

/// One upload's figures from its execution history, record and job.
fn measure(
    execution: &ExecutionDescription,
    history: &[HistoryEvent],
    record: Option<&AssetRecord>,
    uploaded: DateTime<Utc>,
    finished: Option<f64>,
) -> Measured {
    let upload = seconds(uploaded);
    let started = seconds(execution.start_date);
    let submitted = first_in_state(history, "TaskSubmitted", "Transcode");
    let transcoded = first_in_state(history, "TaskSucceeded", "Transcode");
    let notified = first_in_state(history, "TaskSucceeded", "NotifyCompleted");
    let between = |from: Option<f64>, to: Option<f64>| Some(to? - from?);
    let figures = Figures {
        upload_to_execution_started_s: Some(started - upload),
        execution_started_to_job_submitted_s: between(Some(started), submitted),
        upload_to_job_submitted_s: between(Some(upload), submitted),
        record_job_submitted_at_minus_upload_s: record
            .and_then(|r| r.job.as_ref())
            .map(|job| seconds(job.submitted_at) - upload),
        complete_to_task_success_s: between(finished, transcoded),
        task_success_to_sns_event_s: between(transcoded, notified),
        complete_to_sns_event_s: between(finished, notified),
        transcode_s: between(submitted, finished),
    };
    let failure = (execution.status != ExecutionStatus::Succeeded).then(|| {
        let failures: Vec<String> = history
            .iter()
            .filter(|e| e.event_type.contains("Failed") || e.event_type == "ExecutionSucceeded")
            .map(|e| {
                let text = serde_json::to_string(e).unwrap_or_default();
                text.chars().take(600).collect()
            })
            .collect();
        failures[failures.len().saturating_sub(3)..].to_vec()
    });
    let completed_stamp = record.and_then(|r| {
        r.notifications
            .iter()
            .find(|n| n.event_type == EventType::Completed)
    });
    Measured {
        execution_status: execution.status.as_str(),
        asset_status: record.map(|r| r.status.as_str().to_owned()),
        job_id: record
            .and_then(|r| r.job.as_ref())
            .map(|j| j.job_id.clone()),
        figures,
        history_events: history.len(),
        failure,
        complete_to_record_stamp_s: between(finished, completed_stamp.map(|n| seconds(n.at))),
    }
}

/// A 10 s 640×360 clip with a tone, made once with the project's ffmpeg.
fn small_clip(work_dir: &Path) -> anyhow::Result<PathBuf> {
    let clip = work_dir.join("pipeline-clip-10s.mp4");
    if clip.exists() {
        return Ok(clip);
    }
    std::fs::create_dir_all(work_dir).with_context(|| work_dir.display().to_string())?;
    let ffmpeg = vod_toolchain::ffmpeg()?;
    let status = std::process::Command::new(&ffmpeg)
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!(
            "testsrc2=size=640x360:rate=30:duration={CLIP_SECONDS}"
        ))
        .args(["-f", "lavfi", "-i"])
        .arg(format!(
            "sine=frequency=440:sample_rate=48000:duration={CLIP_SECONDS}"
        ))
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
        ])
        .arg(&clip)
        .status()
        .with_context(|| format!("running {}", ffmpeg.display()))?;
    if !status.success() {
        bail!(
            "{} could not make {}: {status}",
            ffmpeg.display(),
            clip.display()
        );
    }
    Ok(clip)
}
