//! Each state type: Pass, Task, Choice, Wait, Succeed/Fail, Parallel, Map, and variable scope.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use vod_states::{Engine, ExecutionStatus, FakeClock, FnInvoker, StateMachine};

use super::support::{echo_engine, ok_output, run, t0};

#[tokio::test]
async fn pass_state_paths_and_templates() {
    let (engine, _) = echo_engine();
    let d = run(
        &engine,
        json!({"StartAt": "P", "States": {
            "P": {"Type": "Pass", "InputPath": "$.in", "Parameters": {"greeting.$": "States.Format('hi {}', $.name)", "exec.$": "$$.Execution.Name", "lit": [1]},
                  "ResultPath": "$.out", "OutputPath": "$.out", "Next": "R"},
            "R": {"Type": "Pass", "Result": {"fixed": true}, "ResultPath": "$.r", "Next": "N"},
            "N": {"Type": "Pass", "InputPath": null, "End": true}
        }}),
        json!({"in": {"name": "bob"}}),
    )
    .await;
    assert_eq!(ok_output(&d), json!({}));
    let h = engine.history(&d.execution_arn).unwrap_or_default();
    let exited: Vec<&Value> = h
        .iter()
        .filter(|e| e.event_type == "PassStateExited")
        .filter_map(|e| e.details.get("stateExitedEventDetails"))
        .collect();
    assert_eq!(exited.len(), 3);
    let first: Value =
        serde_json::from_str(exited[0]["output"].as_str().unwrap_or("null")).unwrap_or_default();
    assert_eq!(first["greeting"], "hi bob");
    assert_eq!(first["lit"], json!([1]));
    let second: Value =
        serde_json::from_str(exited[1]["output"].as_str().unwrap_or("null")).unwrap_or_default();
    assert_eq!(second["r"], json!({"fixed": true}));
}

#[tokio::test]
async fn task_state_result_selector_and_context() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let inv = FnInvoker::new(move |r, p, c| {
        seen2
            .lock()
            .map(|mut v| v.push((r.to_string(), p.clone(), c.state_name.clone())))
            .ok();
        Ok(json!({"Payload": {"v": p["x"]}, "StatusCode": 200}))
    });
    let engine = Engine::new(Arc::new(inv), Arc::new(FakeClock::instant(t0())));
    let d = run(
        &engine,
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"x.$": "$.a"}, "ResultSelector": {"value.$": "$.Payload.v"}, "ResultPath": "$.res", "End": true}}}),
        json!({"a": 7}),
    )
    .await;
    assert_eq!(ok_output(&d), json!({"a": 7, "res": {"value": 7}}));
    let calls = seen.lock().map(|v| v.clone()).unwrap_or_default();
    assert_eq!(
        calls,
        vec![(
            "arn:aws:states:::lambda:invoke".to_string(),
            json!({"x": 7}),
            "T".to_string()
        )]
    );
    let types: Vec<String> = engine
        .history(&d.execution_arn)
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn choice_default_and_no_match() {
    let (engine, _) = echo_engine();
    let def = |default: bool| {
        let mut d = json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [
                {"And": [{"Variable": "$.n", "IsNumeric": true}, {"Variable": "$.n", "NumericGreaterThan": 10}], "Next": "Big"},
                {"Variable": "$.s", "StringMatches": "sm*", "Next": "Small"}
            ]},
            "Big": {"Type": "Pass", "Result": "big", "End": true},
            "Small": {"Type": "Pass", "Result": "small", "End": true},
            "Other": {"Type": "Pass", "Result": "other", "End": true}
        }});
        if default {
            d["States"]["C"]["Default"] = json!("Other");
        }
        d
    };
    assert_eq!(
        ok_output(&run(&engine, def(true), json!({"n": 11})).await),
        json!("big")
    );
    assert_eq!(
        ok_output(&run(&engine, def(true), json!({"n": 1, "s": "small"})).await),
        json!("small")
    );
    assert_eq!(
        ok_output(&run(&engine, def(true), json!({"n": 1, "s": "x"})).await),
        json!("other")
    );
    // without Default, "Other" is unreachable: validation rejects it
    assert!(StateMachine::from_value(def(false)).is_err());
    let no_default = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "A"}]},
        "A": {"Type": "Succeed"}}});
    let d = run(&engine, no_default, json!({"n": 2})).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("States.NoChoiceMatched"));
}

