//! Whole executions: stop, machine timeout, many at once, and the history shape.

use std::sync::Arc;

use serde_json::json;
use vod_states::{EngineError, ExecutionStatus, FakeClock};

use super::support::{CALLBACK, callback_engine, echo_engine, machine, paused_token, run, t0};

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

/// A seeded source: the same seed gives the same sequence.
#[derive(Debug)]
struct Seeded(std::sync::Mutex<u64>);

impl vod_states::Entropy for Seeded {
    fn next_u64(&self) -> u64 {
        let mut state = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        *state
    }
}

/// With a seeded entropy source and the runtime's paused clock, an execution is a function of
/// the seed: its task token, its retry waits (full jitter) and so its history are the same on
/// every run, and no wall-clock time passes.
#[test]
fn a_seeded_engine_on_paused_time_replays_exactly() {
    let def = json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"token.$": "$$.Task.Token"}, "TimeoutSeconds": 30, "End": true,
        "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 100, "MaxAttempts": 2,
                   "JitterStrategy": "FULL"}]}}});
    let run_once = |seed: u64| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build();
        let Ok(runtime) = runtime else {
            panic!("no runtime")
        };
        runtime.block_on(async {
            let clock = Arc::new(vod_states::RuntimeClock::starting_at(t0()));
            let (engine, tokens) = callback_engine(clock.clone());
            engine.set_entropy(Arc::new(Seeded(std::sync::Mutex::new(seed))));
            let d = engine.run(machine(def.clone()), json!({})).await.ok();
            let tokens = tokens.lock().map(|t| t.clone()).unwrap_or_default();
            (d.map(|d| (d.status, d.stop_date)), tokens)
        })
    };
    let first = run_once(7);
    assert_eq!(first.1.len(), 3, "three attempts, each with its own token");
    assert_eq!(first.0.as_ref().map(|d| d.0), Some(ExecutionStatus::Failed));
    assert_eq!(run_once(7), first);
    assert_ne!(run_once(8), first);
}
