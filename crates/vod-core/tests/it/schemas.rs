//! Real serialized records and events validate against the checked-in JSON Schemas.

use crate::check_generated;
use chrono::{TimeZone, Utc};
use vod_core::event::{EventType, PipelineEvent};
use vod_core::ladder::{LadderPolicy, plan_ladder};
use vod_core::probe::{AudioTrack, ProbeReport, RejectReason, Rejection, VideoTrack};
use vod_core::record::{
    AssetRecord, ErrorInfo, JobRef, Playback, Rendition, SourceObject, ThumbnailSeries,
};
use vod_core::s3_key::ObjectKey;
use vod_core::schemas::{event_schema, record_schema};
use vod_core::{AssetId, AssetStatus};

fn complete_record() -> AssetRecord {
    let t = |s| {
        Utc.timestamp_opt(1_790_000_000 + s, 0)
            .single()
            .unwrap_or_default()
    };
    let key = ObjectKey::from_event("uploads/caf%C3%A9+n%C2%BA1.mp4");
    let id = AssetId::derive("src", &key.decoded, "etag");
    let source = SourceObject {
        bucket: "src".into(),
        key,
        resolved_key: Some("uploads/café nº1.mp4".into()),
        version_id: None,
        etag: Some("\"etag\"".into()),
        size_bytes: Some(12_345_678),
    };
    let mut record = AssetRecord::claim(id, source, t(0));
    let report = ProbeReport {
        size_bytes: 12_345_678,
        duration_seconds: Some(20.0),
        bitrate_bps: Some(4_938_271),
        video: Some(VideoTrack {
            codec: "h264".into(),
            profile: Some("High".into()),
            width: 1920,
            height: 1080,
            frame_rate: Some(30.0),
            display_aspect: Some("16:9".into()),
            ..VideoTrack::default()
        }),
        audio: vec![AudioTrack {
            codec: "aac".into(),
            channels: 2,
            sample_rate: 48_000,
            language: Some("eng".into()),
            bitrate_bps: None,
        }],
        bytes_read: 70_000,
        ..ProbeReport::default()
    };
    record.ladder = plan_ladder(&report, &LadderPolicy::default()).ok();
    record.probe = Some(report);
    let steps = [
        AssetStatus::Probed,
        AssetStatus::Transcoding,
        AssetStatus::Complete,
    ];
    for (i, s) in steps.into_iter().enumerate() {
        assert!(record.transition(s, t(i as i64 + 1), None).is_ok());
    }
    record.job = Some(JobRef {
        job_id: "1790000000000-abc123".into(),
        submitted_at: t(2),
        task_token: "token".into(),
    });
    record.progress_percent = Some(100);
    record.renditions = vec![Rendition {
        kind: vod_core::record::RenditionKind::Video,
        width: Some(1920),
        height: Some(1080),
        max_bitrate_bps: Some(6_000_000),
        duration_ms: Some(20_000),
        files: vec!["s3://out/assets/x/stream_1080p.mp4".into()],
    }];
    record.playback = Some(Playback {
        hls_url: Some("https://cdn/assets/x/stream.m3u8".into()),
        dash_url: Some("https://cdn/assets/x/stream.mpd".into()),
        poster_url: Some("https://cdn/assets/x/stream_poster.0000000.jpg".into()),
        thumbnail_series: Some(ThumbnailSeries {
            url_template: "https://cdn/assets/x/thumbs/thumb.$Number%07d$.jpg".into(),
            count: 2,
            interval_seconds: 10,
            width: Some(320),
            height: Some(180),
        }),
        storyboard_url: Some("https://cdn/assets/x/storyboard.vtt".into()),
        mp4_url: None,
    });
    record
}

fn validate(schema: &serde_json::Value, value: &serde_json::Value) -> Vec<String> {
    match jsonschema::validator_for(schema) {
        Ok(v) => v
            .iter_errors(value)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect(),
        Err(e) => vec![format!("schema does not compile: {e}")],
    }
}

#[test]
fn checked_in_schemas_are_current() {
    check_generated("docs/schemas/asset-record.v1.json", &record_schema());
    check_generated("docs/schemas/pipeline-event.v1.json", &event_schema());
}

