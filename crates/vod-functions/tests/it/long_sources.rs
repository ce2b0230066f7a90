//! Probe reports of 12 h and of 10^12 s (and durations that are no length at all) through
//! ingest, the ladder, the CreateJob body, completion, the record and the event: nothing
//! overflows, nothing grows with what a header claims.

use crate::*;
use async_trait::async_trait;
use serde_json::{Value, json};
use vod_aws::mediaconvert::{GROUP_THUMBNAILS, JobOptions, plan_request_body};
use vod_core::event::EventType;
use vod_core::limits;
use vod_core::ports::{MediaProbe, ObjectRange, PortResult};
use vod_core::probe::{AudioTrack, ProbeOutcome, ProbeReport, VideoTrack};
use vod_core::record::{AssetRecord, JobRef};
use vod_core::{AssetId, AssetStatus, error_names};
use vod_functions::{completion_handler, ingest_probe, job_submit, notifier};
use vod_testkit::CallbackCall;

pub const TWELVE_HOURS: f64 = 12.0 * 3600.0;

/// A probe that reports `report` whatever the bytes: the duration under test, as a probe
/// without the bound (or a record stored before it) would hand it on.
struct Reporting(ProbeReport);

#[async_trait]
impl MediaProbe for Reporting {
    async fn probe(&self, _object: ObjectRange<'_>) -> PortResult<ProbeOutcome> {
        Ok(ProbeOutcome::Accepted {
            report: self.0.clone(),
        })
    }
}

pub fn lasting(duration_seconds: Option<f64>) -> ProbeReport {
    ProbeReport {
        size_bytes: 25_000_000_000,
        duration_seconds,
        video: Some(VideoTrack {
            codec: "h264".into(),
            width: 1920,
            height: 1080,
            frame_rate: Some(25.0),
            ..VideoTrack::default()
        }),
        audio: vec![AudioTrack {
            codec: "aac".into(),
            channels: 2,
            sample_rate: 48_000,
            ..AudioTrack::default()
        }],
        ..ProbeReport::default()
    }
}

/// A pipeline whose probe reports `report`, and the asset it ingested (PROBED).
pub async fn ingested(report: ProbeReport) -> (Pipeline, AssetId) {
    let mut p = Pipeline::new();
    p.probe.probe = Arc::new(Reporting(report));
    p.reader
        .insert_with_etag(SOURCE_BUCKET, "long.mp4", "\"e-long\"", vec![0; 4096]);
    let out = ingest_probe::handle(
        &p.probe,
        probe_input(s3_event("long.mp4", "\"e-long\""), "exec-long"),
    )
    .await
    .unwrap();
    assert_eq!(out.decision, vod_core::lifecycle::IngestDecision::Probed);
    assert!(out.timeout_seconds <= vod_core::job::CallbackTimeouts::MAX_TIMEOUT_SECONDS);
    (p, AssetId::parse(&out.asset_id).unwrap())
}

/// MediaConvert's COMPLETE for a job of `seconds` whose last frame capture is number `last`.
pub fn complete_event(id: &AssetId, job_id: &str, seconds: f64, last: u32) -> Value {
    let mut event = job_event("mediaconvert-complete.json", id.as_str(), job_id);
    let ms = (seconds * 1000.0) as u64;
    for group in event["detail"]["outputGroupDetails"]
        .as_array_mut()
        .unwrap()
    {
        for output in group["outputDetails"].as_array_mut().unwrap() {
            output["durationInMs"] = json!(ms);
            if let Some(paths) = output
                .get_mut("outputFilePaths")
                .and_then(Value::as_array_mut)
            {
                for path in paths {
                    let text = path.as_str().unwrap().to_owned();
                    if text.contains("/thumbs/") {
                        *path = json!(format!(
                            "s3://{OUTPUT_BUCKET}/assets/{id}/thumbs/thumb.{last:07}.jpg"
                        ));
                    }
                }
            }
        }
    }
    event
}

/// Submits the job of a PROBED asset and checks the CreateJob body the SDK would send for it.
pub async fn submitted(p: &Pipeline, id: &AssetId) -> (String, Value) {
    let out = job_submit::handle(&p.submit, json!({"assetId": id, "taskToken": "token-long"}))
        .await
        .unwrap();
    let spec = p.transcoder.submitted().pop().unwrap();
    let options = JobOptions::new("arn:aws:iam::111122223333:role/vod-mediaconvert");
    let body = plan_request_body(&spec, &options).await.unwrap();
    vod_testkit::tools::assert_valid_create_job(&body, &format!("long source {id}"));
    (out.job_id, body)
}

