//! Retry timing (backoff, max delay, jitter), Catch precedence, and what is not caught.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use vod_states::{Engine, ExecutionStatus, FakeClock, FnInvoker, StateMachine, TaskError};

use super::support::{echo_engine, ok_output, run, t0};

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
