//! `.waitForTaskToken` callbacks (success, failure, heartbeat) and Task timeouts.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use vod_states::{Engine, EngineError, ExecutionStatus, FakeClock, TaskError};

use super::support::{CALLBACK, callback_engine, machine, paused_token, run, settle, t0};

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
