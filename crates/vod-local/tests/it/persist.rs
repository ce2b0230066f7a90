//! moto's journal, replayed into a new moto: what changed state comes back (a multipart upload
//! included), what was only traffic (messages, refused writes) does not, subscriptions to
//! deleted queues are removed, and the compacted journal restores the same state again.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use std::path::Path;
use vod_local::bootstrap::DataPlane;
use vod_local::moto::MotoProcess;
use vod_local::persist::{self, Restored};
use vod_local::subscribe::{QueueOptions, create_queue, queue_to_topic};

const BUCKET: &str = "kept";
const TABLE: &str = "vod-assets";

async fn moto(dir: &Path, run: &str) -> (MotoProcess, DataPlane, Option<Restored>) {
    let journal = dir.join(persist::JOURNAL);
    let moto = MotoProcess::start(
        Some(vod_testkit::moto::moto_binary().unwrap()),
        0,
        "000000000000",
        &dir.join(format!("moto-{run}.log")),
        Some(&journal),
    )
    .await
    .unwrap();
    let restored = persist::restore(&journal, &moto.endpoint()).await.unwrap();
    let sdk = vod_local::sdk_config(&moto.endpoint(), &vod_local::TwinFile::embedded()).await;
    let dp = DataPlane::new(&sdk);
    if restored.is_some() {
        persist::drop_dangling_subscriptions(&dp).await;
    }
    moto.start_recording().await.unwrap();
    (moto, dp, restored)
}

/// An object's length and SHA-256 (a failing comparison prints these, not megabytes).
async fn object(dp: &DataPlane, key: &str) -> Option<(usize, String)> {
    let got = dp
        .s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .ok()?;
    Some(digest(&got.body.collect().await.unwrap().into_bytes()))
}

fn digest(bytes: &[u8]) -> (usize, String) {
    use sha2::Digest as _;
    (bytes.len(), hex::encode(sha2::Sha256::digest(bytes)))
}

async fn item(dp: &DataPlane, id: &str) -> Option<String> {
    let got = dp
        .dynamodb
        .get_item()
        .table_name(TABLE)
        .key("assetId", AttributeValue::S(id.to_owned()))
        .send()
        .await
        .unwrap();
    got.item()
        .and_then(|i| i.get("note"))
        .and_then(|v| v.as_s().ok())
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_journal_restores_state_and_no_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let (first, dp, restored) = moto(dir.path(), "1").await;
    assert_eq!(restored, None, "no journal yet");

    dp.s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    dp.s3
        .put_object()
        .bucket(BUCKET)
        .key("a b/ü+1.txt")
        .body(ByteStream::from_static(b"small"))
        .send()
        .await
        .unwrap();
    // A multipart upload (parts of 5 MiB, S3's minimum) and one abandoned halfway.
    let big: Vec<u8> = (0..(11 << 20)).map(|i: u32| (i % 251) as u8).collect();
    let abandoned = dp
        .s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big.bin")
        .send()
        .await
        .unwrap();
    let upload = dp
        .s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big.bin")
        .send()
        .await
        .unwrap();
    let mut parts = Vec::new();
    for (n, chunk) in big.chunks(5 << 20).enumerate() {
        let number = i32::try_from(n + 1).unwrap();
        let part = dp
            .s3
            .upload_part()
            .bucket(BUCKET)
            .key("big.bin")
            .upload_id(upload.upload_id().unwrap())
            .part_number(number)
            .body(ByteStream::from(chunk.to_vec()))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(part.e_tag().unwrap())
                .build(),
        );
    }
    dp.s3
        .upload_part()
        .bucket(BUCKET)
        .key("big.bin")
        .upload_id(abandoned.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from_static(b"never completed"))
        .send()
        .await
        .unwrap();
    dp.s3
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("big.bin")
        .upload_id(upload.upload_id().unwrap())
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();

    vod_aws::dynamodb::ensure_asset_table(&dp.dynamodb, TABLE)
        .await
        .unwrap();
    let put = |id: &str, note: &str, only_new: bool| {
        let mut put = dp
            .dynamodb
            .put_item()
            .table_name(TABLE)
            .item("assetId", AttributeValue::S(id.to_owned()))
            .item("note", AttributeValue::S(note.to_owned()));
        if only_new {
            put = put.condition_expression("attribute_not_exists(assetId)");
        }
        put.send()
    };
    put("a", "first", false).await.unwrap();
    // Refused (the item exists): must stay refused after the replay, and leave the journal.
    assert!(put("a", "overwritten", true).await.is_err());

    let topic = dp
        .sns
        .create_topic()
        .name("events")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let kept = queue_to_topic(&dp.sqs, &dp.sns, &topic, "kept", &QueueOptions::default())
        .await
        .unwrap();
    let gone = queue_to_topic(&dp.sqs, &dp.sns, &topic, "gone", &QueueOptions::default())
        .await
        .unwrap();
    dp.sqs
        .delete_queue()
        .queue_url(&gone.queue_url)
        .send()
        .await
        .unwrap();
    dp.sns
        .publish()
        .topic_arn(&topic)
        .message("old news")
        .send()
        .await
        .ok();
    let (work, _) = create_queue(&dp.sqs, "work", None).await.unwrap();
    dp.sqs
        .send_message()
        .queue_url(&work)
        .message_body("old work")
        .send()
        .await
        .unwrap();
    first.stop().await;

    for run in ["2", "3"] {
        let (again, dp, restored) = moto(dir.path(), run).await;
        let restored = restored.expect("a journal to restore");
        assert_eq!(restored.damaged, 0, "{restored:?}");
        assert_eq!(object(&dp, "a b/ü+1.txt").await, Some(digest(b"small")));
        assert_eq!(object(&dp, "big.bin").await, Some(digest(&big)));
        assert_eq!(item(&dp, "a").await.as_deref(), Some("first"));
        let subs = dp
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(&topic)
            .send()
            .await
            .unwrap();
        let endpoints: Vec<_> = subs
            .subscriptions()
            .iter()
            .filter_map(|s| s.endpoint())
            .collect();
        assert_eq!(endpoints, [kept.queue_arn.as_str()], "run {run}");
        for queue in [&kept.queue_url, &work] {
            let got = dp
                .sqs
                .receive_message()
                .queue_url(queue)
                .send()
                .await
                .unwrap();
            assert!(got.messages().is_empty(), "{queue}: {got:?}");
        }
        // Publishing works: no subscription points at a missing queue.
        dp.sns
            .publish()
            .topic_arn(&topic)
            .message("new")
            .send()
            .await
            .unwrap();
        if run == "3" {
            assert_eq!(
                restored.refused, 0,
                "the compacted journal holds no refusals"
            );
        }
        again.stop().await;
    }
}
