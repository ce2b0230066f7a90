use crate::common::{Env, expect_code, record};
use chrono::Utc;
use std::process::Stdio;
use vod_core::{EventType, PipelineEvent};

#[tokio::test(flavor = "multi_thread")]
async fn watch_prints_a_published_event_and_removes_its_queue() {
    let env = Env::start().await;
    let sdk = &env.sdk;
    let sns = aws_sdk_sns::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let child = env
        .local()
        .args(["watch", "--json", "--max-events", "1", "--timeout", "5m"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Publish once the watcher's subscription exists.
    loop {
        if !subscriptions(&sns, &env.topic_arn).await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let rec = record("watched clip.mp4", "etag-w", Utc::now());
    let event = PipelineEvent::from_record(EventType::Ingested, &rec, Utc::now());
    sns.publish()
        .topic_arn(&env.topic_arn)
        .message(serde_json::to_string(&event).unwrap())
        .send()
        .await
        .unwrap();

    let out = child.wait_with_output().unwrap();
    expect_code(&out, 0);
    let line = String::from_utf8_lossy(&out.stdout);
    let got: serde_json::Value =
        serde_json::from_str(line.trim()).expect("one JSON event per line");
    assert_eq!(got["eventType"], "asset.ingested");
    assert_eq!(got["assetId"], rec.asset_id.as_str());
    assert_eq!(got["source"]["key"]["decoded"], "watched clip.mp4");

    let queues = sqs.list_queues().send().await.unwrap();
    assert!(
        queues.queue_urls().is_empty(),
        "temporary queue left behind: {:?}",
        queues.queue_urls()
    );
    let subs = subscriptions(&sns, &env.topic_arn).await;
    assert!(subs.is_empty(), "subscription left behind");
}

/// The topic's subscriptions (the watcher's own, while it runs).
async fn subscriptions(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
) -> Vec<aws_sdk_sns::types::Subscription> {
    sns.list_subscriptions_by_topic()
        .topic_arn(topic_arn)
        .send()
        .await
        .unwrap()
        .subscriptions()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_on_a_missing_topic_fails_and_still_deletes_its_queue() {
    let env = Env::start().await;
    let out = env
        .local()
        .args([
            "watch",
            "--topic-arn",
            "arn:aws:sns:us-east-1:123456789012:nope",
            "--timeout",
            "1m",
        ])
        .output()
        .unwrap();
    expect_code(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("subscribing to"));
    let queues = aws_sdk_sqs::Client::new(&env.sdk)
        .list_queues()
        .send()
        .await
        .unwrap();
    assert!(queues.queue_urls().is_empty(), "{:?}", queues.queue_urls());
}
