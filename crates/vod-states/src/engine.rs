//! The execution engine: starts executions, interprets states, and handles task-token callbacks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, watch};

use crate::choice;
use crate::clock::Clock;
use crate::definition::{
    Graph, MapSpec, NumOrPath, State, StateKind, StateMachine, StrOrPath, Transition, WaitSpec,
};
use crate::error::{EngineError, Failure, names};
use crate::history::{HistoryEvent, details_key};
use crate::invoker::{self, Pattern, TaskContext, TaskInvoker};
use crate::item_reader::{self, ItemSource, ReadRequest};
use crate::path::{self, Env, PathError, Vars};

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
enum Callback {
    Success(Value),
    Failure(String, Option<String>),
    Heartbeat,
}

#[derive(Debug)]
struct TokenSlot {
    tx: mpsc::UnboundedSender<Callback>,
    execution_arn: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenEnd {
    Completed,
    TimedOut,
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs many independent executions of state machines inside one tokio runtime.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Creates an engine with default ARN settings.
    pub fn new(invoker: Arc<dyn TaskInvoker>, clock: Arc<dyn Clock>) -> Self {
        Self::with_config(invoker, clock, EngineConfig::default())
    }

    /// Gives the engine the S3 reader a distributed Map's `ItemReader` reads through. Without
    /// one, a Map state with an `ItemReader` fails with `States.ItemReaderFailed`. Only the first
    /// call has an effect.
    pub fn set_item_source(&self, source: Arc<dyn ItemSource>) {
        let _ = self.inner.item_source.set(source);
    }

    /// Creates an engine with explicit ARN settings.
    pub fn with_config(
        invoker: Arc<dyn TaskInvoker>,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                invoker,
                clock,
                config,
                item_source: OnceLock::new(),
                executions: Mutex::new(HashMap::new()),
                order: Mutex::new(Vec::new()),
                tokens: Mutex::new(HashMap::new()),
                ended_tokens: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The ARN this engine gives a state machine.
    pub fn state_machine_arn(&self, machine: &StateMachine) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{}",
            self.inner.config.region, self.inner.config.account, machine.name
        )
    }

    /// Starts an execution (must be called inside a tokio runtime) and returns its ARN.
    pub fn start_execution(
        &self,
        machine: Arc<StateMachine>,
        name: Option<String>,
        input: Value,
    ) -> Result<String, EngineError> {
        let name = name.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let sm_arn = self.state_machine_arn(&machine);
        let arn = format!(
            "arn:aws:states:{}:{}:execution:{}:{}",
            self.inner.config.region, self.inner.config.account, machine.name, name
        );
        let (done, _) = watch::channel(false);
        let (stop, _) = watch::channel(None);
        let record = Arc::new(ExecRecord {
            arn: arn.clone(),
            name,
            state_machine_arn: sm_arn,
            input: input.clone(),
            start: self.inner.clock.now(),
            state: Mutex::new(ExecState {
                status: ExecutionStatus::Running,
                output: None,
                error: None,
                cause: None,
                stop_date: None,
            }),
            history: Mutex::new(Vec::new()),
            done,
            stop,
        });
        {
            let mut execs = lock(&self.inner.executions);
            if execs.contains_key(&arn) {
                return Err(EngineError::ExecutionAlreadyExists(arn));
            }
            execs.insert(arn.clone(), record.clone());
            lock(&self.inner.order).push(arn.clone());
        }
        let run = Run {
            inner: self.inner.clone(),
            rec: record,
            machine,
        };
        let rec = run.rec.clone();
        let inner = self.inner.clone();
        let handle = tokio::spawn(async move { run.execute(input).await });
        tokio::spawn(async move {
            // An invoker that panics must not leave the execution RUNNING forever.
            if handle.await.is_err() && !*rec.done.borrow() {
                {
                    let mut st = lock(&rec.state);
                    st.status = ExecutionStatus::Failed;
                    st.error = Some(names::RUNTIME.into());
                    st.cause = Some("Internal error: the execution task panicked".into());
                    st.stop_date = Some(inner.clock.now());
                }
                rec.done.send_replace(true);
            }
        });
        Ok(arn)
    }

    fn record(&self, arn: &str) -> Result<Arc<ExecRecord>, EngineError> {
        lock(&self.inner.executions)
            .get(arn)
            .cloned()
            .ok_or_else(|| EngineError::ExecutionDoesNotExist(arn.to_string()))
    }

    /// Describes an execution.
    pub fn describe(&self, arn: &str) -> Result<ExecutionDescription, EngineError> {
        let rec = self.record(arn)?;
        Ok(describe_record(&rec))
    }

    /// Waits until the execution is no longer running and describes it.
    pub async fn wait(&self, arn: &str) -> Result<ExecutionDescription, EngineError> {
        let rec = self.record(arn)?;
        let mut rx = rec.done.subscribe();
        while !*rx.borrow_and_update() {
            if rx.changed().await.is_err() {
                break;
            }
        }
        Ok(describe_record(&rec))
    }

    /// Starts an execution and waits for it to finish.
    pub async fn run(
        &self,
        machine: Arc<StateMachine>,
        input: Value,
    ) -> Result<ExecutionDescription, EngineError> {
        let arn = self.start_execution(machine, None, input)?;
        self.wait(&arn).await
    }

    /// The execution history (`GetExecutionHistory` events, oldest first).
    pub fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>, EngineError> {
        Ok(lock(&self.record(arn)?.history).clone())
    }

    /// All executions in start order.
    pub fn list_executions(&self) -> Vec<ExecutionDescription> {
        let order = lock(&self.inner.order).clone();
        let execs = lock(&self.inner.executions);
        order
            .iter()
            .filter_map(|a| execs.get(a))
            .map(|r| describe_record(r))
            .collect()
    }

