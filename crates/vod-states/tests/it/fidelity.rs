//! Behaviours recorded on AWS that the executor reproduces: timestamp validation, ItemReader,
//! integer `*Path` values, and the runtime-error causes.

use std::sync::Arc;

use serde_json::{Value, json};
use vod_states::{Engine, ExecutionDescription, ExecutionStatus, StateMachine};

use super::support::{echo_engine, run};

fn engine() -> Engine {
    echo_engine().0
}

fn wait_path() -> Value {
    json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.at", "End": true}}})
}

#[tokio::test]
async fn wait_timestamp_path_accepts_rfc3339_with_zone() {
    let e = engine();
    for at in [
        "2024-01-01T00:00:10Z",
        "2024-01-01T00:00:10.000Z",
        "2024-01-01T00:00:10.0000000Z",
        "2024-01-01T01:00:10+01:00",
        "2023-12-31T00:00:00Z", // in the past: no wait
    ] {
        let d = run(&e, wait_path(), json!({"at": at})).await;
        assert_eq!(d.status, ExecutionStatus::Succeeded, "{at}: {:?}", d.cause);
    }
}

#[tokio::test]
async fn wait_timestamp_path_rejects_invalid_timestamps() {
    let e = engine();
    for at in [
        "2024-01-01 00:00:10Z",    // missing T
        "2024-01-01T00:00:10",     // missing zone
        "2024-01-01T00:00:10.000", // fraction, missing zone
        "2023-02-29T00:00:00Z",    // impossible date
        "2024-04-31T00:00:00Z",    // impossible date
        "2024-01-01T25:00:00Z",    // impossible time
        "2024-01-01T00:61:00Z",    // impossible time
        "tomorrow",
    ] {
        let d = run(&e, wait_path(), json!({"at": at})).await;
        assert_eq!(d.status, ExecutionStatus::Failed, "{at}");
        assert_eq!(d.error.as_deref(), Some("States.Runtime"));
        assert_eq!(
            d.cause.as_deref(),
            Some(
                format!(
                    "An error occurred while executing the state 'W' (entered at the event id #2). \
                     The TimestampPath parameter does not reference a valid ISO-8601 extended offset \
                     date-time format string: $.at == {at}"
                )
                .as_str()
            )
        );
    }
    let d = run(&e, wait_path(), json!({"at": 5})).await;
    assert_eq!(d.error.as_deref(), Some("States.Runtime"));
}

#[test]
fn wait_timestamp_literal_must_be_valid() {
    for at in [
        "2024-01-01T00:00:10",
        "2024-02-30T00:00:00Z",
        "2024-01-01 00:00:00Z",
    ] {
        let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Timestamp": at, "End": true}}});
        assert!(StateMachine::from_value(def).is_err(), "{at}");
    }
}

#[tokio::test]
async fn choice_timestamp_rules_treat_invalid_timestamps_as_false() {
    let e = engine();
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.t", "TimestampLessThanEquals": "2030-01-01T00:00:00Z", "Next": "Yes"}
        ], "Default": "No"},
        "Yes": {"Type": "Pass", "Result": "yes", "End": true},
        "No": {"Type": "Pass", "Result": "no", "End": true}}});
    for (t, want) in [
        ("2024-01-01T00:00:00Z", "yes"),
        ("2024-01-01T00:00:00", "no"),
        ("2024-01-01 00:00:00Z", "no"),
        ("2024-02-30T00:00:00Z", "no"),
        ("2024-01-01T24:00:00Z", "no"),
    ] {
        let d = run(&e, def.clone(), json!({"t": t})).await;
        assert_eq!(d.output, Some(json!(want)), "{t}");
    }
}

fn reader_engine() -> Engine {
    let e = engine();
    let s3 = vod_states::InMemoryItemSource::new();
    s3.put("b", "items.json", r#"[{"n": 1}, {"n": 2}, {"n": 3}]"#);
    s3.put("b", "object.json", r#"{"n": 1}"#);
    s3.put("b", "items.jsonl", "{\"n\": 1}\n\n[2]\n\"three\"\n");
    s3.put("b", "bad.jsonl", "{\"n\": 1}\n{oops\n");
    s3.put(
        "b",
        "first_row.csv",
        "Col1,Col2,Col3\nValue1,Value2,Value3\n\"a,b\",\"say \"\"hi\"\"\",\nshort\n",
    );
    s3.put("b", "given.csv", "1,true\n2,false\n");
    s3.put("b", "dup.csv", "A,A\n1,2\n");
    s3.put("b", "pipe.csv", "x|y\n1|2\n");
    s3.put("b", "dir/a.txt", "hello");
    s3.put("b", "dir/b.txt", "");
    s3.put("b", "other/c.txt", "x");
    e.set_item_source(Arc::new(s3));
    e
}

fn reader_map(reader: Value) -> Value {
    json!({"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemReader": reader,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}
        },
        "End": true}}})
}

