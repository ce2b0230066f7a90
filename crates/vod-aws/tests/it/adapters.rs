use crate::{record, sdk_config};
use aws_sdk_s3::primitives::ByteStream;
use chrono::Utc;
use std::process::Command;
use vod_aws::AwsClients;
use vod_aws::dynamodb::DynamoAssetStore;
use vod_aws::s3::S3MediaReader;
use vod_aws::sns::SnsNotifier;
use vod_aws::subscribe::{QueueOptions, queue_to_topic};
use vod_core::event::{EventType, PipelineEvent};
use vod_core::ports::{
    AssetStore, Claim, MediaProbe, MediaReader, Notifier, ObjectRange, PortErrorKind,
};
use vod_core::probe::ProbeOutcome;
use vod_core::{AssetId, AssetStatus};
use vod_testkit::MotoServer;

#[tokio::test]
async fn dynamodb_claim_is_conditional_and_updates_refuse_stale_writes() {
    let moto = MotoServer::start().unwrap();
    let clients = AwsClients::from_sdk_config(&sdk_config(&moto.endpoint()));
    vod_aws::dynamodb::ensure_asset_table(&clients.dynamodb(), "assets")
        .await
        .unwrap();
    let store = DynamoAssetStore::new(clients.dynamodb(), "assets");

    let mut first = record("uploads/caf%C3%A9+clip.mp4");
    assert_eq!(store.claim(&first).await.unwrap(), Claim::Claimed);
    match store.claim(&first).await.unwrap() {
        Claim::Duplicate(existing) => assert_eq!(*existing, first),
        Claim::Claimed => panic!("a second claim of the same asset must be a duplicate"),
    }

    // Legal transitions are stored; a write based on a stale read is refused.
    let stale = first.clone();
    first
        .transition(AssetStatus::Probed, Utc::now(), None)
        .unwrap();
    first.touch(Utc::now());
    store.update(&first).await.unwrap();
    let mut late = stale;
    late.transition(AssetStatus::Rejected, Utc::now(), None)
        .unwrap();
    late.touch(Utc::now());
    let err = store.update(&late).await.unwrap_err();
    assert_eq!(err.kind, PortErrorKind::Conflict);

    let stored = store.get(&first.asset_id).await.unwrap().unwrap();
    assert_eq!(stored.status, AssetStatus::Probed);
    assert_eq!(stored.source.key.decoded, "uploads/café clip.mp4");
    assert_eq!(stored, first);

    let probed = store.list_by_status("PROBED", 10).await.unwrap();
    assert_eq!(
        probed
            .iter()
            .map(|r| r.asset_id.clone())
            .collect::<Vec<_>>(),
        vec![first.asset_id.clone()]
    );
    assert!(
        store
            .list_by_status("COMPLETE", 10)
            .await
            .unwrap()
            .is_empty()
    );
    let unknown = AssetId::derive("x", "y", "z");
    assert_eq!(store.get(&unknown).await.unwrap(), None);
}

/// A 3 s clip with the moov at the end, padded with a large free box before the moov? No:
/// ffmpeg writes ftyp, mdat, moov; a longer, higher-bitrate clip makes the mdat large.
fn moov_at_end_mp4() -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("moov-end-{}.mp4", std::process::id()));
    let status = Command::new(vod_testkit::media::ffmpeg())
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=300",
        ])
        .args([
            "-t",
            "4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "8M",
            "-c:a",
            "aac",
            "-shortest",
        ])
        .arg(&path)
        .status()
        .expect("ffmpeg is needed for this test (make test installs it)");
    assert!(status.success());
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

#[tokio::test]
async fn s3_ranged_reads_probe_a_moov_at_end_mp4_without_downloading_it() {
    let moto = MotoServer::start().unwrap();
    let clients = AwsClients::from_sdk_config(&sdk_config(&moto.endpoint()));
    clients
        .s3()
        .create_bucket()
        .bucket("src")
        .send()
        .await
        .unwrap();
    let body = moov_at_end_mp4();
    let size = body.len() as u64;
    let key = "deep/prefix/my clip +1 %.mp4";
    clients
        .s3()
        .put_object()
        .bucket("src")
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();

    let reader = S3MediaReader::new(clients.s3());
    assert_eq!(reader.stat("src", "nope.mp4").await.unwrap(), None);
    let meta = reader.stat("src", key).await.unwrap().unwrap();
    assert_eq!(meta.size, size);
    assert!(meta.etag.is_some());
    assert_eq!(
        reader
            .read_range("src", key, &meta.version(), 4, 4)
            .await
            .unwrap(),
        b"ftyp"
    );

    let outcome = vod_probe::RangeProbe::new()
        .probe(ObjectRange {
            reader: &reader,
            bucket: "src",
            key,
            size,
            version: &meta.version(),
        })
        .await
        .unwrap();
    let ProbeOutcome::Accepted { report } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        report.video.as_ref().map(|v| (v.width, v.height)),
        Some((1280, 720))
    );
    assert!(
        report.bytes_read * 10 < size,
        "read {} of {size} bytes: the probe must not download the file",
        report.bytes_read
    );
}