    /// Stops a running execution (status `ABORTED`). Stopping a finished execution is a no-op.
    pub fn stop_execution(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<(), EngineError> {
        let rec = self.record(arn)?;
        rec.stop.send_replace(Some((error, cause)));
        Ok(())
    }

    fn token_slot(&self, token: &str) -> Result<mpsc::UnboundedSender<Callback>, EngineError> {
        if token.is_empty() || token.len() > 2048 {
            return Err(EngineError::InvalidToken("Invalid token".into()));
        }
        if let Some(slot) = lock(&self.inner.tokens).get(token) {
            return Ok(slot.tx.clone());
        }
        match lock(&self.inner.ended_tokens).get(token) {
            Some(TokenEnd::TimedOut) => Err(EngineError::TaskTimedOut("Task Timed Out".into())),
            Some(TokenEnd::Completed) => Err(EngineError::TaskDoesNotExist(
                "Task is already completed".into(),
            )),
            None if is_well_formed_token(token) => {
                Err(EngineError::TaskDoesNotExist("Task does not exist".into()))
            }
            None => Err(EngineError::InvalidToken("Invalid token".into())),
        }
    }

    /// `SendTaskSuccess` with the output as JSON text, as the SFN API receives it.
    pub fn send_task_success_json(&self, token: &str, output: &str) -> Result<(), EngineError> {
        let value: Value =
            serde_json::from_str(output).map_err(|e| EngineError::InvalidOutput(e.to_string()))?;
        self.send_task_success(token, value)
    }

    fn complete_token(&self, token: &str, msg: Callback) -> Result<(), EngineError> {
        let tx = self.token_slot(token)?;
        let is_final = !matches!(msg, Callback::Heartbeat);
        if tx.send(msg).is_err() {
            return Err(EngineError::TaskDoesNotExist(
                "Task does not exist anymore".into(),
            ));
        }
        if is_final {
            lock(&self.inner.tokens).remove(token);
            lock(&self.inner.ended_tokens).insert(token.to_string(), TokenEnd::Completed);
        }
        Ok(())
    }

    /// `SendTaskSuccess`: completes a `.waitForTaskToken` task with `output`.
    pub fn send_task_success(&self, token: &str, output: Value) -> Result<(), EngineError> {
        self.complete_token(token, Callback::Success(output))
    }

    /// `SendTaskFailure`: fails a `.waitForTaskToken` task.
    pub fn send_task_failure(
        &self,
        token: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<(), EngineError> {
        self.complete_token(token, Callback::Failure(error.unwrap_or_default(), cause))
    }

    /// `SendTaskHeartbeat`: resets the task's heartbeat timer.
    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), EngineError> {
        self.complete_token(token, Callback::Heartbeat)
    }

    /// Task tokens currently waiting for a callback, with their execution ARN.
    pub fn pending_task_tokens(&self) -> Vec<(String, String)> {
        lock(&self.inner.tokens)
            .iter()
            .map(|(t, s)| (t.clone(), s.execution_arn.clone()))
            .collect()
    }
}

/// Tokens are URL-safe base64 (no padding) of 64 hex digits.
fn is_well_formed_token(token: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .is_ok_and(|raw| raw.len() == 64 && raw.iter().all(u8::is_ascii_hexdigit))
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

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Per graph-run mutable data: variables and the previous event id of this thread.
struct Frame {
    vars: Arc<Vars>,
    prev: u64,
    map_item: Option<Value>,
}

enum End {
    Done(Result<Value, Failure>),
    Aborted(Option<String>, Option<String>),
    TimedOut,
}

enum Step {
    Next(String, Value),
    End(Value),
}

struct Run {
    inner: Arc<Inner>,
    rec: Arc<ExecRecord>,
    machine: Arc<StateMachine>,
}

fn str_details(v: &Value) -> String {
    v.to_string()
}

fn runtime_prefix(state: &str, entered: u64, f: Failure) -> Failure {
    if !f.is_runtime() {
        return f;
    }
    let cause = f.cause.clone().unwrap_or_default();
    if cause.starts_with("An error occurred while executing the state") {
        return f;
    }
    Failure::runtime(format!(
        "An error occurred while executing the state '{state}' (entered at the event id #{entered}). {cause}"
    ))
}

fn missing_property_message(p: &str, value: &Value) -> String {
    // Jayway's wording: a missing intermediate property vs. a missing leaf.
    let mut cur = value;
    let mut shown = String::from("$");
    let body = p.trim_start_matches('$');
    let parts: Vec<&str> = body.split('.').filter(|s| !s.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let key = part.split('[').next().unwrap_or(part);
        shown.push_str(&format!("['{key}']"));
        match cur.get(key) {
            Some(next) => cur = next,
            None if i + 1 == parts.len() => {
                return format!("Invalid path '{p}' : No results for path: {shown}");
            }
            None => return format!("Invalid path '{p}' : Missing property in path {shown}"),
        }
    }
    format!("Invalid path '{p}' : No results for path: {shown}")
}

fn error_matches(list: &[String], f: &Failure) -> bool {
    if list.is_empty() {
        // AWS treats an empty ErrorEquals as matching every (non-runtime) error.
        return !f.is_runtime();
    }
    list.iter().any(|e| {
        e == &f.error
            || (e == names::ALL && !f.is_runtime())
            || (e == names::TASK_FAILED && f.error != names::TIMEOUT && !f.is_runtime())
            || (e == names::HEARTBEAT_TIMEOUT && f.heartbeat)
    })
}

fn retry_delay(r: &crate::definition::Retrier, attempt: u64) -> Duration {
    let exp = i32::try_from(attempt).unwrap_or(i32::MAX);
    let mut secs = r.interval_seconds * r.backoff_rate.powi(exp);
    if let Some(max) = r.max_delay_seconds {
        secs = secs.min(max);
    }
    if r.jitter_full {
        let rnd = uuid::Uuid::new_v4().as_u128() % 1_000_000;
        #[allow(clippy::cast_precision_loss)]
        let frac = rnd as f64 / 1_000_000.0;
        secs *= frac;
    }
    Duration::from_secs_f64(secs.clamp(0.0, 1.0e9))
}

impl Run {
    fn event(&self, frame: &mut Frame, ty: &str, details: Option<Value>) -> u64 {
        let mut hist = lock(&self.rec.history);
        let id = hist.len() as u64 + 1;
        let mut map = Map::new();
        if let (Some(d), Some(key)) = (details, details_key(ty)) {
            map.insert(key, d);
        }
        hist.push(HistoryEvent {
            timestamp: self.inner.clock.now(),
            event_type: ty.to_string(),
            id,
            previous_event_id: frame.prev,
            details: map,
        });
        frame.prev = id;
        id
    }

    fn context(
        &self,
        state: &str,
        entered: DateTime<Utc>,
        retry: Option<u64>,
        token: Option<&str>,
        item: Option<&Value>,
    ) -> Value {
        let mut ctx = json!({
            "Execution": {
                "Id": self.rec.arn,
                "Input": self.rec.input,
                "Name": self.rec.name,
                "RoleArn": self.inner.config.role_arn,
                "StartTime": iso(self.rec.start),
                "RedriveCount": 0,
            },
            "State": {"EnteredTime": iso(entered), "Name": state},
            "StateMachine": {"Id": self.rec.state_machine_arn, "Name": self.machine.name},
        });
        if let Value::Object(m) = &mut ctx {
            if let Some(retry) = retry
                && let Some(Value::Object(state)) = m.get_mut("State")
            {
                state.insert("RetryCount".into(), json!(retry));
            }
            if let Some(t) = token {
                m.insert("Task".into(), json!({"Token": t}));
            }
            if let Some(item) = item {
                m.insert("Map".into(), json!({"Item": item}));
            }
        }
        ctx
    }

    async fn execute(self, input: Value) {
        let mut frame = Frame {
            vars: Arc::new(Vars::new()),
            prev: 0,
            map_item: None,
        };
        self.event(
            &mut frame,
            "ExecutionStarted",
            Some(json!({
                "input": str_details(&input),
                "inputDetails": {"truncated": false},
                "roleArn": self.inner.config.role_arn,
            })),
        );
        let graph = self.machine.graph.clone();
        let mut stop_rx = self.rec.stop.subscribe();
        let timeout = self.machine.timeout_seconds;
        let clock = self.inner.clock.clone();
        let outcome = {
            let run = self.run_graph(&graph, input, &mut frame);
            let stop = async {
                loop {
                    if let Some(v) = stop_rx.borrow_and_update().clone() {
                        return v;
                    }
                    if stop_rx.changed().await.is_err() {
                        futures::future::pending::<()>().await;
                    }
                }
            };
            let time_out = async {
                match timeout {
                    Some(t) => clock.sleep(Duration::from_secs(t)).await,
                    None => futures::future::pending::<()>().await,
                }
            };
            tokio::select! {
                biased;
                stopped = stop => End::Aborted(stopped.0, stopped.1),
                r = run => End::Done(r),
                () = time_out => End::TimedOut,
            }
        };
        self.finish(&mut frame, outcome);
    }

    fn finish(&self, frame: &mut Frame, outcome: End) {
        let now = self.inner.clock.now();
        let (status, output, error, cause) = match outcome {
            End::Done(Ok(out)) => {
                self.event(
                    frame,
                    "ExecutionSucceeded",
                    Some(
                        json!({"output": str_details(&out), "outputDetails": {"truncated": false}}),
                    ),
                );
                (ExecutionStatus::Succeeded, Some(out), None, None)
            }
            End::Done(Err(f)) => {
                let error = Some(f.error.clone()).filter(|e| !e.is_empty());
                let mut d = Map::new();
                if let Some(e) = &error {
                    d.insert("error".into(), json!(e));
                }
                if let Some(c) = &f.cause {
                    d.insert("cause".into(), json!(c));
                }
                self.event(frame, "ExecutionFailed", Some(Value::Object(d)));
                (ExecutionStatus::Failed, None, error, f.cause)
            }
            End::Aborted(error, cause) => {
                let mut d = Map::new();
                if let Some(e) = &error {
                    d.insert("error".into(), json!(e));
                }
                if let Some(c) = &cause {
                    d.insert("cause".into(), json!(c));
                }
                self.event(frame, "ExecutionAborted", Some(Value::Object(d)));
                (ExecutionStatus::Aborted, None, error, cause)
            }
            End::TimedOut => {
                self.event(
                    frame,
                    "ExecutionTimedOut",
                    Some(json!({"error": names::TIMEOUT, "cause": "The execution timed out"})),
                );
                (
                    ExecutionStatus::TimedOut,
                    None,
                    Some(names::TIMEOUT.to_string()),
                    Some("The execution timed out".to_string()),
                )
            }
        };
        {
            let mut st = lock(&self.rec.state);
            st.status = status;
            st.output = output;
            st.error = error;
            st.cause = cause;
            st.stop_date = Some(now);
        }
        // release outstanding callback tokens of this execution
        {
            let mut tokens = lock(&self.inner.tokens);
            let dead: Vec<String> = tokens
                .iter()
                .filter(|(_, s)| s.execution_arn == self.rec.arn)
                .map(|(t, _)| t.clone())
                .collect();
            let mut ended = lock(&self.inner.ended_tokens);
            for t in dead {
                tokens.remove(&t);
                ended.insert(t, TokenEnd::Completed);
            }
        }
        self.rec.done.send_replace(true);
    }

    fn run_graph<'a>(
        &'a self,
        graph: &'a Graph,
        input: Value,
        frame: &'a mut Frame,
    ) -> BoxFuture<'a, Result<Value, Failure>> {
        async move {
            let mut name = graph.start_at.clone();
            let mut input = input;
            loop {
                let Some(state) = graph.states.get(&name) else {
                    return Err(Failure::runtime(format!("state '{name}' does not exist")));
                };
                match self.run_state(state, input, frame).await? {
                    Step::Next(n, out) => {
                        name = n;
                        input = out;
                    }
                    Step::End(out) => return Ok(out),
                }
            }
        }
        .boxed()
    }
}

