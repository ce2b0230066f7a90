//! MediaConvert's jobs: they wait in the queue (silently: no event leaves a queued job), run
//! with STATUS_UPDATE events, then write their outputs and say COMPLETE, or say ERROR. A
//! cancelled job stops where it is and says CANCELED.

use crate::eventbridge;
use crate::scenario::PIPELINE_NAME;
use crate::sim::Sim;
use crate::world::{Job, JobStatus, OutputObject};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use vod_core::job::{POSTER_PATH, THUMBNAILS_PATH, USER_METADATA_ASSET_ID, USER_METADATA_PIPELINE};

/// Seconds between STATUS_UPDATE events: about twenty per job, at least a minute apart and
/// never more than ten minutes (MediaConvert sends them about every minute; fewer keep long
/// runs cheap while staying far inside the Transcode state's heartbeat).
fn update_interval(run: Duration) -> Duration {
    (run / 20).clamp(Duration::from_secs(60), Duration::from_secs(600))
}

fn job(sim: &Sim, id: &str) -> Option<Job> {
    sim.world().jobs.iter().find(|j| j.id == id).cloned()
}

fn still(sim: &Sim, id: &str, status: JobStatus) -> bool {
    job(sim, id).is_some_and(|j| j.status == status)
}

/// The life of one job, from CreateJob to its last event.
pub async fn run_job(sim: Arc<Sim>, id: String) {
    let Some(planned) = job(&sim, &id) else {
        return;
    };
    let actor = id.clone();
    tokio::time::sleep(planned.queue_wait).await;
    if !still(&sim, &id, JobStatus::Submitted) {
        return;
    }
    let started = sim.elapsed();
    if let Some(j) = sim.world().job_mut(&id) {
        j.status = JobStatus::Progressing;
        j.started_at = Some(started);
    }
    sim.log(planned.upload, &actor, "leaves the queue: PROGRESSING");
    eventbridge::job_event(&sim, &planned, "PROGRESSING", json!({}));
    let interval = update_interval(planned.run_time);
    let mut done = Duration::ZERO;
    while done + interval < planned.run_time {
        tokio::time::sleep(interval).await;
        done += interval;
        if !still(&sim, &id, JobStatus::Progressing) {
            return;
        }
        let percent = (done.as_secs_f64() / planned.run_time.as_secs_f64() * 100.0) as u64;
        let progress =
            json!({"jobProgress": {"jobPercentComplete": percent, "currentPhase": "TRANSCODING"}});
        eventbridge::job_event(&sim, &planned, "STATUS_UPDATE", progress);
    }
    tokio::time::sleep(planned.run_time - done).await;
    if !still(&sim, &id, JobStatus::Progressing) {
        return;
    }
    let at = sim.elapsed();
    if planned.fails {
        if let Some(j) = sim.world().job_mut(&id) {
            j.status = JobStatus::Error;
            j.finished_at = Some(at);
        }
        sim.log(planned.upload, &actor, "ERROR 1010: unsupported input");
        let detail = json!({"errorCode": 1010, "errorMessage": "Unable to open input file: unsupported codec"});
        eventbridge::job_event(&sim, &planned, "ERROR", detail);
        return;
    }
    let files = outputs(&planned);
    {
        let mut world = sim.world();
        for file in files.iter().flatten() {
            world.outputs.insert(
                file.clone(),
                OutputObject {
                    writer: id.clone(),
                    at,
                },
            );
        }
        if let Some(j) = world.job_mut(&id) {
            j.status = JobStatus::Complete;
            j.finished_at = Some(at);
            j.wrote_at = Some(at);
        }
    }
    sim.log(
        planned.upload,
        &actor,
        format!(
            "wrote {} files under {}: COMPLETE",
            files.iter().flatten().count(),
            planned.destination
        ),
    );
    eventbridge::job_event(
        &sim,
        &planned,
        "COMPLETE",
        complete_detail(&planned, &files),
    );
}

