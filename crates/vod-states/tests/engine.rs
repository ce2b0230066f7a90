//! Behavioural tests of the engine: every state type, Retry timing, Catch precedence, callbacks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use vod_states::{
    Engine, EngineError, ExecutionDescription, ExecutionStatus, FakeClock, FnInvoker, StateMachine,
    TaskError,
};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn machine(def: Value) -> Arc<StateMachine> {
    match StateMachine::from_value(def) {
        Ok(m) => Arc::new(m),
        Err(e) => panic!("invalid test definition: {e}"),
    }
}

fn echo_engine() -> (Engine, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::instant(t0()));
    let inv = FnInvoker::new(|_r, p, _c| Ok(p));
    (Engine::new(Arc::new(inv), clock.clone()), clock)
}

async fn run(engine: &Engine, def: Value, input: Value) -> ExecutionDescription {
    match engine.run(machine(def), input).await {
        Ok(d) => d,
        Err(e) => panic!("engine error: {e}"),
    }
}

fn ok_output(d: &ExecutionDescription) -> Value {
    assert_eq!(
        d.status,
        ExecutionStatus::Succeeded,
        "execution failed: {:?} {:?}",
        d.error,
        d.cause
    );
    d.output.clone().unwrap_or(Value::Null)
}

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
async fn retry_delays_follow_backoff_and_max_delay() {
    let clock = Arc::new(FakeClock::instant(t0()));
    let calls = Arc::new(AtomicUsize::new(0));
    let calls2 = calls.clone();
    let inv = FnInvoker::new(move |_r, _p, c| {
        let n = calls2.fetch_add(1, Ordering::SeqCst);
        if n < 5 {
            assert_eq!(c.retry_count, n as u64);
        }
        if n < 4 {
            Err(TaskError::new("Lambda.ServiceException", "flaky"))
        } else {
            Ok(json!("ok"))
        }
    });
    let engine = Engine::new(Arc::new(inv), clock.clone());
    let d = run(
        &engine,
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
            "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "BackoffRate": 3.0, "MaxAttempts": 5, "MaxDelaySeconds": 20}]}}}),
        json!({}),
    )
    .await;
    assert_eq!(ok_output(&d), json!("ok"));
    // interval × backoff^n capped by MaxDelaySeconds: 2, 6, 18, min(54, 20)
    assert_eq!(
        clock.completed_sleeps(),
        [2, 6, 18, 20].map(Duration::from_secs).to_vec()
    );
    // MaxAttempts 0 means no retry; exhausted retries fall through to failure
    let d = run(
        &engine,
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "x", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]}}}),
        json!({}),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Succeeded); // call #6 succeeds (counter > 4)
    assert_eq!(clock.completed_sleeps().len(), 4);
}

#[tokio::test]
async fn jitter_full_never_exceeds_the_computed_delay() {
    let clock = Arc::new(FakeClock::instant(t0()));
    let calls = Arc::new(AtomicUsize::new(0));
    let calls2 = calls.clone();
    let inv = FnInvoker::new(move |_r, _p, _c| {
        if calls2.fetch_add(1, Ordering::SeqCst) < 3 {
            Err(TaskError::new("E", ""))
        } else {
            Ok(json!(1))
        }
    });
    let engine = Engine::new(Arc::new(inv), clock.clone());
    let d = run(
        &engine,
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "x", "End": true,
            "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 4, "MaxAttempts": 3, "JitterStrategy": "FULL"}]}}}),
        json!({}),
    )
    .await;
    assert_eq!(ok_output(&d), json!(1));
    for (sleep, max) in clock.completed_sleeps().iter().zip([4u64, 8, 16]) {
        assert!(*sleep <= Duration::from_secs(max));
    }
}

fn failing_engine(error: &'static str) -> Engine {
    let inv = FnInvoker::new(move |_r, _p, _c| Err(TaskError::new(error, "cause text")));
    Engine::new(Arc::new(inv), Arc::new(FakeClock::instant(t0())))
}

