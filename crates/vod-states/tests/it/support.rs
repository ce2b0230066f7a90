//! What the tests share: a fixed start time, definitions, an echoing engine, running and
//! reading executions, and waiting for a paused task token.

use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use vod_states::{
    Engine, ExecutionDescription, ExecutionStatus, FakeClock, FnInvoker, StateMachine,
};

/// The fake clock's start: 2024-01-01T00:00:00Z.
pub fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Parses a test definition (a bad one fails the test).
pub fn machine(def: Value) -> Arc<StateMachine> {
    match StateMachine::from_value(def) {
        Ok(m) => Arc::new(m),
        Err(e) => panic!("invalid test definition: {e}"),
    }
}

/// An engine whose tasks return their parameters, on an instant fake clock at [`t0`].
pub fn echo_engine() -> (Engine, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::instant(t0()));
    let inv = FnInvoker::new(|_r, p, _c| Ok(p));
    (Engine::new(Arc::new(inv), clock.clone()), clock)
}

/// Runs `def` on `input` to the end.
pub async fn run(engine: &Engine, def: Value, input: Value) -> ExecutionDescription {
    match engine.run(machine(def), input).await {
        Ok(d) => d,
        Err(e) => panic!("engine error: {e}"),
    }
}

/// The output of an execution that must have succeeded.
pub fn ok_output(d: &ExecutionDescription) -> Value {
    assert_eq!(
        d.status,
        ExecutionStatus::Succeeded,
        "execution failed: {:?} {:?}",
        d.error,
        d.cause
    );
    d.output.clone().unwrap_or(Value::Null)
}

/// Lets spawned executions run until they block.
pub async fn settle() {
    for _ in 0..200 {
        tokio::task::yield_now().await;
    }
}

/// The token of the first execution paused on `.waitForTaskToken`.
pub async fn paused_token(engine: &Engine) -> String {
    for _ in 0..10_000 {
        if let Some((t, _)) = engine.pending_task_tokens().into_iter().next() {
            return t;
        }
        tokio::task::yield_now().await;
    }
    panic!("execution never paused on a task token")
}

/// A Task that waits for its token (heartbeat 5 s, timeout 100 s; a heartbeat timeout is caught).
pub const CALLBACK: &str = r#"{"StartAt": "Wait", "States": {
    "Wait": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
             "Parameters": {"token.$": "$$.Task.Token"}, "HeartbeatSeconds": 5, "TimeoutSeconds": 100, "Next": "Done",
             "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.hb", "Next": "Done"}]},
    "Done": {"Type": "Succeed"}}}"#;

/// An engine whose `.waitForTaskToken` tasks record the tokens they were given.
pub fn callback_engine(clock: Arc<dyn vod_states::Clock>) -> (Engine, Arc<Mutex<Vec<String>>>) {
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