fn get_object(config: Value) -> Value {
    reader_map(json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": config,
        "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"}
    }))
}

async fn read(def: Value, input: Value) -> ExecutionDescription {
    run(&reader_engine(), def, input).await
}

fn items_of(d: &ExecutionDescription) -> Value {
    assert_eq!(
        d.status,
        ExecutionStatus::Succeeded,
        "{:?} {:?}",
        d.error,
        d.cause
    );
    d.output.clone().unwrap_or(Value::Null)
}

#[tokio::test]
async fn item_reader_json_array() {
    let d = read(
        get_object(json!({"InputType": "JSON"})),
        json!({"bucket": "b", "key": "items.json"}),
    )
    .await;
    assert_eq!(items_of(&d), json!([{"n": 1}, {"n": 2}, {"n": 3}]));
}

#[tokio::test]
async fn item_reader_json_lines() {
    let d = read(
        get_object(json!({"InputType": "JSONL"})),
        json!({"bucket": "b", "key": "items.jsonl"}),
    )
    .await;
    assert_eq!(items_of(&d), json!([{"n": 1}, [2], "three"]));
}

#[tokio::test]
async fn item_reader_csv_headers_in_first_row() {
    let d = read(
        get_object(json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
        json!({"bucket": "b", "key": "first_row.csv"}),
    )
    .await;
    assert_eq!(
        items_of(&d),
        json!([
            {"Col1": "Value1", "Col2": "Value2", "Col3": "Value3"},
            {"Col1": "a,b", "Col2": "say \"hi\"", "Col3": ""},
            {"Col1": "short", "Col2": "", "Col3": ""}
        ])
    );
}

#[tokio::test]
async fn item_reader_csv_given_headers_and_delimiter() {
    let d = read(
        get_object(
            json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id", "ok"]}),
        ),
        json!({"bucket": "b", "key": "given.csv"}),
    )
    .await;
    assert_eq!(
        items_of(&d),
        json!([{"id": "1", "ok": "true"}, {"id": "2", "ok": "false"}])
    );
    let d = read(
        get_object(
            json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "PIPE"}),
        ),
        json!({"bucket": "b", "key": "pipe.csv"}),
    )
    .await;
    assert_eq!(items_of(&d), json!([{"x": "1", "y": "2"}]));
}

#[tokio::test]
async fn item_reader_lists_objects() {
    let d = read(
        reader_map(json!({
            "Resource": "arn:aws:states:::s3:listObjectsV2",
            "Parameters": {"Bucket": "b", "Prefix": "dir/"}
        })),
        json!({}),
    )
    .await;
    let out = items_of(&d);
    let items = out.as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["Key"], json!("dir/a.txt"));
    assert_eq!(items[0]["Size"], json!(5));
    assert_eq!(
        items[0]["Etag"],
        json!("\"5d41402abc4b2a76b9719d911017c592\"")
    );
    assert_eq!(items[0]["StorageClass"], json!("STANDARD"));
    assert!(items[0]["LastModified"].is_i64());
    assert_eq!(items[1]["Key"], json!("dir/b.txt"));
}

#[tokio::test]
async fn item_reader_max_items_and_max_items_path() {
    let d = read(
        get_object(json!({"InputType": "JSON", "MaxItems": 2})),
        json!({"bucket": "b", "key": "items.json"}),
    )
    .await;
    assert_eq!(items_of(&d), json!([{"n": 1}, {"n": 2}]));
    // MaxItems 0 and values above the 100,000,000 cap read everything.
    for max in [0, 100_000_001] {
        let d = read(
            get_object(json!({"InputType": "JSON", "MaxItemsPath": "$.max"})),
            json!({"bucket": "b", "key": "items.json", "max": max}),
        )
        .await;
        assert_eq!(items_of(&d).as_array().map(Vec::len), Some(3), "{max}");
    }
    // CSV: MaxItems counts data rows, not the header row.
    let d = read(
        get_object(
            json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItemsPath": "$.max"}),
        ),
        json!({"bucket": "b", "key": "first_row.csv", "max": 1}),
    )
    .await;
    assert_eq!(
        items_of(&d),
        json!([{"Col1": "Value1", "Col2": "Value2", "Col3": "Value3"}])
    );
    // A variable holding "2" is an integer for MaxItemsPath.
    let mut def = get_object(json!({"InputType": "JSON", "MaxItemsPath": "$max"}));
    def["StartAt"] = json!("A");
    def["States"]["A"] = json!({"Type": "Pass", "Assign": {"max": "2"}, "Next": "M"});
    let d = read(def, json!({"bucket": "b", "key": "items.json"})).await;
    assert_eq!(items_of(&d), json!([{"n": 1}, {"n": 2}]));
}

async fn reader_failure(def: Value, input: Value) -> (Option<String>, Option<String>) {
    let d = read(def, input).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    (d.error, d.cause)
}