#[tokio::test]
async fn sns_publish_carries_filterable_attributes_to_an_sqs_subscriber() {
    let moto = MotoServer::start().unwrap();
    let config = sdk_config(&moto.endpoint());
    let clients = AwsClients::from_sdk_config(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic_arn = clients
        .sns()
        .create_topic()
        .name("events")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    // The envelope, not raw delivery: its MessageAttributes are what filter policies match.
    let queue_url = queue_to_topic(
        &sqs,
        &clients.sns(),
        &topic_arn,
        "sub",
        &QueueOptions::default(),
    )
    .await
    .unwrap()
    .queue_url;

    let mut rec = record("a.mp4");
    rec.transition(AssetStatus::Rejected, Utc::now(), None)
        .unwrap();
    let event = PipelineEvent::from_record(EventType::Rejected, &rec, Utc::now());
    let message_id = SnsNotifier::new(clients.sns(), &topic_arn)
        .publish(&event)
        .await
        .unwrap();
    assert!(!message_id.is_empty());

    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .wait_time_seconds(5)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(received.messages()[0].body().unwrap()).unwrap();
    let attributes = &body["MessageAttributes"];
    assert_eq!(attributes["eventType"]["Value"], "asset.rejected");
    assert_eq!(attributes["status"]["Value"], "REJECTED");
    let delivered: PipelineEvent = serde_json::from_str(body["Message"].as_str().unwrap()).unwrap();
    assert_eq!(delivered, event);
}

/// The table `ensure_asset_table` creates (the twin's and every test's), read back from
/// DescribeTable in CloudFormation's shape, is `docs/contracts/asset-table.json`; infra's
/// `contracts.test.ts` checks the CDK table against the same file. `VOD_BLESS=1` rewrites it.
#[tokio::test]
async fn the_asset_table_the_twin_creates_is_the_contract_infra_deploys() {
    use serde_json::{Value, json};
    let moto = MotoServer::start().unwrap();
    let clients = AwsClients::from_sdk_config(&sdk_config(&moto.endpoint()));
    vod_aws::dynamodb::ensure_asset_table(&clients.dynamodb(), "assets")
        .await
        .unwrap();
    // Idempotent: a second bootstrap leaves the table alone.
    vod_aws::dynamodb::ensure_asset_table(&clients.dynamodb(), "assets")
        .await
        .unwrap();
    let described = clients
        .dynamodb()
        .describe_table()
        .table_name("assets")
        .send()
        .await
        .unwrap();
    let table = described.table().unwrap();
    let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Value {
        schema
            .iter()
            .map(|k| json!({"AttributeName": k.attribute_name(), "KeyType": k.key_type().as_str()}))
            .collect()
    };
    let mut attributes: Vec<Value> = table
        .attribute_definitions()
        .iter()
        .map(|a| {
            json!({"AttributeName": a.attribute_name(), "AttributeType": a.attribute_type().as_str()})
        })
        .collect();
    attributes.sort_by_key(|a| a["AttributeName"].as_str().map(str::to_owned));
    let mut indexes: Vec<Value> = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            json!({
                "IndexName": i.index_name(),
                "KeySchema": keys(i.key_schema()),
                "Projection": {"ProjectionType": i.projection().and_then(|p| p.projection_type()).map(|t| t.as_str())},
            })
        })
        .collect();
    indexes.sort_by_key(|i| i["IndexName"].as_str().map(str::to_owned));
    let generated = json!({
        "KeySchema": keys(table.key_schema()),
        "AttributeDefinitions": attributes,
        "GlobalSecondaryIndexes": indexes,
    });

    let path = vod_testkit::repo_root().join("docs/contracts/asset-table.json");
    if std::env::var_os("VOD_BLESS").is_some() {
        let text = format!("{}\n", serde_json::to_string_pretty(&generated).unwrap());
        std::fs::write(&path, text).unwrap();
        return;
    }
    let on_disk: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/contracts/asset-table.json is out of date: run `VOD_BLESS=1 cargo test -p vod-aws asset_table` and commit it\n{generated:#}"
    );
}