/// Resolved numeric field: `Ok(None)` when absent.
fn resolve_positive_int(
    spec: Option<&NumOrPath>,
    field: &str,
    env: &Env<'_>,
) -> Result<Option<u64>, Failure> {
    match spec {
        None => Ok(None),
        Some(NumOrPath::Value(v)) => Ok(v.as_u64()),
        Some(NumOrPath::Path(p)) => {
            let v = path::eval_path(p, env)
                .map_err(|e| path::path_failure(p, &format!("{field}Path"), env, &e))?;
            match v.as_u64() {
                Some(n) if n > 0 => Ok(Some(n)),
                _ => Err(Failure::runtime(format!(
                    "The {field}Path field refers to value \"{}\" which is not a valid integer: {p}",
                    display_plain(&v)
                ))),
            }
        }
    }
}

/// Groups Map iteration inputs into `ItemBatcher` batches: `{"BatchInput": ..., "Items": [...]}`
/// holding at most `MaxItemsPerBatch` items and `MaxInputBytesPerBatch` bytes of items.
fn batch_inputs(
    batcher: &Value,
    inputs: Vec<(usize, Value, Value)>,
    env: &Env<'_>,
) -> Result<Vec<(usize, Value, Value)>, Failure> {
    let limit = |field: &str| -> Result<Option<u64>, Failure> {
        let v = match (
            batcher.get(field),
            batcher
                .get(format!("{field}Path").as_str())
                .and_then(Value::as_str),
        ) {
            (Some(v), _) => v.clone(),
            (None, Some(p)) => path::eval_path(p, env)
                .map_err(|e| path::path_failure(p, &format!("{field}Path"), env, &e))?,
            (None, None) => return Ok(None),
        };
        match int_like(&v) {
            Some(n) if n > 0 => Ok(u64::try_from(n).ok()),
            _ => Err(Failure::runtime(format!(
                "The {field}Path field refers to value \"{}\" which is not a valid integer: {}",
                display_plain(&v),
                batcher
                    .get(format!("{field}Path").as_str())
                    .and_then(Value::as_str)
                    .unwrap_or(field)
            ))),
        }
    };
    let max_items =
        limit("MaxItemsPerBatch")?.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let max_bytes = limit("MaxInputBytesPerBatch")?
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let batch_input = match batcher.get("BatchInput") {
        Some(t) => Some(path::eval_template(t, env)?),
        None => None,
    };
    let mut batches: Vec<Vec<Value>> = Vec::new();
    let mut bytes = 0usize;
    for (_, input, _) in inputs {
        let size = input.to_string().len();
        match batches.last_mut() {
            Some(b) if b.len() < max_items && bytes + size <= max_bytes => {
                bytes += size;
                b.push(input);
            }
            _ => {
                bytes = size;
                batches.push(vec![input]);
            }
        }
    }
    Ok(batches
        .into_iter()
        .enumerate()
        .map(|(i, items)| {
            let mut m = Map::new();
            if let Some(b) = &batch_input {
                m.insert("BatchInput".into(), b.clone());
            }
            m.insert("Items".into(), Value::Array(items));
            let batch = Value::Object(m);
            (i, batch.clone(), json!({"Index": i, "Value": batch}))
        })
        .collect())
}