fn catch_def(catchers: Value) -> Value {
    json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "x", "End": true, "Catch": catchers},
        "A": {"Type": "Pass", "Result": "A", "End": true},
        "B": {"Type": "Pass", "Result": "B", "End": true},
        "C": {"Type": "Pass", "Result": "C", "End": true}}})
}

#[tokio::test]
async fn catch_precedence() {
    let catchers = json!([
        {"ErrorEquals": ["Specific"], "Next": "A"},
        {"ErrorEquals": ["States.TaskFailed"], "Next": "B"},
        {"ErrorEquals": ["States.ALL"], "Next": "C"}
    ]);
    // first matching catcher wins, in order
    assert_eq!(
        ok_output(
            &run(
                &failing_engine("Specific"),
                catch_def(catchers.clone()),
                json!({})
            )
            .await
        ),
        json!("A")
    );
    assert_eq!(
        ok_output(
            &run(
                &failing_engine("Other"),
                catch_def(catchers.clone()),
                json!({})
            )
            .await
        ),
        json!("B")
    );
    // States.TaskFailed does not match States.Timeout, States.ALL does
    assert_eq!(
        ok_output(
            &run(
                &failing_engine("States.Timeout"),
                catch_def(catchers),
                json!({})
            )
            .await
        ),
        json!("C")
    );
    // States.ALL must be alone and last
    assert!(StateMachine::from_value(catch_def(json!([{"ErrorEquals": ["States.ALL"], "Next": "A"}, {"ErrorEquals": ["X"], "Next": "B"}]))).is_err());
    assert!(
        StateMachine::from_value(catch_def(
            json!([{"ErrorEquals": ["States.ALL", "X"], "Next": "A"}])
        ))
        .is_err()
    );
    // the error output lands at ResultPath
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "x", "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "A"}]},
        "A": {"Type": "Succeed"}}});
    assert_eq!(
        ok_output(&run(&failing_engine("Boom"), def, json!({"keep": 1})).await),
        json!({"keep": 1, "error": {"Error": "Boom", "Cause": "cause text"}})
    );
}

#[tokio::test]
async fn runtime_errors_are_not_caught() {
    let (engine, _) = echo_engine();
    let d = run(
        &engine,
        json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "x", "OutputPath": "$.missing", "End": true,
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}]},
            "A": {"Type": "Succeed"}}}),
        json!({}),
    )
    .await;
    assert_eq!(d.error.as_deref(), Some("States.Runtime"));
    assert!(
        d.cause
            .unwrap_or_default()
            .contains("(entered at the event id #2)")
    );
}

#[tokio::test]
async fn intrinsic_failures_are_catchable() {
    let (engine, _) = echo_engine();
    let d = run(
        &engine,
        json!({"StartAt": "P", "States": {
            "P": {"Type": "Task", "Resource": "x", "Parameters": {"v.$": "States.ArrayGetItem($.a, 5)"}, "End": true,
                  "Catch": [{"ErrorEquals": ["States.IntrinsicFailure"], "ResultPath": "$.e", "Next": "A"}]},
            "A": {"Type": "Pass", "InputPath": "$.e.Error", "End": true}}}),
        json!({"a": [1]}),
    )
    .await;
    assert_eq!(ok_output(&d), json!("States.IntrinsicFailure"));
}

const CALLBACK: &str = r#"{"StartAt": "Wait", "States": {
    "Wait": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
             "Parameters": {"token.$": "$$.Task.Token"}, "HeartbeatSeconds": 5, "TimeoutSeconds": 100, "Next": "Done",
             "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.hb", "Next": "Done"}]},
    "Done": {"Type": "Succeed"}}}"#;

async fn settle() {
    for _ in 0..200 {
        tokio::task::yield_now().await;
    }
}

async fn paused_token(engine: &Engine) -> String {
    for _ in 0..10_000 {
        if let Some((t, _)) = engine.pending_task_tokens().into_iter().next() {
            return t;
        }
        tokio::task::yield_now().await;
    }
    panic!("execution never paused on a task token")
}

