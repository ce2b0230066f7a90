//! Issue #17's fixes at the handler level, each found by a vod-sim seed first (see
//! docs/reliability.md): one key identity, idempotent submission, CancelJob on failure.

use crate::*;
use serde_json::json;
use vod_core::s3_key::ObjectKey;
use vod_core::{AssetId, AssetStatus};
use vod_functions::{ingest_probe, notifier};

/// An emulator that passes keys raw: the object is stored under `a+b.mp4` and the event says
/// `a+b.mp4`, which decodes to `a b.mp4`.
const STORED_RAW: &str = "uploads/take+2 (final).mp4";
const ETAG: &str = "\"0f343b0931126a20f133d67c2b018a3b\"";

#[tokio::test]
async fn ingest_probe_and_the_notifier_derive_one_id_from_the_event() {
    // Issue #17 problem 2 (vod-sim seed 30): ingest-probe derived the id from the key the
    // object was found under, the notifier from the decoded key; a failure after the claim
    // landed on a phantom record and the real one stayed non-final.
    let p = Pipeline::new();
    p.reader
        .insert_with_etag(SOURCE_BUCKET, STORED_RAW, ETAG, small_mp4());
    let event = s3_event(STORED_RAW, ETAG);
    let out = ingest_probe::handle(&p.probe, probe_input(event.clone(), "exec-1"))
        .await
        .unwrap();
    assert_eq!(out.decision, "probed");
    let expected = AssetId::of_event(SOURCE_BUCKET, &ObjectKey::from_event(STORED_RAW), ETAG);
    assert_eq!(out.asset_id, expected.as_str());
    let record = p.store.record(&expected).unwrap();
    assert_eq!(record.source.resolved_key.as_deref(), Some(STORED_RAW));

    // A later step of the same execution fails before the state machine knew the id.
    let caught = json!({"Error": "Lambda.Unknown", "Cause": "the response was lost"});
    notifier::handle(
        &p.notify,
        json!({"eventType": "asset.failed", "source": event["detail"], "error": caught, "executionId": "exec-1"}),
    )
    .await
    .unwrap();
    let records = p.store.all();
    assert_eq!(records.len(), 1, "no phantom record: {records:?}");
    assert_eq!(records[0].asset_id, expected);
    assert_eq!(records[0].status, AssetStatus::Failed);
}