fn max_captures(body: &Value) -> Value {
    body["settings"]["outputGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == GROUP_THUMBNAILS)
        .map(|g| {
            g["outputs"][0]["videoDescription"]["codecSettings"]["frameCaptureSettings"]
                ["maxCaptures"]
                .clone()
        })
        .unwrap_or_default()
}

fn storyboard(p: &Pipeline, id: &AssetId) -> String {
    let (_, vtt) = p
        .writer
        .file(OUTPUT_BUCKET, &format!("assets/{id}/storyboard.vtt"))
        .unwrap();
    String::from_utf8(vtt).unwrap()
}

/// Publishes `asset.completed` and returns the event.
pub async fn completed_event(p: &Pipeline, id: &AssetId) -> vod_core::PipelineEvent {
    notifier::handle(
        &p.notify,
        json!({"eventType": "asset.completed", "assetId": id}),
    )
    .await
    .unwrap();
    let event = p.notifier.published().pop().unwrap();
    assert_eq!(event.event_type, EventType::Completed);
    event
}

#[tokio::test]
async fn a_twelve_hour_source_completes_with_a_record_under_100_kb_and_an_event_under_64_kb() {
    let (p, id) = ingested(lasting(Some(TWELVE_HOURS))).await;
    let (job_id, body) = submitted(&p, &id).await;
    assert_eq!(max_captures(&body), 4321);
    completion_handler::handle(
        &p.completion,
        complete_event(&id, &job_id, TWELVE_HOURS, 4320),
    )
    .await
    .unwrap();
    let record = p.store.record(&id).unwrap();
    assert_eq!(record.status, AssetStatus::Complete);
    let series = record
        .playback
        .as_ref()
        .and_then(|p| p.thumbnail_series.clone());
    assert_eq!(series.map(|s| s.count), Some(4321));
    let vtt = storyboard(&p, &id);
    assert_eq!(vtt.matches(" --> ").count(), 4321);
    assert!(
        vtt.contains("\n11:59:50.000 --> 12:00:00.000\n"),
        "{}",
        &vtt[vtt.len() - 200..]
    );
    let event = completed_event(&p, &id).await;
    assert_eq!(event.duration_seconds, Some(TWELVE_HOURS));

    // The acceptance figures: the record as stored (stamped by the notifier) and the event as
    // published, serialized.
    let record = p.store.record(&id).unwrap();
    let record_json = serde_json::to_string(&record).unwrap().len();
    let record_item = limits::record_item_bytes(&record, &[]);
    let event_json = serde_json::to_string(&event).unwrap().len();
    let event_message = limits::event_message_bytes(&event);
    println!(
        "12 h source: record {record_json} bytes as JSON ({record_item} as a DynamoDB item), \
         event {event_json} bytes as JSON ({event_message} as an SNS message)"
    );
    assert!(record_json < 100 * 1024, "record {record_json} bytes");
    assert!(record_item < 100 * 1024, "record item {record_item} bytes");
    assert!(event_json < 64 * 1024, "event {event_json} bytes");
    assert!(
        event_message < 64 * 1024,
        "event message {event_message} bytes"
    );
}

#[tokio::test]
async fn a_source_of_ten_to_the_twelve_seconds_fails_with_both_numbers_in_the_reason() {
    let (p, id) = ingested(lasting(Some(1e12))).await;
    let err = job_submit::handle(&p.submit, json!({"assetId": id, "taskToken": "t"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type, error_names::INVALID_INPUT);
    assert!(
        err.message.contains("1000000000000 s") && err.message.contains("172800 s"),
        "{}",
        err.message
    );
    assert!(p.transcoder.submitted().is_empty());
    // What the state machine's Catch hands the notifier.
    let cause = json!({"errorType": err.error_type, "errorMessage": err.message});
    notifier::handle(
        &p.notify,
        json!({"eventType": "asset.failed", "assetId": id, "error": {"Error": err.error_type, "Cause": cause.to_string()}}),
    )
    .await
    .unwrap();
    let record = p.store.record(&id).unwrap();
    assert_eq!(record.status, AssetStatus::Failed);
    assert_eq!(
        record.error.as_ref().map(|e| &e.message),
        Some(&err.message)
    );
    let event = p.notifier.published().pop().unwrap();
    assert_eq!(event.event_type, EventType::Failed);
    assert_eq!(event.duration_seconds, Some(1e12));
}

/// A record that claims 10^12 s (stored before the bound) meets MediaConvert's largest
/// possible capture number (10 million): the storyboard stays at what 48 h can hold.
#[tokio::test]
async fn a_completion_for_a_record_claiming_ten_to_the_twelve_seconds_stays_bounded() {
    let (p, id) = ingested(lasting(Some(1e12))).await;
    let mut record: AssetRecord = p.store.record(&id).unwrap();
    record
        .transition(AssetStatus::Transcoding, record.updated_at, None)
        .unwrap();
    record.job = Some(JobRef {
        job_id: "job-old".into(),
        submitted_at: record.updated_at,
        task_token: "token-old".into(),
    });
    p.store.put(record);
    completion_handler::handle(
        &p.completion,
        complete_event(&id, "job-old", 1e12, 9_999_999),
    )
    .await
    .unwrap();
    let record = p.store.record(&id).unwrap();
    assert_eq!(record.status, AssetStatus::Complete);
    let vtt = storyboard(&p, &id);
    assert_eq!(vtt.matches(" --> ").count(), 17_281);
    assert!(
        vtt.contains("\n48:00:00.000 --> 48:00:10.000\n"),
        "{}",
        &vtt[vtt.len() - 200..]
    );
    assert!(matches!(
        &p.callback.calls()[..],
        [CallbackCall::Success { .. }]
    ));
    completed_event(&p, &id).await;
}

#[tokio::test]
async fn durations_that_are_no_length_go_through_as_unknown() {
    for bogus in [
        None,
        Some(f64::NAN),
        Some(f64::INFINITY),
        Some(-5.0),
        Some(0.0),
    ] {
        let (p, id) = ingested(lasting(bogus)).await;
        let (job_id, body) = submitted(&p, &id).await;
        assert_eq!(max_captures(&body), 1, "{bogus:?}");
        completion_handler::handle(&p.completion, complete_event(&id, &job_id, 20.0, 0))
            .await
            .unwrap();
        assert_eq!(p.store.record(&id).unwrap().status, AssetStatus::Complete);
        assert_eq!(storyboard(&p, &id).matches(" --> ").count(), 1);
        completed_event(&p, &id).await;
    }
}
