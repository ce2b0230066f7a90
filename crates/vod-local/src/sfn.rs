//! The Step Functions API (awsJson 1.0: `POST /`, `X-Amz-Target: AWSStepFunctions.<Op>`) over
//! the `vod-states` engine, for one state machine. Errors carry the names `aws-sdk-sfn` knows.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::sync::Arc;
use vod_states::{Engine, EngineError, ExecutionDescription, ExecutionStatus, StateMachine};

/// An API error: awsJson `__type` + `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub type_name: &'static str,
    pub message: String,
}

impl ApiError {
    fn new(type_name: &'static str, message: impl Into<String>) -> Self {
        Self {
            type_name,
            message: message.into(),
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::ExecutionDoesNotExist(m) => Self::new(
                "ExecutionDoesNotExist",
                format!("Execution Does Not Exist: '{m}'"),
            ),
            EngineError::ExecutionAlreadyExists(m) => Self::new(
                "ExecutionAlreadyExists",
                format!("Execution Already Exists: '{m}'"),
            ),
            EngineError::InvalidToken(m) => Self::new("InvalidToken", m),
            EngineError::TaskDoesNotExist(m) => Self::new("TaskDoesNotExist", m),
            EngineError::TaskTimedOut(m) => Self::new("TaskTimedOut", m),
            EngineError::InvalidOutput(m) => Self::new("InvalidOutput", m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
            json!({"__type": self.type_name, "message": self.message}).to_string(),
        )
            .into_response()
    }
}

/// One state machine on one engine.
#[derive(Debug, Clone)]
pub struct StepFunctions {
    engine: Engine,
    machine: Arc<StateMachine>,
    arn: String,
    role_arn: String,
    created: DateTime<Utc>,
}

fn epoch(t: DateTime<Utc>) -> Value {
    #[allow(clippy::cast_precision_loss)]
    let secs = t.timestamp_millis() as f64 / 1000.0;
    json!(secs)
}

/// Execution names: 1–80 of `[A-Za-z0-9-_]` (what AWS accepts for logging-friendly names).
pub fn execution_name(raw: &str) -> String {
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.truncate(80);
    name
}

impl StepFunctions {
    pub fn new(engine: Engine, machine: StateMachine, role_arn: String) -> Self {
        let arn = engine.state_machine_arn(&machine);
        Self {
            engine,
            machine: Arc::new(machine),
            arn,
            role_arn,
            created: Utc::now(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn state_machine_arn(&self) -> &str {
        &self.arn
    }

    fn check_machine(&self, arn: Option<&str>) -> Result<(), ApiError> {
        match arn {
            Some(a) if a == self.arn => Ok(()),
            Some(a) => Err(ApiError::new(
                "StateMachineDoesNotExist",
                format!("State Machine Does Not Exist: '{a}'"),
            )),
            None => Err(ApiError::validation("stateMachineArn is required")),
        }
    }

    /// StartExecution. Starting an existing name with the same input while it runs returns that
    /// execution (AWS's idempotent start); otherwise `ExecutionAlreadyExists`.
    pub fn start(
        &self,
        name: Option<String>,
        input: Value,
    ) -> Result<(String, DateTime<Utc>), ApiError> {
        if let Some(n) = &name
            && (n.is_empty() || n.len() > 80)
        {
            return Err(ApiError::new("InvalidName", format!("Invalid Name: '{n}'")));
        }
        match self
            .engine
            .start_execution(Arc::clone(&self.machine), name, input.clone())
        {
            Ok(arn) => {
                let started = self.engine.describe(&arn)?.start_date;
                Ok((arn, started))
            }
            Err(EngineError::ExecutionAlreadyExists(arn)) => {
                let existing = self.engine.describe(&arn)?;
                if existing.status == ExecutionStatus::Running && existing.input == input {
                    Ok((arn, existing.start_date))
                } else {
                    Err(EngineError::ExecutionAlreadyExists(arn).into())
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Dispatches one awsJson operation.
    pub fn call(&self, op: &str, req: &Value) -> Result<Value, ApiError> {
        let s = |k: &str| req.get(k).and_then(Value::as_str);
        let required =
            |k: &str| s(k).ok_or_else(|| ApiError::validation(format!("{k} is required")));
        match op {
            "StartExecution" => {
                self.check_machine(s("stateMachineArn"))?;
                let input = match s("input") {
                    Some(text) => serde_json::from_str(text).map_err(|e| {
                        ApiError::new(
                            "InvalidExecutionInput",
                            format!("Invalid execution input: {e}"),
                        )
                    })?,
                    None => json!({}),
                };
                let (arn, started) = self.start(s("name").map(str::to_owned), input)?;
                Ok(json!({"executionArn": arn, "startDate": epoch(started)}))
            }
            "DescribeExecution" => {
                let d = self.describe(required("executionArn")?)?;
                let mut out = json!({
                    "executionArn": d.execution_arn,
                    "stateMachineArn": d.state_machine_arn,
                    "name": d.name,
                    "status": d.status.as_str(),
                    "startDate": epoch(d.start_date),
                    "input": d.input.to_string(),
                    "inputDetails": {"included": true},
                });
                if let Some(stop) = d.stop_date {
                    out["stopDate"] = epoch(stop);
                }
                if let Some(o) = &d.output {
                    out["output"] = json!(o.to_string());
                    out["outputDetails"] = json!({"included": true});
                }
                if let Some(e) = d.error {
                    out["error"] = json!(e);
                }
                if let Some(c) = d.cause {
                    out["cause"] = json!(c);
                }
                Ok(out)
            }
            "ListExecutions" => {
                self.check_machine(s("stateMachineArn"))?;
                let filter = s("statusFilter");
                let mut all: Vec<ExecutionDescription> = self
                    .engine
                    .list_executions()
                    .into_iter()
                    .filter(|d| filter.is_none_or(|f| f == d.status.as_str()))
                    .collect();
                all.reverse(); // newest first, like AWS
                let items: Vec<Value> = all.iter().map(list_item).collect();
                Ok(page(items, req, "executions"))
            }
            "GetExecutionHistory" => {
                let mut events = self.engine.history(required("executionArn")?)?;
                if req.get("reverseOrder").and_then(Value::as_bool) == Some(true) {
                    events.reverse();
                }
                let items = events
                    .iter()
                    .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
                    .collect();
                Ok(page(items, req, "events"))
            }
            "StopExecution" => {
                let arn = required("executionArn")?;
                self.engine.stop_execution(
                    arn,
                    s("error").map(str::to_owned),
                    s("cause").map(str::to_owned),
                )?;
                Ok(json!({"stopDate": epoch(Utc::now())}))
            }
            "SendTaskSuccess" => {
                let output = required("output")?;
                self.engine
                    .send_task_success_json(required("taskToken")?, output)?;
                Ok(json!({}))
            }
            "SendTaskFailure" => {
                self.engine.send_task_failure(
                    required("taskToken")?,
                    s("error").map(str::to_owned),
                    s("cause").map(str::to_owned),
                )?;
                Ok(json!({}))
            }
            "SendTaskHeartbeat" => {
                self.engine.send_task_heartbeat(required("taskToken")?)?;
                Ok(json!({}))
            }
            "DescribeStateMachine" => {
                self.check_machine(s("stateMachineArn"))?;
                Ok(json!({
                    "stateMachineArn": self.arn,
                    "name": self.machine.name,
                    "status": "ACTIVE",
                    "definition": self.machine.definition.to_string(),
                    "roleArn": self.role_arn,
                    "type": "STANDARD",
                    "creationDate": epoch(self.created),
                }))
            }
            "ListStateMachines" => Ok(json!({"stateMachines": [{
                "stateMachineArn": self.arn,
                "name": self.machine.name,
                "type": "STANDARD",
                "creationDate": epoch(self.created),
            }]})),
            other => Err(ApiError::new(
                "UnknownOperationException",
                format!("vod-local does not implement {other}"),
            )),
        }
    }

    fn describe(&self, arn: &str) -> Result<ExecutionDescription, ApiError> {
        Ok(self.engine.describe(arn)?)
    }
}

fn list_item(d: &ExecutionDescription) -> Value {
    let mut v = json!({
        "executionArn": d.execution_arn,
        "stateMachineArn": d.state_machine_arn,
        "name": d.name,
        "status": d.status.as_str(),
        "startDate": epoch(d.start_date),
    });
    if let Some(stop) = d.stop_date {
        v["stopDate"] = epoch(stop);
    }
    v
}

/// `maxResults` / `nextToken` (an offset) pagination.
fn page(items: Vec<Value>, req: &Value, key: &str) -> Value {
    let start = req
        .get("nextToken")
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(0);
    let max = req
        .get("maxResults")
        .and_then(Value::as_u64)
        .filter(|m| *m > 0)
        .map_or(1000, |m| usize::try_from(m).unwrap_or(1000));
    let end = start.saturating_add(max).min(items.len());
    let slice: Vec<Value> = items
        .get(start.min(end)..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let mut out = json!({ key: slice });
    if end < items.len() {
        out["nextToken"] = json!(end.to_string());
    }
    out
}

/// The HTTP router: `POST /` only.
pub fn router(api: Arc<StepFunctions>) -> axum::Router {
    axum::Router::new().route("/", post(handle)).with_state(api)
}

async fn handle(
    State(api): State<Arc<StepFunctions>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(op) = target.strip_prefix("AWSStepFunctions.") else {
        return ApiError::new(
            "UnknownOperationException",
            format!("unknown target '{target}'"),
        )
        .into_response();
    };
    let req: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return ApiError::new("SerializationException", e.to_string()).into_response();
            }
        }
    };
    match api.call(op, &req) {
        Ok(v) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
            v.to_string(),
        )
            .into_response(),
        Err(e) => {
            tracing::debug!(op, error = e.type_name, message = %e.message, "sfn api error");
            e.into_response()
        }
    }
}
