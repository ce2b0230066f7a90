//! The local Lambda service: Task states with `arn:aws:states:::lambda:invoke[.waitForTaskToken]`
//! call the handlers in this process, with the request and response shapes of the real Lambda
//! integration.

use crate::definitions::function_from_name;
use serde_json::{Value, json};
use std::sync::Arc;
use vod_core::contracts::LambdaFunction;
use vod_states::{TaskContext, TaskError, TaskInvoker};

/// A failed invocation: `error_type` is what `Retry`/`Catch` match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeError {
    pub error_type: String,
    pub message: String,
}

/// Runs a Lambda's handler on its JSON payload. [`vod_functions::FunctionHost`] is the real
/// one; tests may wrap it (fault injection, counting).
#[async_trait::async_trait]
pub trait LambdaHost: Send + Sync + 'static {
    async fn invoke(&self, function: LambdaFunction, payload: Value) -> Result<Value, InvokeError>;
}

#[async_trait::async_trait]
impl LambdaHost for vod_functions::FunctionHost {
    async fn invoke(&self, function: LambdaFunction, payload: Value) -> Result<Value, InvokeError> {
        vod_functions::FunctionHost::invoke(self, function, payload)
            .await
            .map_err(|e| InvokeError {
                error_type: e.error_type,
                message: e.message,
            })
    }
}

const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

/// Maps Lambda Task states to a [`LambdaHost`].
pub struct LambdaInvoker {
    host: Arc<dyn LambdaHost>,
}

impl std::fmt::Debug for LambdaInvoker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LambdaInvoker")
    }
}

impl LambdaInvoker {
    pub fn new(host: Arc<dyn LambdaHost>) -> Self {
        Self { host }
    }
}

/// What Lambda returns to Step Functions for a failed invocation: the error name is the
/// handler's `errorType`, the cause is Lambda's JSON error payload as text.
pub fn task_error(err: &InvokeError) -> TaskError {
    TaskError::new(
        err.error_type.clone(),
        json!({"errorMessage": err.message, "errorType": err.error_type}).to_string(),
    )
}

/// Calls `function` on its own task so a panicking handler becomes an error (as Lambda reports
/// it), not a dead execution.
pub async fn invoke_isolated(
    host: &Arc<dyn LambdaHost>,
    function: LambdaFunction,
    payload: Value,
) -> Result<Value, InvokeError> {
    let host = Arc::clone(host);
    match tokio::spawn(async move { host.invoke(function, payload).await }).await {
        Ok(result) => result,
        Err(join) => Err(InvokeError {
            error_type: "Runtime.Panic".to_owned(),
            message: format!("{} panicked: {join}", function.binary_name()),
        }),
    }
}

#[async_trait::async_trait]
impl TaskInvoker for LambdaInvoker {
    async fn invoke(
        &self,
        resource: &str,
        parameters: Value,
        ctx: TaskContext,
    ) -> Result<Value, TaskError> {
        if resource != LAMBDA_INVOKE && resource != format!("{LAMBDA_INVOKE}.waitForTaskToken") {
            return Err(TaskError::new(
                "States.Runtime",
                format!(
                    "vod-local only runs Lambda tasks; '{resource}' in state '{}' is not one",
                    ctx.state_name
                ),
            ));
        }
        let name = parameters
            .get("FunctionName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(function) = function_from_name(name) else {
            return Err(TaskError::new(
                "Lambda.ResourceNotFoundException",
                format!("Function not found: {name}"),
            ));
        };
        let payload = parameters
            .get("Payload")
            .cloned()
            .unwrap_or_else(|| json!({}));
        tracing::debug!(function = function.binary_name(), state = %ctx.state_name, execution = %ctx.execution_name, "invoke");
        match invoke_isolated(&self.host, function, payload).await {
            Ok(out) => Ok(json!({
                "ExecutedVersion": "$LATEST",
                "Payload": out,
                "SdkHttpMetadata": {"HttpStatusCode": 200},
                "SdkResponseMetadata": {"RequestId": uuid::Uuid::new_v4().to_string()},
                "StatusCode": 200,
            })),
            Err(err) => {
                tracing::info!(function = function.binary_name(), error = %err.error_type, message = %err.message, "handler failed");
                Err(task_error(&err))
            }
        }
    }
}