/// CancelJob: a queued or running job stops and says CANCELED; a finished one is left alone.
pub fn cancel(sim: &Arc<Sim>, id: &str) -> bool {
    let at = sim.elapsed();
    let cancelled = {
        let mut world = sim.world();
        match world.job_mut(id) {
            Some(j) if !j.status.is_final() => {
                j.status = JobStatus::Canceled;
                j.finished_at = Some(at);
                Some(j.clone())
            }
            _ => None,
        }
    };
    let Some(job) = cancelled else {
        return false;
    };
    sim.log(job.upload, id, "cancelled: CANCELED");
    eventbridge::job_event(sim, &job, "CANCELED", json!({}));
    true
}

/// The files a complete job writes: [HLS and DASH manifests + segments, thumbnails, poster].
fn outputs(job: &Job) -> [Vec<String>; 3] {
    let d = &job.destination;
    let thumbs = (job.run_time.as_secs() / 10).clamp(1, 5);
    [
        vec![
            format!("{d}stream.m3u8"),
            format!("{d}stream.mpd"),
            format!("{d}stream_1080p.m3u8"),
            format!("{d}stream_720p.m3u8"),
            format!("{d}stream_audio.m3u8"),
        ],
        (0..thumbs)
            .map(|i| format!("{d}{THUMBNAILS_PATH}.{i:07}.jpg"))
            .collect(),
        vec![format!("{d}{POSTER_PATH}.0000000.jpg")],
    ]
}

fn complete_detail(job: &Job, files: &[Vec<String>; 3]) -> Value {
    let ms = job.run_time.as_millis() as u64;
    let [packages, thumbs, poster] = files;
    json!({
        "outputGroupDetails": [
            {
                "type": "CMAF_GROUP",
                "playlistFilePaths": [packages[1], packages[0]],
                "outputDetails": [
                    {"outputFilePaths": [packages[2]], "durationInMs": ms,
                     "videoDetails": {"widthInPx": 1920, "heightInPx": 1080, "averageBitrate": 5_000_000}},
                    {"outputFilePaths": [packages[3]], "durationInMs": ms,
                     "videoDetails": {"widthInPx": 1280, "heightInPx": 720, "averageBitrate": 2_500_000}},
                    {"outputFilePaths": [packages[4]], "durationInMs": ms}
                ]
            },
            {"type": "FILE_GROUP", "outputDetails": [
                {"outputFilePaths": [thumbs.last()], "durationInMs": ms,
                 "videoDetails": {"widthInPx": 320, "heightInPx": 180}}]},
            {"type": "FILE_GROUP", "outputDetails": [
                {"outputFilePaths": [poster[0]], "durationInMs": ms,
                 "videoDetails": {"widthInPx": 1280, "heightInPx": 720}}]}
        ]
    })
}

/// A "MediaConvert Job State Change" event as EventBridge delivers it.
pub fn event(sim: &Sim, id: u64, job: &Job, status: &str, extra: Value) -> Value {
    let now = sim.now();
    let mut detail = json!({
        "timestamp": now.timestamp_millis(),
        "accountId": "123456789012",
        "queue": "arn:aws:mediaconvert:us-east-1:123456789012:queues/Default",
        "jobId": job.id,
        "status": status,
        "userMetadata": {
            USER_METADATA_ASSET_ID: job.asset.as_str(),
            USER_METADATA_PIPELINE: PIPELINE_NAME,
        },
    });
    if let (Value::Object(d), Value::Object(e)) = (&mut detail, extra) {
        d.extend(e);
    }
    json!({
        "version": "0",
        "id": format!("00000000-0000-4000-8000-{id:012}"),
        "detail-type": "MediaConvert Job State Change",
        "source": "aws.mediaconvert",
        "account": "123456789012",
        "time": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": "us-east-1",
        "resources": [format!("arn:aws:mediaconvert:us-east-1:123456789012:jobs/{}", job.id)],
        "detail": detail,
    })
}
