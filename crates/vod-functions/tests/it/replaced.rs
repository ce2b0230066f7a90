//! An upload overwritten while ingest-probe works on it: the asset the event names ends
//! REJECTED with a reason, no byte of the other upload is judged under its id, and the
//! overwrite's own event makes the new upload an asset of its own.

use crate::*;
use vod_core::ports::MediaReader;
use vod_core::probe::RejectReason;
use vod_core::{AssetId, AssetStatus};
use vod_functions::ingest_probe;

const KEY: &str = "uploads/talk.mp4";
const FIRST_ETAG: &str = "\"5d41402abc4b2a76b9719d911017c592\"";
const NOTES: &[u8] = b"Meeting notes\nnothing to see here\n";

/// Asserts the asset `out` names ended REJECTED as replaced, with its size from the event.
fn assert_rejected_as_replaced(p: &Pipeline, out: &ingest_probe::IngestProbeOutput) {
    assert_eq!(out.decision, vod_core::lifecycle::IngestDecision::Rejected);
    let id = AssetId::parse(&out.asset_id).unwrap();
    assert_eq!(id, AssetId::derive(SOURCE_BUCKET, KEY, FIRST_ETAG));
    let record = p.store.record(&id).unwrap();
    assert_eq!(record.status, AssetStatus::Rejected);
    let rejection = record.rejection.unwrap();
    assert_eq!(rejection.reason, RejectReason::SourceReplaced);
    assert!(
        rejection.message.contains("replaced") && rejection.message.contains("its own asset"),
        "{}",
        rejection.message
    );
    assert!(record.probe.is_none());
    // The size the event reported, not the replacement's.
    assert_eq!(record.source.size_bytes, Some(5));
    assert!(p.transcoder.submitted().is_empty());
}

/// The replacement's event: the new upload, with its own ETag.
async fn new_upload_event(p: &Pipeline) -> serde_json::Value {
    let meta = p.reader.stat(SOURCE_BUCKET, KEY).await.unwrap().unwrap();
    s3_event(KEY, &meta.etag.unwrap())
}

#[tokio::test]
async fn an_upload_overwritten_between_the_stat_and_the_reads_is_rejected_as_replaced() {
    let p = Pipeline::new();
    // A text file under a video's name; a real video replaces it right after the stat. Read
    // unpinned, the probe would accept the video under the text file's asset id.
    p.reader
        .insert_with_etag(SOURCE_BUCKET, KEY, FIRST_ETAG, NOTES.to_vec());
    p.reader
        .overwrite_after_next_stat(SOURCE_BUCKET, KEY, small_mp4());
    let mut event = s3_event(KEY, FIRST_ETAG);
    event["detail"]["object"]["size"] = 5.into();
    let out = ingest_probe::handle(&p.probe, probe_input(event, "exec-1"))
        .await
        .unwrap();
    assert_rejected_as_replaced(&p, &out);
    assert_eq!(
        p.reader.log.bytes_read(),
        0,
        "no byte of the replacement may be read for the replaced asset"
    );

    // The replacement's own event: a new asset, probed on its own bytes.
    let again = ingest_probe::handle(&p.probe, probe_input(new_upload_event(&p).await, "exec-2"))
        .await
        .unwrap();
    assert_eq!(again.decision, vod_core::lifecycle::IngestDecision::Probed);
    assert_ne!(again.asset_id, out.asset_id);
    let record = p
        .store
        .record(&AssetId::parse(&again.asset_id).unwrap())
        .unwrap();
    assert_eq!(record.status, AssetStatus::Probed);
}

#[tokio::test]
async fn an_upload_overwritten_before_the_stat_is_rejected_as_replaced_unread() {
    let p = Pipeline::new();
    // By the time the first upload's event is handled, the key already holds another upload.
    p.reader.insert(SOURCE_BUCKET, KEY, small_mp4());
    let mut event = s3_event(KEY, FIRST_ETAG);
    event["detail"]["object"]["size"] = 5.into();
    let out = ingest_probe::handle(&p.probe, probe_input(event, "exec-1"))
        .await
        .unwrap();
    assert_rejected_as_replaced(&p, &out);
    assert_eq!(p.reader.log.bytes_read(), 0);

    // A retry of the same execution finds the asset final and says so again.
    let mut event = s3_event(KEY, FIRST_ETAG);
    event["detail"]["object"]["size"] = 5.into();
    let retry = ingest_probe::handle(&p.probe, probe_input(event, "exec-1"))
        .await
        .unwrap();
    assert_eq!(
        retry.decision,
        vod_core::lifecycle::IngestDecision::Rejected
    );
}