fn callback_engine(clock: Arc<FakeClock>) -> (Engine, Arc<Mutex<Vec<String>>>) {
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let t2 = tokens.clone();
    let inv = FnInvoker::new(move |_r, p, c| {
        assert_eq!(p["token"].as_str(), c.task_token.as_deref());
        t2.lock()
            .map(|mut v| v.push(c.task_token.clone().unwrap_or_default()))
            .ok();
        Ok(json!({"StatusCode": 202}))
    });
    (Engine::new(Arc::new(inv), clock), tokens)
}

#[tokio::test(flavor = "current_thread")]
async fn callback_success_and_token_reuse() {
    let clock = Arc::new(FakeClock::manual(t0()));
    let (engine, _) = callback_engine(clock);
    let arn = engine
        .start_execution(
            machine(serde_json::from_str(CALLBACK).unwrap_or_default()),
            None,
            json!({}),
        )
        .unwrap_or_default();
    let token = paused_token(&engine).await;
    settle().await;
    assert_eq!(
        engine.describe(&arn).map(|d| d.status).ok(),
        Some(ExecutionStatus::Running)
    );
    assert!(engine.send_task_heartbeat(&token).is_ok());
    assert!(
        engine
            .send_task_success(&token, json!({"done": true}))
            .is_ok()
    );
    let d = engine.wait(&arn).await.ok();
    assert_eq!(d.and_then(|d| d.output), Some(json!({"done": true})));
    assert!(matches!(
        engine.send_task_success(&token, json!(1)),
        Err(EngineError::TaskDoesNotExist(_))
    ));
    assert!(matches!(
        engine.send_task_success("nope", json!(1)),
        Err(EngineError::InvalidToken(_))
    ));
    // well-formed but never issued
    let unknown =
        "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMA";
    assert!(matches!(
        engine.send_task_success(unknown, json!(1)),
        Err(EngineError::TaskDoesNotExist(_))
    ));
    assert!(matches!(
        engine.send_task_success_json(&token, "{not json"),
        Err(EngineError::InvalidOutput(_))
    ));
    assert!(matches!(
        engine.send_task_success("", json!(1)),
        Err(EngineError::InvalidToken(_))
    ));
    let types: Vec<String> = engine
        .history(&arn)
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert!(types.contains(&"TaskSubmitted".to_string()));
}

#[tokio::test(flavor = "current_thread")]
async fn callback_failure() {
    let clock = Arc::new(FakeClock::manual(t0()));
    let (engine, _) = callback_engine(clock);
    let arn = engine
        .start_execution(
            machine(serde_json::from_str(CALLBACK).unwrap_or_default()),
            None,
            json!({}),
        )
        .unwrap_or_default();
    let token = paused_token(&engine).await;
    assert!(
        engine
            .send_task_failure(&token, Some("Rejected".into()), Some("bad input".into()))
            .is_ok()
    );
    let d = engine.wait(&arn).await.ok();
    assert_eq!(
        d.as_ref().and_then(|d| d.error.clone()).as_deref(),
        Some("Rejected")
    );
    assert_eq!(d.and_then(|d| d.cause).as_deref(), Some("bad input"));
}

#[tokio::test(flavor = "current_thread")]
async fn callback_heartbeat_timeout() {
    let clock = Arc::new(FakeClock::manual(t0()));
    let (engine, _) = callback_engine(clock.clone());
    let arn = engine
        .start_execution(
            machine(serde_json::from_str(CALLBACK).unwrap_or_default()),
            None,
            json!({}),
        )
        .unwrap_or_default();
    let token = paused_token(&engine).await;
    settle().await;
    clock.advance(Duration::from_secs(3));
    settle().await;
    assert!(engine.send_task_heartbeat(&token).is_ok());
    settle().await;
    clock.advance(Duration::from_secs(4)); // 7s total, 4s since the heartbeat
    settle().await;
    assert_eq!(
        engine.describe(&arn).map(|d| d.status).ok(),
        Some(ExecutionStatus::Running)
    );
    clock.advance(Duration::from_secs(2)); // 6s since the heartbeat
    let d = engine.wait(&arn).await.ok();
    assert_eq!(
        d.and_then(|d| d.output),
        Some(json!({"hb": {"Error": "States.Timeout", "Cause": ""}}))
    );
    assert!(matches!(
        engine.send_task_success(&token, json!(1)),
        Err(EngineError::TaskTimedOut(_))
    ));
}

