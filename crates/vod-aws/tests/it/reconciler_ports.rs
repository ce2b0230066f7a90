//! The reconciler's ports on the real SDK against moto: every page of the byStatus index
//! through the opaque cursor, the listing of an asset's outputs, and DescribeExecution
//! (running, and unknown as `None`).

use crate::{record, sdk_config};
use aws_sdk_s3::primitives::ByteStream;
use std::collections::BTreeSet;
use vod_aws::AwsClients;
use vod_aws::dynamodb::{DynamoAssetStore, STATUS_PAGE_SIZE};
use vod_aws::s3::S3OutputListing;
use vod_aws::sfn::SfnExecutions;
use vod_core::AssetStatus;
use vod_core::ports::{AssetStore, Executions, OutputListing, StatusIndex};
use vod_core::reconcile::ExecutionState;
use vod_testkit::MotoServer;

#[tokio::test]
async fn the_status_index_hands_out_every_record_once_across_pages() {
    let moto = MotoServer::start().unwrap();
    let clients = AwsClients::from_sdk_config(&sdk_config(&moto.endpoint()));
    vod_aws::dynamodb::ensure_asset_table(&clients.dynamodb(), "assets")
        .await
        .unwrap();
    let store = DynamoAssetStore::new(clients.dynamodb(), "assets");
    let count = usize::try_from(STATUS_PAGE_SIZE).unwrap() + 7;
    let mut written = BTreeSet::new();
    for n in 0..count {
        let r = record(&format!("uploads/{n}.mp4"));
        store.claim(&r).await.unwrap();
        written.insert(r.asset_id.to_string());
    }

    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let (page, next) = store
            .page(AssetStatus::Probing, None, cursor)
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.into_iter().map(|r| r.asset_id.to_string()));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(seen.len(), count, "no record twice");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), written);
    let (transcoding, next) = store
        .page(AssetStatus::Transcoding, None, None)
        .await
        .unwrap();
    assert!(transcoding.is_empty() && next.is_none());
    // Created in the future: nothing; in the last hour: the first page.
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let (none, _) = store
        .page(AssetStatus::Probing, Some(later), None)
        .await
        .unwrap();
    assert!(none.is_empty());
    let earlier = chrono::Utc::now() - chrono::Duration::hours(1);
    let (recent, _) = store
        .page(AssetStatus::Probing, Some(earlier), None)
        .await
        .unwrap();
    assert_eq!(recent.len(), usize::try_from(STATUS_PAGE_SIZE).unwrap());
}

#[tokio::test]
async fn outputs_are_listed_under_the_asset_prefix_only_and_executions_described() {
    let moto = MotoServer::start().unwrap();
    let clients = AwsClients::from_sdk_config(&sdk_config(&moto.endpoint()));
    let s3 = clients.s3();
    s3.create_bucket().bucket("out").send().await.unwrap();
    for key in [
        "assets/a/stream.m3u8",
        "assets/a/thumbs/thumb.0000000.jpg",
        "assets/ab/stream.m3u8",
        "other/a/stream.m3u8",
    ] {
        s3.put_object()
            .bucket("out")
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let keys = S3OutputListing::new(s3)
        .keys("out", "assets/a/")
        .await
        .unwrap();
    assert_eq!(
        keys,
        ["assets/a/stream.m3u8", "assets/a/thumbs/thumb.0000000.jpg"]
    );

    let sfn = clients.sfn();
    let machine = sfn
        .create_state_machine()
        .name("vod")
        .role_arn("arn:aws:iam::123456789012:role/sfn")
        .definition(r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}"#)
        .send()
        .await
        .unwrap();
    let execution = sfn
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .send()
        .await
        .unwrap();
    let executions = SfnExecutions::new(sfn);
    assert_eq!(
        executions.status(execution.execution_arn()).await.unwrap(),
        Some(ExecutionState::Running)
    );
    let gone = execution
        .execution_arn()
        .replace(":execution:vod:", ":execution:vod:gone-");
    assert_eq!(executions.status(&gone).await.unwrap(), None);
}
