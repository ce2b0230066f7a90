//! DynamoDB's item and SNS's message size limits are checked before the request: a record or
//! event just over answers `TooLarge` with the sizes (nothing sent, nothing stored), one just
//! under goes through moto and reads back whole.

use crate::{record, sdk_config};
use chrono::Utc;
use vod_aws::AwsClients;
use vod_aws::dynamodb::DynamoAssetStore;
use vod_aws::sns::SnsNotifier;
use vod_core::AssetStatus;
use vod_core::event::{EventType, PipelineEvent};
use vod_core::limits::{
    DYNAMODB_ITEM_MAX_BYTES, SNS_MESSAGE_MAX_BYTES, event_message_bytes, record_item_bytes,
};
use vod_core::ports::{AssetStore, Claim, Notifier, PortErrorKind};
use vod_core::record::{AssetRecord, ErrorInfo};
use vod_testkit::MotoServer;

/// `record` with output URIs added until its item (with the adapter's `sourceKey`) is
/// `target` bytes or one more.
fn record_of(target: usize) -> AssetRecord {
    let mut r = record("uploads/big.mp4");
    let extra = [("sourceKey", "src/uploads/big.mp4")];
    while record_item_bytes(&r, &extra) + 1001 < target {
        r.outputs.push(format!("s3://out/{}", "o".repeat(991)));
    }
    let missing = target.saturating_sub(record_item_bytes(&r, &extra) + 1);
    r.outputs.push("p".repeat(missing));
    r
}

#[tokio::test]
async fn a_record_over_dynamodbs_item_limit_is_refused_before_the_request() {
    let moto = MotoServer::start().unwrap();
    let clients = AwsClients::from_sdk_config(&sdk_config(&moto.endpoint()));
    vod_aws::dynamodb::ensure_asset_table(&clients.dynamodb(), "assets")
        .await
        .unwrap();
    let store = DynamoAssetStore::new(clients.dynamodb(), "assets");

    let over = record_of(DYNAMODB_ITEM_MAX_BYTES + 1);
    let err = store.claim(&over).await.unwrap_err();
    assert_eq!(err.kind, PortErrorKind::TooLarge, "{err}");
    assert!(
        err.message.contains("400001 bytes") && err.message.contains("400000 bytes"),
        "{err}"
    );
    assert_eq!(store.get(&over.asset_id).await.unwrap(), None);

    let mut under = record_of(DYNAMODB_ITEM_MAX_BYTES - 2048);
    assert_eq!(store.claim(&under).await.unwrap(), Claim::Claimed);
    assert_eq!(
        store.get(&under.asset_id).await.unwrap().as_ref(),
        Some(&under)
    );

    let stored = under.clone();
    under.outputs.push("q".repeat(4096));
    under
        .transition(AssetStatus::Probed, Utc::now(), None)
        .unwrap();
    under.touch(Utc::now());
    let err = store.update(&under).await.unwrap_err();
    assert_eq!(err.kind, PortErrorKind::TooLarge, "{err}");
    assert_eq!(store.get(&under.asset_id).await.unwrap(), Some(stored));
}

#[tokio::test]
async fn an_event_over_snss_message_limit_is_refused_before_the_request() {
    let moto = MotoServer::start().unwrap();
    let clients = AwsClients::from_sdk_config(&sdk_config(&moto.endpoint()));
    let topic_arn = clients
        .sns()
        .create_topic()
        .name("events")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let notifier = SnsNotifier::new(clients.sns(), &topic_arn);
    let event_of = |target: usize| {
        let mut r = record("uploads/big.mp4");
        r.error = Some(ErrorInfo {
            name: "Vod.Internal".into(),
            message: String::new(),
        });
        let mut event = PipelineEvent::from_record(EventType::Failed, &r, Utc::now());
        let missing = target - event_message_bytes(&event);
        if let Some(error) = &mut event.error {
            error.message = "m".repeat(missing);
        }
        assert_eq!(event_message_bytes(&event), target);
        event
    };

    let err = notifier
        .publish(&event_of(SNS_MESSAGE_MAX_BYTES + 1))
        .await
        .unwrap_err();
    assert_eq!(err.kind, PortErrorKind::TooLarge, "{err}");
    assert!(
        err.message.contains("262145 bytes") && err.message.contains("SNS"),
        "{err}"
    );
    let id = notifier
        .publish(&event_of(SNS_MESSAGE_MAX_BYTES - 1024))
        .await
        .unwrap();
    assert!(!id.is_empty());
}