#[tokio::test]
async fn task_timeout_fires_when_the_task_hangs() {
    struct Hang;
    #[async_trait::async_trait]
    impl vod_states::TaskInvoker for Hang {
        async fn invoke(
            &self,
            _r: &str,
            _p: Value,
            _c: vod_states::TaskContext,
        ) -> Result<Value, TaskError> {
            futures::future::pending().await
        }
    }
    let engine = Engine::new(Arc::new(Hang), Arc::new(FakeClock::instant(t0())));
    let d = run(
        &engine,
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "x", "TimeoutSeconds": 3, "End": true}}}),
        json!({}),
    )
    .await;
    assert_eq!(d.error.as_deref(), Some("States.Timeout"));
}

#[tokio::test(flavor = "current_thread")]
async fn stop_and_machine_timeout() {
    let clock = Arc::new(FakeClock::manual(t0()));
    let (engine, _) = callback_engine(clock.clone());
    let arn = engine
        .start_execution(
            machine(serde_json::from_str(CALLBACK).unwrap_or_default()),
            Some("n1".into()),
            json!({}),
        )
        .unwrap_or_default();
    paused_token(&engine).await;
    assert!(
        engine
            .stop_execution(&arn, Some("Stopped".into()), None)
            .is_ok()
    );
    let d = engine.wait(&arn).await.ok();
    assert_eq!(d.map(|d| d.status), Some(ExecutionStatus::Aborted));
    assert!(matches!(
        engine.start_execution(
            machine(serde_json::from_str(CALLBACK).unwrap_or_default()),
            Some("n1".into()),
            json!({})
        ),
        Err(EngineError::ExecutionAlreadyExists(_))
    ));
    let (engine, _) = echo_engine();
    let d = run(
        &engine,
        json!({"TimeoutSeconds": 10, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}}),
        json!({}),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::TimedOut);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_executions_run_independently() {
    let (engine, _) = echo_engine();
    let m = machine(
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "x", "ResultPath": "$.r", "End": true}}}),
    );
    let arns: Vec<String> = (0..200)
        .filter_map(|i| {
            engine
                .start_execution(m.clone(), Some(format!("e{i}")), json!({"i": i}))
                .ok()
        })
        .collect();
    for (i, arn) in arns.iter().enumerate() {
        let d = engine.wait(arn).await.ok();
        assert_eq!(
            d.and_then(|d| d.output),
            Some(json!({"i": i, "r": {"i": i}}))
        );
    }
    assert_eq!(engine.list_executions().len(), 200);
}

#[tokio::test]
async fn history_serializes_like_get_execution_history() {
    let (engine, _) = echo_engine();
    let d = run(
        &engine,
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}),
        json!({"a": 1}),
    )
    .await;
    let h = engine.history(&d.execution_arn).unwrap_or_default();
    let v = serde_json::to_value(&h).unwrap_or_default();
    assert_eq!(v[0]["type"], "ExecutionStarted");
    assert_eq!(v[0]["id"], 1);
    assert_eq!(v[0]["previousEventId"], 0);
    assert_eq!(v[0]["executionStartedEventDetails"]["input"], "{\"a\":1}");
    assert_eq!(v[1]["stateEnteredEventDetails"]["name"], "A");
    assert_eq!(v[2]["previousEventId"], 2);
    assert_eq!(v[3]["type"], "ExecutionSucceeded");
}
