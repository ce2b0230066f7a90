//! Unit tests of the harness: replay by resource, unscoreable reasons, wildcards.

use serde_json::json;

use super::compare::{is_recorder_field_name, why_unscoreable};
use super::*;
use crate::engine::ExecutionStatus;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(f),
        Err(e) => panic!("runtime: {e}"),
    }
}

#[test]
fn outcomes_recorded_without_the_state_name_are_replayed_by_resource() {
    let def = r#"{"StartAt": "Call", "States": {"Call": {"Type": "Task",
        "Resource": "arn:aws:states:::apigateway:invoke",
        "Parameters": {"ApiEndpoint": "x.execute-api", "Method": "GET", "Path.$": "$.p"}, "End": true}}}"#;
    let mocks = vec![
        json!({"resourceType": "apigateway", "resource": "invoke",
               "parameters": {"ApiEndpoint": "<api-endpoint>", "Method": "GET", "Path": "other"},
               "result": "success", "output": {}}),
        json!({"resourceType": "apigateway", "resource": "invoke",
               "parameters": {"ApiEndpoint": "<api-endpoint>", "Method": "GET", "Path": "missing"},
               "result": "failure", "error": "ApiGateway.403", "cause": "Forbidden"}),
    ];
    let got = block_on(run_definition(def, json!({"p": "missing"}), mocks.clone()));
    let got = got.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.error.as_deref(), Some("ApiGateway.403"));
    assert_eq!(got.cause.as_deref(), Some("Forbidden"));
    // parameters that match no recorded outcome still have no mock
    let got = block_on(run_definition(def, json!({"p": "elsewhere"}), mocks));
    let got = got.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.error.as_deref(), Some("Harness.NoMock"));
}

#[test]
fn unscoreable_reasons() {
    assert!(is_recorder_field_name(
        "executionSucceededEventDetails.output"
    ));
    assert!(!is_recorder_field_name("some output"));
    let got = Outcome {
        status: ExecutionStatus::Succeeded,
        output: Some(json!({"FunctionResult": 14})),
        error: None,
        cause: None,
        unheld_objects: Vec::new(),
    };
    let expected =
        json!({"status": "SUCCEEDED", "output": {"FunctionResult": "RandomNumberGenerated"}});
    let def = r#"{"x.$": "States.MathRandom(1, 99)"}"#;
    assert!(why_unscoreable(def, &expected, &got).is_some());
    assert!(why_unscoreable("{}", &expected, &got).is_none());
    let unheld = Outcome {
        unheld_objects: vec!["s3://b/k".into()],
        ..got
    };
    assert!(why_unscoreable("{}", &expected, &unheld).is_some_and(|r| r.contains("s3://b/k")));
}

#[test]
fn wildcards() {
    assert!(wild_eq(&json!("<uuid:1>"), &json!("abc")));
    assert!(wild_eq(
        &json!("arn:<partition>:lambda:<region>:1:function:x"),
        &json!("arn:aws:lambda:us-east-1:1:function:x")
    ));
    assert!(!wild_eq(&json!("arn:<partition>:x"), &json!("arn:aws:y")));
    assert!(wild_eq(&json!({"a": 1}), &json!("{\"a\": 1.0}")));
    assert!(wild_eq(&json!("date"), &json!(5)));
    assert_eq!(python_dumps(&json!({"a": [1, "x"]})), "{\"a\": [1, \"x\"]}");
}