#[tokio::test]
async fn wait_state_uses_the_clock() {
    let (engine, clock) = echo_engine();
    let d = run(
        &engine,
        json!({"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 30, "Next": "W2"},
            "W2": {"Type": "Wait", "SecondsPath": "$.s", "Next": "W3"},
            "W3": {"Type": "Wait", "Timestamp": "2024-01-01T01:00:00Z", "End": true}}}),
        json!({"s": 15}),
    )
    .await;
    assert_eq!(ok_output(&d), json!({"s": 15}));
    assert_eq!(
        clock.completed_sleeps()[..2],
        [Duration::from_secs(30), Duration::from_secs(15)]
    );
    assert_eq!(
        vod_states::Clock::now(&*clock),
        Utc.with_ymd_and_hms(2024, 1, 1, 1, 0, 0)
            .single()
            .unwrap_or_default()
    );
    let bad = run(
        &engine,
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}}),
        json!({"s": -1}),
    )
    .await;
    assert_eq!(bad.error.as_deref(), Some("States.Runtime"));
}

#[tokio::test]
async fn succeed_and_fail_states() {
    let (engine, _) = echo_engine();
    let d = run(
        &engine,
        json!({"StartAt": "S", "States": {"S": {"Type": "Succeed", "OutputPath": "$.a"}}}),
        json!({"a": 1}),
    )
    .await;
    assert_eq!(ok_output(&d), json!(1));
    let d = run(
        &engine,
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('because {}', $.c)"}}}),
        json!({"e": "Boom", "c": "x"}),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(
        (d.error.as_deref(), d.cause.as_deref()),
        (Some("Boom"), Some("because x"))
    );
}

#[tokio::test]
async fn parallel_state_collects_and_propagates_errors() {
    let (engine, _) = echo_engine();
    let d = run(
        &engine,
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 5, "Next": "B2"}, "B2": {"Type": "Pass", "InputPath": "$.x", "End": true}}}
        ]}}}),
        json!({"x": "y"}),
    )
    .await;
    assert_eq!(ok_output(&d), json!([1, "y"]));
    let d = run(
        &engine,
        json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Next": "Done", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "BranchBoom", "Cause": "c"}}}
            ], "Catch": [{"ErrorEquals": ["BranchBoom"], "ResultPath": "$.err", "Next": "Done"}]},
            "Done": {"Type": "Succeed"}}}),
        json!({}),
    )
    .await;
    assert_eq!(
        ok_output(&d),
        json!({"err": {"Error": "BranchBoom", "Cause": "c"}})
    );
}

#[tokio::test]
async fn map_state_items_selector_concurrency_and_tolerance() {
    let (engine, _) = echo_engine();
    let d = run(
        &engine,
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
            "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "k.$": "$.k"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "T",
                "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}},
            "End": true}}}),
        json!({"items": ["a", "b", "c"], "k": 0}),
    )
    .await;
    assert_eq!(
        ok_output(&d),
        json!([{"v": "a", "i": 0, "k": 0}, {"v": "b", "i": 1, "k": 0}, {"v": "c", "i": 2, "k": 0}])
    );
    let failing = |tolerated: u64| {
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ToleratedFailureCount": tolerated,
            "ItemProcessor": {"StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}], "Default": "OK"},
                "F": {"Type": "Fail", "Error": "Two"},
                "OK": {"Type": "Succeed"}}},
            "End": true}}})
    };
    let d = run(&engine, failing(1), json!([1, 2, 3])).await;
    assert_eq!(
        ok_output(&d),
        json!([1, {"Error": "Two", "Cause": null}, 3])
    );
    let d = run(&engine, failing(0), json!([1, 2, 3])).await;
    assert_eq!(
        d.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
}

#[tokio::test]
async fn variables_are_scoped() {
    let (engine, _) = echo_engine();
    let d = run(
        &engine,
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"x": 1, "y.$": "$.in"}, "Next": "M"},
            "M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "I", "States": {
                "I": {"Type": "Pass", "Assign": {"inner": 5}, "Parameters": {"x.$": "$x", "item.$": "$"}, "End": true}}},
                "ResultPath": "$.mapped", "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"x.$": "$x", "y.$": "$y", "m.$": "$.mapped"}, "End": true}}}),
        json!({"in": "v", "items": [1, 2]}),
    )
    .await;
    assert_eq!(
        ok_output(&d),
        json!({"x": 1, "y": "v", "m": [{"x": 1, "item": 1}, {"x": 1, "item": 2}]})
    );
    // a variable assigned inside the Map is not visible outside
    let d = run(
        &engine,
        json!({"StartAt": "M", "States": {
            "M": {"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Assign": {"inner": 5}, "End": true}}}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": true}}}),
        json!([1]),
    )
    .await;
    assert_eq!(d.error.as_deref(), Some("States.Runtime"));
}