#[test]
fn records_in_every_state_validate() {
    let schema = record_schema();
    let complete = complete_record();
    let mut rejected = AssetRecord::claim(
        complete.asset_id.clone(),
        complete.source.clone(),
        complete.created_at,
    );
    rejected.rejection = Some(
        Rejection::new(
            RejectReason::NotMedia,
            "This is a PDF document, not a video.",
        )
        .detected("PDF document"),
    );
    assert!(
        rejected
            .transition(AssetStatus::Rejected, complete.created_at, None)
            .is_ok()
    );
    let mut failed = rejected.clone();
    failed.status = AssetStatus::Failed;
    failed.error = Some(ErrorInfo {
        name: "MediaConvert.JobFailed".into(),
        message: "1010: input file is corrupt".into(),
    });
    for record in [complete, rejected, failed] {
        let value = serde_json::to_value(&record).unwrap_or_default();
        assert_eq!(validate(&schema, &value), Vec::<String>::new());
        let back: AssetRecord = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, record);
    }
}

#[test]
fn events_of_every_type_validate() {
    let schema = event_schema();
    let record = complete_record();
    for t in EventType::ALL {
        let event = PipelineEvent::from_record(t, &record, record.updated_at);
        let value = serde_json::to_value(&event).unwrap_or_default();
        assert_eq!(value["eventType"], t.as_str());
        assert_eq!(validate(&schema, &value), Vec::<String>::new());
    }
}

#[test]
fn the_schema_catches_a_broken_event() {
    let record = complete_record();
    let mut value = serde_json::to_value(PipelineEvent::from_record(
        EventType::Completed,
        &record,
        record.updated_at,
    ))
    .unwrap_or_default();
    value["eventType"] = "asset.exploded".into();
    assert!(!validate(&event_schema(), &value).is_empty());
    value["eventType"] = "asset.completed".into();
    value["status"] = "DONE".into();
    assert!(!validate(&event_schema(), &value).is_empty());
}

/// Records and events written before `thumbnailSeries` carried `thumbnails`, one URL each:
/// they still read (the list is dropped, the storyboard stays) and still validate, so the
/// change needs no new schema version.
#[test]
fn a_record_with_the_old_thumbnail_list_still_reads_and_validates() {
    let record = complete_record();
    let mut value = serde_json::to_value(&record).unwrap_or_default();
    let playback = &mut value["playback"];
    if let Some(playback) = playback.as_object_mut() {
        playback.remove("thumbnailSeries");
        playback.insert(
            "thumbnails".into(),
            serde_json::json!([
                "https://cdn/assets/x/thumbs/thumb.0000000.jpg",
                "https://cdn/assets/x/thumbs/thumb.0000001.jpg"
            ]),
        );
    }
    assert_eq!(validate(&record_schema(), &value), Vec::<String>::new());
    let old: AssetRecord = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}"));
    let playback = old.playback.unwrap_or_default();
    assert_eq!(playback.thumbnail_series, None);
    assert_eq!(
        playback.storyboard_url.as_deref(),
        Some("https://cdn/assets/x/storyboard.vtt")
    );
    let mut event = serde_json::to_value(PipelineEvent::from_record(
        EventType::Completed,
        &record,
        record.updated_at,
    ))
    .unwrap_or_default();
    event["playback"] = value["playback"].clone();
    assert_eq!(validate(&event_schema(), &event), Vec::<String>::new());
}

#[test]
fn a_thumbnail_series_names_each_image_and_none_past_the_end() {
    let series = complete_record()
        .playback
        .and_then(|p| p.thumbnail_series)
        .unwrap_or_else(|| panic!("no series"));
    assert_eq!(
        series.url(0).as_deref(),
        Some("https://cdn/assets/x/thumbs/thumb.0000000.jpg")
    );
    assert_eq!(
        series.url(1).as_deref(),
        Some("https://cdn/assets/x/thumbs/thumb.0000001.jpg")
    );
    assert_eq!(series.url(2), None);
    let no_identifier = ThumbnailSeries {
        url_template: "https://cdn/x.jpg".into(),
        ..series
    };
    assert_eq!(no_identifier.url(0), None);
}
