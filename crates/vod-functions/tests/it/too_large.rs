//! A record or event too large for DynamoDB or SNS fails the asset with `Vod.TooLarge` and the
//! sizes, instead of a refused write or publish that leaves the task waiting.

use crate::long_sources::{complete_event, ingested, lasting, submitted};
use crate::*;
use serde_json::json;
use vod_core::event::EventType;
use vod_core::limits::{DYNAMODB_ITEM_MAX_BYTES, SNS_MESSAGE_MAX_BYTES, event_message_bytes};
use vod_core::record::{Playback, Rendition};
use vod_core::{AssetStatus, PipelineEvent, error_names};
use vod_functions::{completion_handler, notifier};
use vod_testkit::CallbackCall;

#[tokio::test]
async fn a_completion_whose_outputs_do_not_fit_a_record_fails_the_asset_with_the_sizes() {
    let (p, id) = ingested(lasting(Some(600.0))).await;
    let (job_id, _) = submitted(&p, &id).await;
    let mut event = complete_event(&id, &job_id, 600.0, 59);
    // A job that reports 600 outputs with long names: some 800 KB of file names.
    let long_name = "n".repeat(600);
    let cmaf = &mut event["detail"]["outputGroupDetails"][0]["outputDetails"];
    for i in 0..600 {
        cmaf.as_array_mut().unwrap().push(json!({
            "outputFilePaths": [format!("s3://{OUTPUT_BUCKET}/assets/{id}/{long_name}_{i}.mp4")],
            "durationInMs": 600_000,
        }));
    }
    let out = completion_handler::handle(&p.completion, event)
        .await
        .unwrap();
    assert_eq!(
        out.action,
        vod_functions::completion_handler::CompletionAction::Failed
    );
    let cause = match &p.callback.calls()[..] {
        [CallbackCall::Failure { error, cause, .. }] => {
            assert_eq!(error, error_names::TOO_LARGE);
            cause.clone()
        }
        other => panic!("expected one SendTaskFailure, got {other:?}"),
    };
    assert!(
        cause.contains(&job_id)
            && cause.contains("DynamoDB's item limit")
            && cause.contains(&format!("{DYNAMODB_ITEM_MAX_BYTES} bytes")),
        "{cause}"
    );
    assert_eq!(
        p.store.record(&id).unwrap().status,
        AssetStatus::Transcoding
    );

    // The state machine's Catch hands the failure to the notifier: FAILED with that reason.
    notifier::handle(
        &p.notify,
        json!({"eventType": "asset.failed", "assetId": id, "error": {"Error": error_names::TOO_LARGE, "Cause": cause}}),
    )
    .await
    .unwrap();
    let record = p.store.record(&id).unwrap();
    assert_eq!(record.status, AssetStatus::Failed);
    let error = record.error.unwrap();
    assert_eq!(
        (error.name.as_str(), error.message.as_str()),
        (error_names::TOO_LARGE, cause.as_str())
    );
    assert_eq!(
        p.notifier.published().pop().map(|e| e.event_type),
        Some(EventType::Failed)
    );
}

#[tokio::test]
async fn an_event_too_large_for_sns_is_refused_with_the_sizes_and_not_stamped() {
    let (p, id) = ingested(lasting(Some(600.0))).await;
    // A COMPLETE record (stored as it is) whose renditions make a 300 KB event.
    let mut record = p.store.record(&id).unwrap();
    for s in [
        AssetStatus::Probed,
        AssetStatus::Transcoding,
        AssetStatus::Complete,
    ] {
        if record.status != s {
            record.transition(s, record.updated_at, None).unwrap();
        }
    }
    record.playback = Some(Playback {
        hls_url: Some(format!("{CDN}/assets/{id}/stream.m3u8")),
        ..Playback::default()
    });
    record.renditions = (0..300)
        .map(|i| Rendition {
            kind: vod_core::record::RenditionKind::Video,
            width: None,
            height: None,
            max_bitrate_bps: None,
            duration_ms: None,
            files: vec![format!("s3://{OUTPUT_BUCKET}/{}{i}", "r".repeat(1000))],
        })
        .collect();
    let event = PipelineEvent::from_record(EventType::Completed, &record, record.updated_at);
    assert!(event_message_bytes(&event) > SNS_MESSAGE_MAX_BYTES);
    p.store.put(record);

    let err = notifier::handle(
        &p.notify,
        json!({"eventType": "asset.completed", "assetId": id}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, error_names::TOO_LARGE);
    assert!(
        err.message.contains("asset.completed event")
            && err
                .message
                .contains(&format!("{SNS_MESSAGE_MAX_BYTES} bytes")),
        "{}",
        err.message
    );
    assert!(p.notifier.published().is_empty());
    assert!(p.store.record(&id).unwrap().notifications.is_empty());
}
