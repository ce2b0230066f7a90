//! A distributed Map's `ItemReader` on the twin reads real S3 (moto) through the handlers'
//! SDK client: JSON arrays, JSON Lines, CSV (first-row and given headers), object listings,
//! `MaxItems`, and S3's own errors as `States.ItemReaderFailed`.

use std::sync::Arc;

use serde_json::{Value, json};
use vod_local::item_source::S3ItemSource;
use vod_states::{
    Engine, ExecutionDescription, ExecutionStatus, FnInvoker, StateMachine, TokioClock,
};
use vod_testkit::MotoServer;

const BUCKET: &str = "items";

struct Twin {
    _moto: MotoServer,
    engine: Engine,
}

async fn twin() -> Twin {
    let moto = MotoServer::start().expect("moto starts");
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
            aws_sdk_s3::config::Credentials::new("test", "test", None, None, "it"),
        ))
        .endpoint_url(moto.endpoint())
        .build();
    let s3 = vod_aws::AwsClients::from_sdk_config(&sdk).s3();
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    for (key, body) in [
        ("in/items.json", r#"[{"n": 1}, {"n": 2}, {"n": 3}]"#),
        ("in/items.jsonl", "{\"n\": 1}\n[2]\n\"three\"\n"),
        ("in/first_row.csv", "id,name\n1,\"a, b\"\n2,c\n3,d\n"),
        ("in/given.csv", "1,true\n2,false\n"),
        ("in/object.json", r#"{"n": 1}"#),
        ("list/a.txt", "hello"),
        ("list/b.txt", ""),
        ("other/c.txt", "x"),
    ] {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .expect("put");
    }
    let engine = Engine::new(
        Arc::new(FnInvoker::new(|_resource, params, _context| Ok(params))),
        Arc::new(TokioClock),
    );
    engine.set_item_source(Arc::new(S3ItemSource::new(s3)));
    Twin {
        _moto: moto,
        engine,
    }
}

fn reader_map(reader: Value) -> Arc<StateMachine> {
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemReader": reader,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}
        },
        "End": true}}});
    Arc::new(StateMachine::from_value(definition).expect("valid definition"))
}

fn get_object(config: Value) -> Arc<StateMachine> {
    reader_map(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": config,
        "Parameters": {"Bucket": BUCKET, "Key.$": "$.key"}
    }))
}

async fn run(twin: &Twin, machine: Arc<StateMachine>, input: Value) -> ExecutionDescription {
    twin.engine.run(machine, input).await.expect("engine runs")
}

fn items(d: &ExecutionDescription) -> Value {
    assert_eq!(
        d.status,
        ExecutionStatus::Succeeded,
        "{:?}: {:?}",
        d.error,
        d.cause
    );
    d.output.clone().unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_reader_reads_json_jsonl_csv_and_listings_from_s3() {
    let t = twin().await;

    let json_items = get_object(json!({"InputType": "JSON"}));
    let d = run(&t, json_items, json!({"key": "in/items.json"})).await;
    assert_eq!(items(&d), json!([{"n": 1}, {"n": 2}, {"n": 3}]));

    let limited = get_object(json!({"InputType": "JSON", "MaxItemsPath": "$.max"}));
    let d = run(&t, limited, json!({"key": "in/items.json", "max": 2})).await;
    assert_eq!(items(&d), json!([{"n": 1}, {"n": 2}]));

    let lines = get_object(json!({"InputType": "JSONL", "MaxItems": 2}));
    let d = run(&t, lines, json!({"key": "in/items.jsonl"})).await;
    assert_eq!(items(&d), json!([{"n": 1}, [2]]));

    let first_row = get_object(json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}));
    let d = run(&t, first_row, json!({"key": "in/first_row.csv"})).await;
    assert_eq!(
        items(&d),
        json!([{"id": "1", "name": "a, b"}, {"id": "2", "name": "c"}, {"id": "3", "name": "d"}])
    );

    let given = get_object(json!({
        "InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id", "ok"], "MaxItems": 1
    }));
    let d = run(&t, given, json!({"key": "in/given.csv"})).await;
    assert_eq!(items(&d), json!([{"id": "1", "ok": "true"}]));

    let listing = reader_map(json!({
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": BUCKET, "Prefix": "list/"}
    }));
    let d = run(&t, listing, json!({})).await;
    let listed = items(&d);
    let listed = listed.as_array().expect("an array of objects");
    let keys: Vec<&Value> = listed.iter().map(|o| &o["Key"]).collect();
    assert_eq!(keys, [&json!("list/a.txt"), &json!("list/b.txt")]);
    assert_eq!(listed[0]["Size"], json!(5));
    assert_eq!(
        listed[0]["Etag"],
        json!("\"5d41402abc4b2a76b9719d911017c592\"")
    );
    assert!(listed[0]["LastModified"].is_i64(), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_errors_fail_the_map_with_item_reader_failed() {
    let t = twin().await;
    let json_items = get_object(json!({"InputType": "JSON"}));
    for (key, says) in [
        ("in/missing.json", "NoSuchKey"),
        ("in/object.json", "non-iterable"),
    ] {
        let d = run(&t, json_items.clone(), json!({"key": key})).await;
        assert_eq!(d.status, ExecutionStatus::Failed, "{key}");
        assert_eq!(d.error.as_deref(), Some("States.ItemReaderFailed"), "{key}");
        let cause = d.cause.unwrap_or_default();
        assert!(cause.contains(says), "{key}: {cause}");
    }
}