#[tokio::test]
async fn item_reader_failures() {
    let json = get_object(json!({"InputType": "JSON"}));
    let (e, c) = reader_failure(json.clone(), json!({"bucket": "b", "key": "object.json"})).await;
    assert_eq!(e.as_deref(), Some("States.ItemReaderFailed"));
    assert_eq!(
        c.as_deref(),
        Some("Attempting to map over non-iterable node.")
    );
    let (e, _) = reader_failure(json.clone(), json!({"bucket": "b", "key": "missing.json"})).await;
    assert_eq!(e.as_deref(), Some("States.ItemReaderFailed"));
    let (e, _) = reader_failure(json, json!({"bucket": "nope", "key": "items.json"})).await;
    assert_eq!(e.as_deref(), Some("States.ItemReaderFailed"));
    let (e, _) = reader_failure(
        get_object(json!({"InputType": "JSONL"})),
        json!({"bucket": "b", "key": "bad.jsonl"}),
    )
    .await;
    assert_eq!(e.as_deref(), Some("States.ItemReaderFailed"));
    let (e, c) = reader_failure(
        get_object(json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
        json!({"bucket": "b", "key": "dup.csv"}),
    )
    .await;
    assert_eq!(e.as_deref(), Some("States.ItemReaderFailed"));
    assert_eq!(c.as_deref(), Some("CSV headers cannot contain duplicates."));
    let max_path = get_object(json!({"InputType": "JSON", "MaxItemsPath": "$.max"}));
    let (e, c) = reader_failure(
        max_path.clone(),
        json!({"bucket": "b", "key": "items.json", "max": -1}),
    )
    .await;
    assert_eq!(e.as_deref(), Some("States.ItemReaderFailed"));
    assert_eq!(c.as_deref(), Some("field MaxItems must be positive"));
    let (e, c) = reader_failure(
        max_path,
        json!({"bucket": "b", "key": "items.json", "max": 1.5}),
    )
    .await;
    assert_eq!(e.as_deref(), Some("States.Runtime"));
    assert_eq!(
        c.as_deref(),
        Some(
            "An error occurred while executing the state 'M' (entered at the event id #2). \
             The MaxItemsPath field refers to value \"1.5\" which is not a valid integer: $.max"
        )
    );
}

#[tokio::test]
async fn item_reader_failure_is_catchable_and_needs_a_source() {
    let mut def = get_object(json!({"InputType": "JSON"}));
    def["States"]["M"]["Catch"] =
        json!([{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "F"}]);
    def["States"]["M"].as_object_mut().map(|m| m.remove("End"));
    def["States"]["M"]["Next"] = json!("F");
    def["States"]["F"] = json!({"Type": "Pass", "End": true});
    let d = read(def, json!({"bucket": "b", "key": "object.json"})).await;
    assert_eq!(items_of(&d)["Error"], json!("States.ItemReaderFailed"));
    let d = run(
        &engine(),
        get_object(json!({"InputType": "JSON"})),
        json!({"bucket": "b", "key": "items.json"}),
    )
    .await;
    assert_eq!(d.error.as_deref(), Some("States.ItemReaderFailed"));
}

#[tokio::test]
async fn item_batcher_groups_items() {
    let mut def = get_object(json!({"InputType": "JSON"}));
    def["States"]["M"]["ItemBatcher"] =
        json!({"MaxItemsPerBatchPath": "$.per", "BatchInput": {"tag.$": "$.key"}});
    let d = read(def, json!({"bucket": "b", "key": "items.json", "per": "2"})).await;
    assert_eq!(
        items_of(&d),
        json!([
            {"BatchInput": {"tag": "items.json"}, "Items": [{"n": 1}, {"n": 2}]},
            {"BatchInput": {"tag": "items.json"}, "Items": [{"n": 3}]}
        ])
    );
    let mut def = get_object(json!({"InputType": "JSON"}));
    def["States"]["M"]["ItemBatcher"] = json!({"MaxInputBytesPerBatch": 16});
    let d = read(def, json!({"bucket": "b", "key": "items.json"})).await;
    assert_eq!(
        items_of(&d),
        json!([{"Items": [{"n": 1}, {"n": 2}]}, {"Items": [{"n": 3}]}])
    );
}

#[tokio::test]
async fn intrinsic_path_argument_not_found_cause() {
    let d = run(
        &engine(),
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
            "Parameters": {"a.$": "States.Array($.requiredProperty, $.optionalProperty, 'x')"}, "End": true}}}),
        json!({"requiredProperty": 1}),
    )
    .await;
    assert_eq!(d.error.as_deref(), Some("States.Runtime"));
    assert_eq!(
        d.cause.as_deref(),
        Some(
            "An error occurred while executing the state 'P' (entered at the event id #2). \
             The function 'States.Array($.requiredProperty, $.optionalProperty, 'x')' had the \
             following error: The JsonPath argument for the field '$.optionalProperty' could not \
             be found in the input '{\"requiredProperty\":1}'"
        )
    );
}
