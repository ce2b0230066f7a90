//! Behaviours recorded on AWS that the executor reproduces: timestamp validation, ItemReader,
//! integer `*Path` values, and the runtime-error causes.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use vod_states::{
    Engine, ExecutionDescription, ExecutionStatus, FakeClock, FnInvoker, StateMachine,
};

fn engine() -> Engine {
    let clock = Arc::new(FakeClock::instant(
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default(),
    ));
    Engine::new(Arc::new(FnInvoker::new(|_r, p, _c| Ok(p))), clock)
}

async fn run(engine: &Engine, def: Value, input: Value) -> ExecutionDescription {
    let m = match StateMachine::from_value(def) {
        Ok(m) => Arc::new(m),
        Err(e) => panic!("invalid test definition: {e}"),
    };
    match engine.run(m, input).await {
        Ok(d) => d,
        Err(e) => panic!("engine error: {e}"),
    }
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
