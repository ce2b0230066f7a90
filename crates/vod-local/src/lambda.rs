//! The local Lambda service: Task states with `arn:aws:states:::lambda:invoke[.waitForTaskToken]`
//! call the handlers in this process, with the request and response shapes of the real Lambda
//! integration.

use crate::definitions::function_from_name;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use vod_core::contracts::LambdaFunction;
use vod_core::error_names;
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

/// Calls `function` on its own task, as Lambda would run it: a panicking handler becomes an
/// error (as Lambda reports it), not a dead execution, and a call still running at the
/// function's timeout ([`LambdaFunction::timeout`], the same number the CDK app deploys) is
/// stopped and reported as `Sandbox.Timedout`, so a hung dependency cannot hold a state or the
/// pump forever.
pub async fn invoke_isolated(
    host: &Arc<dyn LambdaHost>,
    function: LambdaFunction,
    payload: Value,
) -> Result<Value, InvokeError> {
    invoke_with_timeout(host, function, payload, function.timeout()).await
}

/// [`invoke_isolated`] with an explicit limit.
pub async fn invoke_with_timeout(
    host: &Arc<dyn LambdaHost>,
    function: LambdaFunction,
    payload: Value,
    limit: Duration,
) -> Result<Value, InvokeError> {
    let host = Arc::clone(host);
    let mut call = tokio::spawn(async move { host.invoke(function, payload).await });
    match tokio::time::timeout(limit, &mut call).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(InvokeError {
            error_type: "Runtime.Panic".to_owned(),
            message: format!("{} panicked: {join}", function.binary_name()),
        }),
        Err(_) => {
            // Lambda freezes and discards the sandbox; dropping the task is our equivalent.
            call.abort();
            tracing::warn!(
                function = function.binary_name(),
                limit_seconds = limit.as_secs_f64(),
                "invocation timed out"
            );
            Err(timed_out(limit))
        }
    }
}

/// What Lambda answers for an invocation killed at its timeout.
fn timed_out(limit: Duration) -> InvokeError {
    InvokeError {
        error_type: error_names::SANDBOX_TIMED_OUT.to_owned(),
        message: format!(
            "RequestId: {} Error: Task timed out after {:.2} seconds",
            uuid::Uuid::new_v4(),
            limit.as_secs_f64()
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A handler that never answers for one function and answers at once for the others.
    struct Hangs(LambdaFunction);

    #[async_trait::async_trait]
    impl LambdaHost for Hangs {
        async fn invoke(
            &self,
            function: LambdaFunction,
            payload: Value,
        ) -> Result<Value, InvokeError> {
            if function == self.0 {
                std::future::pending::<()>().await;
            }
            Ok(payload)
        }
    }

    #[tokio::test]
    async fn a_call_past_its_timeout_is_a_sandbox_timeout_like_lambda() {
        let host: Arc<dyn LambdaHost> = Arc::new(Hangs(LambdaFunction::CompletionHandler));
        let limit = Duration::from_millis(50);
        let err = invoke_with_timeout(&host, LambdaFunction::CompletionHandler, json!({}), limit)
            .await
            .unwrap_err();
        assert_eq!(err.error_type, "Sandbox.Timedout");
        assert!(
            err.message.contains("Task timed out after 0.05 seconds"),
            "{}",
            err.message
        );
        // Other functions are unaffected.
        let ok = invoke_isolated(&host, LambdaFunction::Notifier, json!({"a": 1})).await;
        assert_eq!(ok, Ok(json!({"a": 1})));
    }

    #[test]
    fn the_timeout_message_names_the_deployed_limit() {
        let err = timed_out(LambdaFunction::CompletionHandler.timeout());
        assert!(
            err.message.ends_with("Task timed out after 30.00 seconds"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_timed_out_task_state_sees_the_lambda_error_name() {
        let err = task_error(&timed_out(Duration::from_secs(1)));
        assert_eq!(err.error, "Sandbox.Timedout");
    }
}
