//! The [`TaskInvoker`] trait through which Task states call the outside world.

use serde_json::Value;

use crate::error::TaskError;

/// Everything a task invocation knows besides its parameters.
#[derive(Debug, Clone)]
pub struct TaskContext {
    /// Name of the Task state.
    pub state_name: String,
    /// The `Resource` ARN as written in the definition.
    pub resource: String,
    /// Task token for `.waitForTaskToken` resources.
    pub task_token: Option<String>,
    /// Execution ARN.
    pub execution_arn: String,
    /// Execution name.
    pub execution_name: String,
    /// State machine ARN.
    pub state_machine_arn: String,
    /// 0 for the first attempt, then 1, 2, ... for retries.
    pub retry_count: u64,
    /// `Credentials` of the state, if any.
    pub credentials: Option<Value>,
    /// The full context object (`$$`).
    pub context: Value,
}

/// Calls task resources. For `.waitForTaskToken` resources the returned value is the
/// "submitted" service response; the task completes later through the engine's
/// `send_task_success`/`send_task_failure`.
#[async_trait::async_trait]
pub trait TaskInvoker: Send + Sync {
    /// Invokes `resource` with the effective `parameters`.
    async fn invoke(
        &self,
        resource: &str,
        parameters: Value,
        ctx: TaskContext,
    ) -> Result<Value, TaskError>;
}

/// Splits a resource ARN into the history `resourceType` and `resource`
/// (`arn:aws:states:::lambda:invoke` → `("lambda", "invoke")`).
pub fn resource_parts(resource: &str) -> (String, String) {
    if let Some(rest) = resource.strip_prefix("arn:aws:states:::") {
        if let Some(sdk) = rest.strip_prefix("aws-sdk:")
            && let Some((svc, action)) = sdk.split_once(':')
        {
            return (format!("aws-sdk:{svc}"), action.to_string());
        }
        if let Some((svc, action)) = rest.split_once(':') {
            return (svc.to_string(), action.to_string());
        }
        return (rest.to_string(), String::new());
    }
    let parts: Vec<&str> = resource.split(':').collect();
    if parts.len() > 2 && parts[2] == "lambda" {
        return ("lambda".into(), resource.to_string());
    }
    if parts.len() > 2 {
        return (parts[2].to_string(), resource.to_string());
    }
    (String::new(), resource.to_string())
}

/// Whether the resource is a legacy Lambda ARN (history uses `LambdaFunction*` events).
pub fn is_legacy_lambda(resource: &str) -> bool {
    let parts: Vec<&str> = resource.split(':').collect();
    parts.len() > 5 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function"
}

/// The integration pattern of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Request/response.
    RequestResponse,
    /// `.sync` (treated as request/response).
    Sync,
    /// `.waitForTaskToken`.
    WaitForTaskToken,
}

/// Determines the integration pattern from the resource ARN.
pub fn pattern(resource: &str) -> Pattern {
    if resource.ends_with(".waitForTaskToken") {
        Pattern::WaitForTaskToken
    } else if resource.ends_with(".sync") || resource.ends_with(".sync:2") {
        Pattern::Sync
    } else {
        Pattern::RequestResponse
    }
}

/// Boxed closure type used by [`FnInvoker`].
pub type InvokeFn = dyn Fn(&str, Value, &TaskContext) -> Result<Value, TaskError> + Send + Sync;

/// A [`TaskInvoker`] backed by a synchronous closure — handy for tests and local twins.
#[derive(Clone)]
pub struct FnInvoker(std::sync::Arc<InvokeFn>);

impl std::fmt::Debug for FnInvoker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnInvoker")
    }
}

impl FnInvoker {
    /// Wraps a closure `(resource, parameters, context) -> result`.
    pub fn new(
        f: impl Fn(&str, Value, &TaskContext) -> Result<Value, TaskError> + Send + Sync + 'static,
    ) -> Self {
        Self(std::sync::Arc::new(f))
    }
}

#[async_trait::async_trait]
impl TaskInvoker for FnInvoker {
    async fn invoke(
        &self,
        resource: &str,
        parameters: Value,
        ctx: TaskContext,
    ) -> Result<Value, TaskError> {
        (self.0)(resource, parameters, &ctx)
    }
}
