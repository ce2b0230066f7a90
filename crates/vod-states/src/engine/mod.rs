//! The execution engine: starts executions, interprets states, and handles task-token callbacks.
//!
//! - `api`: the public `Engine` calls (start, describe, wait, history, stop).
//! - `tokens`: `.waitForTaskToken` callbacks (`SendTaskSuccess`/`Failure`/`Heartbeat`).
//! - `run`: one execution's run loop: events, the context object, the simple states, paths.
//! - `retry`: `Retry` and `Catch` around Task, Parallel and Map attempts.
//! - `task`: one Task attempt (invoke, timeouts, heartbeats).
//! - `parallel`: one Parallel attempt.
//! - `map`: one Map attempt, with the `ItemReader` and `ItemBatcher` glue.
//! - `numbers`: numeric fields given literally or through a `*Path`.

mod api;
mod map;
mod numbers;
mod parallel;
mod retry;
mod run;
mod task;
mod tokens;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::entropy::{Entropy, OsEntropy};
use crate::history::HistoryEvent;
use crate::invoker::TaskInvoker;
use crate::item_reader::ItemSource;
use tokens::{TokenEnd, TokenSlot};

/// Status of an execution (`DescribeExecution` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// Still running (or paused on a task token).
    Running,
    /// Finished successfully.
    Succeeded,
    /// Failed.
    Failed,
    /// Exceeded the machine-level `TimeoutSeconds`.
    TimedOut,
    /// Stopped through `stop_execution`.
    Aborted,
}

impl ExecutionStatus {
    /// The status as the Step Functions API spells it (`RUNNING`, `TIMED_OUT`, ...); the same
    /// text the serde form uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Aborted => "ABORTED",
        }
    }
}

impl std::fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `DescribeExecution` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDescription {
    /// Execution ARN.
    pub execution_arn: String,
    /// State machine ARN.
    pub state_machine_arn: String,
    /// Execution name.
    pub name: String,
    /// Status.
    pub status: ExecutionStatus,
    /// Input.
    pub input: Value,
    /// Output (when succeeded).
    pub output: Option<Value>,
    /// Error (when failed/timed out/aborted).
    pub error: Option<String>,
    /// Cause.
    pub cause: Option<String>,
    /// Start time.
    pub start_date: DateTime<Utc>,
    /// Stop time.
    pub stop_date: Option<DateTime<Utc>>,
}

/// Engine settings used in ARNs and history.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Region used in ARNs.
    pub region: String,
    /// Account id used in ARNs.
    pub account: String,
    /// Role ARN reported in the context object and history.
    pub role_arn: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            role_arn: "arn:aws:iam::123456789012:role/StepFunctionsLocal".into(),
        }
    }
}

#[derive(Debug)]
struct ExecState {
    status: ExecutionStatus,
    output: Option<Value>,
    error: Option<String>,
    cause: Option<String>,
    stop_date: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct ExecRecord {
    arn: String,
    name: String,
    state_machine_arn: String,
    input: Value,
    start: DateTime<Utc>,
    state: Mutex<ExecState>,
    history: Mutex<Vec<HistoryEvent>>,
    done: watch::Sender<bool>,
    stop: watch::Sender<Option<(Option<String>, Option<String>)>>,
}

struct Inner {
    invoker: Arc<dyn TaskInvoker>,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
    item_source: OnceLock<Arc<dyn ItemSource>>,
    entropy: OnceLock<Arc<dyn Entropy>>,
    executions: Mutex<HashMap<String, Arc<ExecRecord>>>,
    order: Mutex<Vec<String>>,
    tokens: Mutex<HashMap<String, TokenSlot>>,
    ended_tokens: Mutex<HashMap<String, TokenEnd>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("clock", &self.clock)
            .field("config", &self.config)
            .finish()
    }
}

impl Inner {
    /// Tokens, jitter and default names draw from here: the operating system unless
    /// [`Engine::set_entropy`] gave a source.
    fn entropy(&self) -> &dyn Entropy {
        match self.entropy.get() {
            Some(source) => source.as_ref(),
            None => &OsEntropy,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs many independent executions of state machines inside one tokio runtime.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

fn describe_record(rec: &ExecRecord) -> ExecutionDescription {
    let st = lock(&rec.state);
    ExecutionDescription {
        execution_arn: rec.arn.clone(),
        state_machine_arn: rec.state_machine_arn.clone(),
        name: rec.name.clone(),
        status: st.status,
        input: rec.input.clone(),
        output: st.output.clone(),
        error: st.error.clone(),
        cause: st.cause.clone(),
        start_date: rec.start,
        stop_date: st.stop_date,
    }
}