/// An integer as Step Functions reads a `*Path` integer field: a JSON integer, or a string that
/// is one (a reference variable assigned `"2"` works like `2`).
fn int_like(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn display_plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn error_output(f: &Failure) -> Value {
    let mut m = Map::new();
    let error = if f.error.is_empty() {
        Value::Null
    } else {
        json!(f.error)
    };
    m.insert("Error".into(), error);
    m.insert(
        "Cause".into(),
        f.cause.clone().map_or(Value::Null, Value::String),
    );
    Value::Object(m)
}

impl Run {
    fn input_or_output_path(
        &self,
        p: Option<&String>,
        value: &Value,
        ctx: &Value,
        vars: &Vars,
    ) -> Result<Value, Failure> {
        match p {
            None => Ok(json!({})),
            Some(p) if p == "$" => Ok(value.clone()),
            Some(p) => {
                let env = Env {
                    input: value,
                    context: ctx,
                    vars,
                };
                path::eval_path(p, &env).map_err(|e| match e {
                    PathError::NotFound => Failure::runtime(missing_property_message(p, value)),
                    other => path::path_failure(p, "InputPath/OutputPath", &env, &other),
                })
            }
        }
    }

    async fn run_state(&self, st: &State, raw: Value, frame: &mut Frame) -> Result<Step, Failure> {
        let entered_time = self.inner.clock.now();
        let entered = self.event(
            frame,
            &format!("{}StateEntered", st.type_name),
            Some(json!({"name": st.name, "input": str_details(&raw), "inputDetails": {"truncated": false}})),
        );
        self.run_state_inner(st, raw, frame, entered, entered_time)
            .await
            .map_err(|f| runtime_prefix(&st.name, entered, f))
    }

    async fn run_state_inner(
        &self,
        st: &State,
        raw: Value,
        frame: &mut Frame,
        entered: u64,
        entered_time: DateTime<Utc>,
    ) -> Result<Step, Failure> {
        let _ = entered;
        let ctx = if st.uses_context {
            self.context(&st.name, entered_time, None, None, frame.map_item.as_ref())
        } else {
            Value::Null
        };
        let vars = frame.vars.clone();
        let eff = if matches!(st.kind, StateKind::Fail { .. }) {
            raw.clone()
        } else {
            self.input_or_output_path(st.input_path.as_ref(), &raw, &ctx, &vars)?
        };
        let env = Env {
            input: &eff,
            context: &ctx,
            vars: &vars,
        };
        match &st.kind {
            StateKind::Pass { result } => {
                let params = match &st.parameters {
                    Some(p) => path::eval_template(p, &env)?,
                    None => eff.clone(),
                };
                let result = result.clone().unwrap_or(params);
                self.complete(st, &raw, result, &ctx, frame, None)
            }
            StateKind::Succeed => {
                let out = self.input_or_output_path(st.output_path.as_ref(), &eff, &ctx, &vars)?;
                self.exit(st, frame, &out, None);
                Ok(Step::End(out))
            }
            StateKind::Fail { error, cause } => {
                let resolve =
                    |sp: &Option<StrOrPath>, field: &str| -> Result<Option<String>, Failure> {
                        match sp {
                            None => Ok(None),
                            Some(StrOrPath::Literal(s)) => Ok(Some(s.clone())),
                            Some(StrOrPath::Path(p)) => {
                                let v = path::eval_expression(p, field, &env)?;
                                Ok(Some(display_plain(&v)))
                            }
                        }
                    };
                let error = resolve(error, "ErrorPath")?;
                let cause = resolve(cause, "CausePath")?;
                Err(Failure {
                    error: error.unwrap_or_default(),
                    cause,
                    heartbeat: false,
                })
            }
            StateKind::Choice { choices, default } => {
                let mut chosen: Option<(&String, Option<&Value>)> = None;
                for rule in choices {
                    if choice::evaluate(&rule.rule, &env)? {
                        chosen = Some((&rule.next, rule.assign.as_ref()));
                        break;
                    }
                }
                let (next, rule_assign) = match chosen {
                    Some(c) => c,
                    None => match default {
                        Some(d) => (d, None),
                        None => {
                            return Err(Failure::new(names::NO_CHOICE_MATCHED, "No Matches!"));
                        }
                    },
                };
                let mut assigned = Map::new();
                for a in [st.assign.as_ref(), rule_assign].into_iter().flatten() {
                    if let Value::Object(m) = path::eval_template(a, &env)? {
                        assigned.extend(m);
                    }
                }
                let out = self.input_or_output_path(st.output_path.as_ref(), &eff, &ctx, &vars)?;
                self.apply_assign(frame, &assigned);
                self.exit(st, frame, &out, Some(&assigned));
                Ok(Step::Next(next.clone(), out))
            }
            StateKind::Wait(spec) => {
                let now = self.inner.clock.now();
                let dur = match spec {
                    WaitSpec::Seconds(v) => Duration::from_secs(v.as_u64().unwrap_or(0)),
                    WaitSpec::Timestamp(t) => until(t, now).unwrap_or_default(),
                    WaitSpec::SecondsPath(p) => {
                        let v = path::eval_path(p, &env)
                            .map_err(|e| path::path_failure(p, "SecondsPath", &env, &e))?;
                        match &v {
                            Value::Number(n) if n.as_u64().is_some() => {
                                Duration::from_secs(n.as_u64().unwrap_or(0))
                            }
                            Value::Number(n) if n.as_i64().is_some() => {
                                return Err(Failure::runtime(format!(
                                    "The SecondsPath parameter references a negative value: {p} == {v}"
                                )));
                            }
                            _ => {
                                return Err(Failure::runtime(format!(
                                    "The SecondsPath parameter cannot be parsed as a long value: {p} == {v}"
                                )));
                            }
                        }
                    }
                    WaitSpec::TimestampPath(p) => {
                        let v = path::eval_path(p, &env)
                            .map_err(|e| path::path_failure(p, "TimestampPath", &env, &e))?;
                        let ts = v.as_str().and_then(|s| until(s, now));
                        match ts {
                            Some(d) => d,
                            None => {
                                return Err(Failure::runtime(format!(
                                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {p} == {}",
                                    display_plain(&v)
                                )));
                            }
                        }
                    }
                };
                if !dur.is_zero() {
                    self.inner.clock.sleep(dur).await;
                }
                let assigned = match &st.assign {
                    Some(a) => match path::eval_template(a, &env)? {
                        Value::Object(m) => m,
                        _ => Map::new(),
                    },
                    None => Map::new(),
                };
                let out = self.input_or_output_path(st.output_path.as_ref(), &eff, &ctx, &vars)?;
                self.apply_assign(frame, &assigned);
                self.exit(st, frame, &out, Some(&assigned));
                Ok(self.transition(st, out))
            }
            StateKind::Task { .. } | StateKind::Parallel { .. } | StateKind::Map(_) => {
                Box::pin(self.run_recoverable(st, raw.clone(), eff, frame, entered_time)).await
            }
        }
    }

    fn transition(&self, st: &State, out: Value) -> Step {
        match &st.transition {
            Transition::Next(n) => Step::Next(n.clone(), out),
            _ => Step::End(out),
        }
    }

    fn apply_assign(&self, frame: &mut Frame, assigned: &Map<String, Value>) {
        if assigned.is_empty() {
            return;
        }
        let vars = Arc::make_mut(&mut frame.vars);
        for (k, v) in assigned {
            vars.insert(k.clone(), v.clone());
        }
    }

    fn exit(
        &self,
        st: &State,
        frame: &mut Frame,
        out: &Value,
        assigned: Option<&Map<String, Value>>,
    ) {
        let mut d = json!({"name": st.name, "output": str_details(out), "outputDetails": {"truncated": false}});
        if let (Some(a), Value::Object(m)) = (assigned.filter(|a| !a.is_empty()), &mut d) {
            let vars: Map<String, Value> = a
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
                .collect();
            m.insert("assignedVariables".into(), Value::Object(vars));
            m.insert(
                "assignedVariablesDetails".into(),
                json!({"truncated": false}),
            );
        }
        self.event(frame, &format!("{}StateExited", st.type_name), Some(d));
    }

    /// ResultSelector, ResultPath, Assign, OutputPath, exit event.
    fn complete(
        &self,
        st: &State,
        raw: &Value,
        result: Value,
        ctx: &Value,
        frame: &mut Frame,
        assign_override: Option<(&Value, &Value)>,
    ) -> Result<Step, Failure> {
        let vars = frame.vars.clone();
        let selected = match &st.result_selector {
            Some(sel) => path::eval_template(
                sel,
                &Env {
                    input: &result,
                    context: ctx,
                    vars: &vars,
                },
            )?,
            None => result,
        };
        let assigned = match assign_override.or(st.assign.as_ref().map(|a| (a, &selected))) {
            Some((a, input)) => match path::eval_template(
                a,
                &Env {
                    input,
                    context: ctx,
                    vars: &vars,
                },
            )? {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            None => Map::new(),
        };
        let with_result = path::set_result_path(raw, st.result_path.as_deref(), selected)
            .map_err(|m| Failure::new(names::RESULT_PATH_MATCH_FAILURE, m))?;
        let out = self.input_or_output_path(st.output_path.as_ref(), &with_result, ctx, &vars)?;
        self.apply_assign(frame, &assigned);
        self.exit(st, frame, &out, Some(&assigned));
        Ok(self.transition(st, out))
    }

    async fn run_recoverable(
        &self,
        st: &State,
        raw: Value,
        eff: Value,
        frame: &mut Frame,
        entered_time: DateTime<Utc>,
    ) -> Result<Step, Failure> {
        let mut counts = vec![0u64; st.retry.len()];
        let mut retry_count = 0u64;
        loop {
            let attempt = match &st.kind {
                StateKind::Task { .. } => {
                    // boxed so an execution's future only holds the active state's variant
                    Box::pin(self.task_attempt(st, &eff, frame, entered_time, retry_count)).await
                }
                StateKind::Parallel { branches } => {
                    Box::pin(self.parallel_attempt(st, branches, &eff, frame, entered_time)).await
                }
                StateKind::Map(spec) => {
                    Box::pin(self.map_attempt(st, spec, &eff, frame, entered_time)).await
                }
                _ => Err(Failure::runtime("internal: not a recoverable state")),
            };
            let f = match attempt {
                Ok(result) => {
                    let ctx = if st.uses_context {
                        self.context(&st.name, entered_time, None, None, frame.map_item.as_ref())
                    } else {
                        Value::Null
                    };
                    match self.complete(st, &raw, result, &ctx, frame, None) {
                        // a ResultPath that cannot be applied is an ordinary, catchable error
                        Err(f) if f.error == names::RESULT_PATH_MATCH_FAILURE => f,
                        other => return other,
                    }
                }
                Err(f) => f,
            };
            if f.is_runtime() {
                return Err(f);
            }
            if let Some(i) = st
                .retry
                .iter()
                .position(|r| error_matches(&r.error_equals, &f))
            {
                let r = &st.retry[i];
                if counts[i] < r.max_attempts {
                    let delay = retry_delay(r, counts[i]);
                    counts[i] += 1;
                    retry_count += 1;
                    if !delay.is_zero() {
                        self.inner.clock.sleep(delay).await;
                    }
                    continue;
                }
            }
            if let Some(c) = st.catch.iter().find(|c| error_matches(&c.error_equals, &f)) {
                let ctx = self.context(&st.name, entered_time, None, None, frame.map_item.as_ref());
                let err_out = error_output(&f);
                let vars = frame.vars.clone();
                let assigned = match &c.assign {
                    Some(a) => match path::eval_template(
                        a,
                        &Env {
                            input: &err_out,
                            context: &ctx,
                            vars: &vars,
                        },
                    )? {
                        Value::Object(m) => m,
                        _ => Map::new(),
                    },
                    None => Map::new(),
                };
                let out = path::set_result_path(&raw, c.result_path.as_deref(), err_out)
                    .map_err(|m| Failure::new(names::RESULT_PATH_MATCH_FAILURE, m))?;
                self.apply_assign(frame, &assigned);
                self.exit(st, frame, &out, Some(&assigned));
                return Ok(Step::Next(c.next.clone(), out));
            }
            return Err(f);
        }
    }

    fn new_token(&self) -> String {
        let raw = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.as_bytes())
    }

    async fn task_attempt(
        &self,
        st: &State,
        eff: &Value,
        frame: &mut Frame,
        entered_time: DateTime<Utc>,
        retry_count: u64,
    ) -> Result<Value, Failure> {
        let StateKind::Task {
            resource,
            timeout,
            heartbeat,
            credentials,
        } = &st.kind
        else {
            return Err(Failure::runtime("internal: not a task"));
        };
        let pattern = invoker::pattern(resource);
        let token = (pattern == Pattern::WaitForTaskToken).then(|| self.new_token());
        let ctx = self.context(
            &st.name,
            entered_time,
            Some(retry_count),
            token.as_deref(),
            frame.map_item.as_ref(),
        );
        let vars = frame.vars.clone();
        let env = Env {
            input: eff,
            context: &ctx,
            vars: &vars,
        };
        let params = match &st.parameters {
            Some(p) => path::eval_template(p, &env)?,
            None => eff.clone(),
        };
        let timeout = resolve_positive_int(timeout.as_ref(), "TimeoutSeconds", &env)?;
        let heartbeat = resolve_positive_int(heartbeat.as_ref(), "HeartbeatSeconds", &env)?;
        let (rtype, rname) = invoker::resource_parts(resource);
        let legacy = invoker::is_legacy_lambda(resource);
        let ev = |name: &str| -> String {
            if legacy {
                format!("LambdaFunction{name}")
            } else {
                format!("Task{name}")
            }
        };
        let base = |extra: Value| -> Value {
            let mut m = Map::new();
            if !legacy {
                m.insert("resourceType".into(), json!(rtype));
            }
            m.insert(
                "resource".into(),
                json!(if legacy { resource } else { &rname }),
            );
            if let Value::Object(e) = extra {
                m.extend(e);
            }
            Value::Object(m)
        };
        let mut sched = if legacy {
            json!({"input": str_details(&params), "inputDetails": {"truncated": false}})
        } else {
            json!({"region": self.inner.config.region, "parameters": str_details(&params)})
        };
        if let Value::Object(m) = &mut sched {
            if let Some(t) = timeout {
                m.insert("timeoutInSeconds".into(), json!(t));
            }
            if let Some(h) = heartbeat {
                m.insert("heartbeatInSeconds".into(), json!(h));
            }
        }
        self.event(frame, &ev("Scheduled"), Some(base(sched)));
        self.event(
            frame,
            &ev("Started"),
            if legacy { None } else { Some(base(json!({}))) },
        );
        let started = self.inner.clock.now();
        let mut rx = None;
        if let Some(t) = &token {
            let (tx, r) = mpsc::unbounded_channel();
            lock(&self.inner.tokens).insert(
                t.clone(),
                TokenSlot {
                    tx,
                    execution_arn: self.rec.arn.clone(),
                },
            );
            rx = Some(r);
        }
        let tctx = TaskContext {
            state_name: st.name.clone(),
            resource: resource.clone(),
            task_token: token.clone(),
            execution_arn: self.rec.arn.clone(),
            execution_name: self.rec.name.clone(),
            state_machine_arn: self.rec.state_machine_arn.clone(),
            retry_count,
            credentials: match credentials {
                Some(c) => Some(path::eval_template(c, &env)?),
                None => None,
            },
            context: ctx,
        };
        // nothing below needs the context or variables: free them before the task is awaited
        drop(vars);
        let clock = self.inner.clock.clone();
        let invoke = self.inner.invoker.invoke(resource, params, tctx);
        let timer = async {
            match timeout {
                Some(t) => clock.sleep(Duration::from_secs(t)).await,
                None => futures::future::pending::<()>().await,
            }
        };
        let first = tokio::select! {
            biased;
            r = invoke => Some(r),
            () = timer => None,
        };
        let end_token = |how: TokenEnd| {
            if let Some(t) = &token {
                lock(&self.inner.tokens).remove(t);
                lock(&self.inner.ended_tokens).insert(t.clone(), how);
            }
        };
        let timed_out = |this: &Self, frame: &mut Frame, heartbeat_hit: bool| -> Failure {
            this.event(
                frame,
                &ev("TimedOut"),
                Some(base(json!({"error": names::TIMEOUT, "cause": ""}))),
            );
            Failure {
                error: names::TIMEOUT.into(),
                cause: Some(String::new()),
                heartbeat: heartbeat_hit,
            }
        };
        let value = match first {
            None => {
                end_token(TokenEnd::TimedOut);
                return Err(timed_out(self, frame, false));
            }
            Some(Err(e)) => {
                end_token(TokenEnd::Completed);
                let mut d = json!({"error": e.error});
                if let (Some(c), Value::Object(m)) = (&e.cause, &mut d) {
                    m.insert("cause".into(), json!(c));
                }
                self.event(frame, &ev("Failed"), Some(base(d)));
                return Err(Failure {
                    error: e.error,
                    cause: e.cause,
                    heartbeat: false,
                });
            }
            Some(Ok(v)) => v,
        };
        let Some(mut rx) = rx else {
            let out = json!({"output": str_details(&value), "outputDetails": {"truncated": false}});
            self.event(frame, &ev("Succeeded"), Some(base(out)));
            return Ok(value);
        };
        self.event(
            frame,
            "TaskSubmitted",
            Some(base(
                json!({"output": str_details(&value), "outputDetails": {"truncated": false}}),
            )),
        );
        let deadline = timeout.map(|t| {
            started + chrono::Duration::seconds(i64::try_from(t).unwrap_or(i64::MAX / 1000))
        });
        loop {
            let now = clock.now();
            let remaining = deadline.map(|d| (d - now).to_std().unwrap_or_default());
            let hb = heartbeat.map(Duration::from_secs);
            let timer = async {
                match (remaining, hb) {
                    (Some(r), Some(h)) if h < r => {
                        clock.sleep(h).await;
                        true
                    }
                    (Some(r), _) => {
                        clock.sleep(r).await;
                        false
                    }
                    (None, Some(h)) => {
                        clock.sleep(h).await;
                        true
                    }
                    (None, None) => futures::future::pending::<bool>().await,
                }
            };
            let msg = tokio::select! {
                biased;
                m = rx.recv() => Ok(m),
                hb_hit = timer => Err(hb_hit),
            };
            match msg {
                Ok(Some(Callback::Heartbeat)) => continue,
                Ok(Some(Callback::Success(out))) => {
                    end_token(TokenEnd::Completed);
                    let d =
                        json!({"output": str_details(&out), "outputDetails": {"truncated": false}});
                    self.event(frame, "TaskSucceeded", Some(base(d)));
                    return Ok(out);
                }
                Ok(Some(Callback::Failure(error, cause))) => {
                    end_token(TokenEnd::Completed);
                    let mut d = json!({"error": error});
                    if let (Some(c), Value::Object(m)) = (&cause, &mut d) {
                        m.insert("cause".into(), json!(c));
                    }
                    self.event(frame, "TaskFailed", Some(base(d)));
                    return Err(Failure {
                        error,
                        cause,
                        heartbeat: false,
                    });
                }
                Ok(None) => {
                    end_token(TokenEnd::Completed);
                    return Err(Failure::new(
                        names::TASK_FAILED,
                        "The task token channel closed",
                    ));
                }
                Err(hb_hit) => {
                    end_token(TokenEnd::TimedOut);
                    return Err(timed_out(self, frame, hb_hit));
                }
            }
        }
    }

    async fn parallel_attempt(
        &self,
        st: &State,
        branches: &[Arc<Graph>],
        eff: &Value,
        frame: &mut Frame,
        entered_time: DateTime<Utc>,
    ) -> Result<Value, Failure> {
        let ctx = self.context(&st.name, entered_time, None, None, frame.map_item.as_ref());
        let vars = frame.vars.clone();
        let input = match &st.parameters {
            Some(p) => path::eval_template(
                p,
                &Env {
                    input: eff,
                    context: &ctx,
                    vars: &vars,
                },
            )?,
            None => eff.clone(),
        };
        let started = self.event(frame, "ParallelStateStarted", None);
        let futs = branches.iter().map(|b| {
            let input = input.clone();
            let vars = vars.clone();
            async move {
                let mut f = Frame {
                    vars,
                    prev: started,
                    map_item: None,
                };
                let r = self.run_graph(b, input, &mut f).await;
                r.map(|v| (v, f.prev))
            }
        });
        match futures::future::try_join_all(futs).await {
            Ok(results) => {
                frame.prev = results.iter().map(|(_, p)| *p).max().unwrap_or(frame.prev);
                self.event(frame, "ParallelStateSucceeded", None);
                Ok(Value::Array(results.into_iter().map(|(v, _)| v).collect()))
            }
            Err(f) => {
                if !f.is_runtime() {
                    let mut d = Map::new();
                    d.insert("error".into(), json!(f.error));
                    if let Some(c) = &f.cause {
                        d.insert("cause".into(), json!(c));
                    }
                    self.event(frame, "ParallelStateFailed", Some(Value::Object(d)));
                }
                Err(f)
            }
        }
    }

    /// Reads a distributed Map's items through the engine's [`ItemSource`].
    async fn read_items(&self, reader: &Value, env: &Env<'_>) -> Result<Vec<Value>, Failure> {
        let cfg = reader.get("ReaderConfig").cloned().unwrap_or(Value::Null);
        let max_items = match (
            cfg.get("MaxItems"),
            cfg.get("MaxItemsPath").and_then(Value::as_str),
        ) {
            (Some(v), _) => Some((v.clone(), "MaxItems")),
            (None, Some(p)) => Some((
                path::eval_path(p, env)
                    .map_err(|e| path::path_failure(p, "MaxItemsPath", env, &e))?,
                p,
            )),
            (None, None) => None,
        };
        let max_items = match max_items {
            None => None,
            Some((v, p)) => match int_like(&v) {
                Some(n) if n < 0 => {
                    return Err(Failure::new(
                        names::ITEM_READER_FAILED,
                        "field MaxItems must be positive",
                    ));
                }
                Some(n) => u64::try_from(n).ok(),
                None => {
                    return Err(Failure::runtime(format!(
                        "The MaxItemsPath field refers to value \"{}\" which is not a valid integer: {p}",
                        display_plain(&v)
                    )));
                }
            },
        };
        let parameters = match reader.get("Parameters") {
            Some(t) => path::eval_template(t, env)?,
            None => json!({}),
        };
        let request = ReadRequest {
            resource: reader
                .get("Resource")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            parameters,
            config: cfg,
            max_items,
        };
        let Some(source) = self.inner.item_source.get() else {
            return Err(Failure::new(
                names::ITEM_READER_FAILED,
                "no S3 item source is configured for this executor",
            ));
        };
        item_reader::read_items(source.as_ref(), &request).await
    }

    async fn map_attempt(
        &self,
        st: &State,
        spec: &MapSpec,
        eff: &Value,
        frame: &mut Frame,
        entered_time: DateTime<Utc>,
    ) -> Result<Value, Failure> {
        let ctx = self.context(&st.name, entered_time, None, None, frame.map_item.as_ref());
        let vars = frame.vars.clone();
        let env = Env {
            input: eff,
            context: &ctx,
            vars: &vars,
        };
        let items = match &spec.item_reader {
            // boxed: keeps the common (ItemsPath) Map future small
            Some(reader) => Box::pin(self.read_items(reader, &env)).await?,
            None => {
                let items = path::eval_path(&spec.items_path, &env)
                    .map_err(|e| path::path_failure(&spec.items_path, "ItemsPath", &env, &e))?;
                let Value::Array(items) = items else {
                    return Err(Failure::runtime(format!(
                        "Invalid path '{}': The ItemsPath field must reference a JSON array, but got {}",
                        spec.items_path, items
                    )));
                };
                items
            }
        };
        let max_conc = match &spec.max_concurrency {
            None => 0,
            Some(NumOrPath::Value(v)) => v.as_u64().unwrap_or(0),
            Some(NumOrPath::Path(p)) => {
                let v = path::eval_path(p, &env)
                    .map_err(|e| path::path_failure(p, "MaxConcurrencyPath", &env, &e))?;
                match int_like(&v).map(u64::try_from) {
                    Some(Ok(n)) => n,
                    Some(Err(_)) => {
                        return Err(Failure::runtime("MaxConcurrency cannot be negative."));
                    }
                    None => {
                        return Err(Failure::runtime(format!(
                            "The MaxConcurrencyPath field refers to value \"{}\" which is not a valid integer: {p}",
                            display_plain(&v)
                        )));
                    }
                }
            }
        };
        let tol_count = match &spec.tolerated_count {
            None => None,
            Some(NumOrPath::Value(v)) => v.as_u64(),
            Some(NumOrPath::Path(p)) => {
                let v = path::eval_path(p, &env)
                    .map_err(|e| path::path_failure(p, "ToleratedFailureCountPath", &env, &e))?;
                match int_like(&v).map(u64::try_from) {
                    Some(Ok(n)) => Some(n),
                    Some(Err(_)) => {
                        return Err(Failure::runtime(
                            "ToleratedFailureCount cannot be negative.",
                        ));
                    }
                    None => {
                        return Err(Failure::runtime(format!(
                            "The ToleratedFailureCountPath field refers to value \"{}\" which is not a valid integer: {p}",
                            display_plain(&v)
                        )));
                    }
                }
            }
        };
        let tol_pct = match &spec.tolerated_percentage {
            None => None,
            Some(NumOrPath::Value(v)) => v.as_f64(),
            Some(NumOrPath::Path(p)) => {
                let v = path::eval_path(p, &env).map_err(|e| {
                    path::path_failure(p, "ToleratedFailurePercentagePath", &env, &e)
                })?;
                match v.as_f64() {
                    Some(f) if (0.0..=100.0).contains(&f) => Some(f),
                    Some(_) => {
                        return Err(Failure::runtime(
                            "ToleratedFailurePercentage must be between 0 and 100.",
                        ));
                    }
                    None => {
                        return Err(Failure::runtime(format!(
                            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {p}",
                            display_plain(&v)
                        )));
                    }
                }
            }
        };
        // iteration inputs
        let mut inputs: Vec<(usize, Value, Value)> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_ctx_value = json!({"Index": i, "Value": item});
            let input = match &spec.item_selector {
                Some(sel) => {
                    let ictx =
                        self.context(&st.name, entered_time, None, None, Some(&item_ctx_value));
                    path::eval_template(
                        sel,
                        &Env {
                            input: eff,
                            context: &ictx,
                            vars: &vars,
                        },
                    )?
                }
                None => item.clone(),
            };
            inputs.push((i, input, item_ctx_value));
        }
        if let Some(batcher) = &spec.item_batcher {
            inputs = batch_inputs(batcher, inputs, &env)?;
        }
        let total = inputs.len();
        let started = self.event(frame, "MapStateStarted", Some(json!({"length": total})));
        let limit = if max_conc == 0 {
            total.max(1)
        } else {
            usize::try_from(max_conc).unwrap_or(usize::MAX)
        };
        let processor = spec.processor.clone();
        let hist_frame = Arc::new(Mutex::new(started));
        let stream = futures::stream::iter(inputs.into_iter().map(|(i, input, item)| {
            let vars = vars.clone();
            let processor = processor.clone();
            let hist_frame = hist_frame.clone();
            async move {
                let mut f = Frame {
                    vars,
                    prev: *lock(&hist_frame),
                    map_item: Some(item),
                };
                self.event(
                    &mut f,
                    "MapIterationStarted",
                    Some(json!({"name": st.name, "index": i})),
                );
                let r = self.run_graph(&processor, input, &mut f).await;
                match &r {
                    Ok(_) => {
                        self.event(
                            &mut f,
                            "MapIterationSucceeded",
                            Some(json!({"name": st.name, "index": i})),
                        );
                    }
                    Err(e) if !e.is_runtime() => {
                        self.event(
                            &mut f,
                            "MapIterationFailed",
                            Some(json!({"name": st.name, "index": i})),
                        );
                    }
                    Err(_) => {}
                }
                let mut last = lock(&hist_frame);
                *last = (*last).max(f.prev);
                r
            }
        }))
        .buffered(limit);
        futures::pin_mut!(stream);
        let mut results = Vec::with_capacity(total);
        let mut failures = 0usize;
        let has_tolerance = tol_count.is_some() || tol_pct.is_some();
        while let Some(r) = stream.next().await {
            match r {
                Ok(v) => results.push(v),
                Err(f) if f.is_runtime() => return Err(f),
                Err(f) => {
                    failures += 1;
                    let exceeded = if has_tolerance {
                        let by_count = tol_count.is_some_and(|c| failures as u64 > c);
                        #[allow(clippy::cast_precision_loss)]
                        let by_pct = tol_pct
                            .is_some_and(|p| (failures as f64) * 100.0 / (total.max(1) as f64) > p);
                        let both_zero =
                            tol_count.unwrap_or(0) == 0 && tol_pct.unwrap_or(0.0) == 0.0;
                        if tol_count.is_some() && tol_pct.is_some() {
                            by_count || by_pct || both_zero
                        } else {
                            by_count || by_pct
                        }
                    } else {
                        true
                    };
                    if exceeded {
                        frame.prev = *lock(&hist_frame);
                        let failure = if has_tolerance {
                            Failure::new(
                                names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                "The specified tolerated failure threshold for the Map Run has been exceeded",
                            )
                        } else {
                            f
                        };
                        self.event(frame, "MapStateFailed", None);
                        return Err(failure);
                    }
                    results.push(error_output(&f));
                }
            }
        }
        frame.prev = *lock(&hist_frame);
        self.event(frame, "MapStateSucceeded", None);
        Ok(Value::Array(results))
    }
}

fn until(ts: &str, now: DateTime<Utc>) -> Option<Duration> {
    let t = choice::parse_timestamp(ts)?;
    Some((t.with_timezone(&Utc) - now).to_std().unwrap_or_default())
}
