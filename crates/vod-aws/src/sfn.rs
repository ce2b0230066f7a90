//! [`TaskCallback`] on Step Functions: answers the paused Transcode state; [`Executions`]:
//! what became of an execution (`DescribeExecution`), for the reconciler.

use crate::sdk_error::port_error;
use async_trait::async_trait;
use aws_sdk_sfn::Client;
use aws_sdk_sfn::types::ExecutionStatus as SdkStatus;
use vod_core::ports::{Executions, PortErrorKind, PortResult, TaskCallback};
use vod_core::reconcile::ExecutionState;

/// Step Functions limits: error 256 characters, cause 32 768.
const MAX_ERROR: usize = 256;
const MAX_CAUSE: usize = 32_768;

#[derive(Debug, Clone)]
pub struct SfnTaskCallback {
    client: Client,
}

impl SfnTaskCallback {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[async_trait]
impl TaskCallback for SfnTaskCallback {
    async fn succeed(&self, task_token: &str, output: &serde_json::Value) -> PortResult<()> {
        self.client
            .send_task_success()
            .task_token(task_token)
            .output(output.to_string())
            .send()
            .await
            .map_err(|e| port_error("SendTaskSuccess", e))?;
        Ok(())
    }

    async fn fail(&self, task_token: &str, error: &str, cause: &str) -> PortResult<()> {
        self.client
            .send_task_failure()
            .task_token(task_token)
            .error(clip(error, MAX_ERROR))
            .cause(clip(cause, MAX_CAUSE))
            .send()
            .await
            .map_err(|e| port_error("SendTaskFailure", e))?;
        Ok(())
    }

    async fn heartbeat(&self, task_token: &str) -> PortResult<()> {
        self.client
            .send_task_heartbeat()
            .task_token(task_token)
            .send()
            .await
            .map_err(|e| port_error("SendTaskHeartbeat", e))?;
        Ok(())
    }
}

/// [`Executions`] on Step Functions' `DescribeExecution`.
#[derive(Debug, Clone)]
pub struct SfnExecutions {
    client: Client,
}

impl SfnExecutions {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl Executions for SfnExecutions {
    async fn status(&self, execution_arn: &str) -> PortResult<Option<ExecutionState>> {
        let out = match self
            .client
            .describe_execution()
            .execution_arn(execution_arn)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = port_error("DescribeExecution", e);
                // ExecutionDoesNotExist: expired from history (90 days), or never existed.
                return if e.kind == PortErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        Ok(Some(match out.status() {
            SdkStatus::Running => ExecutionState::Running,
            SdkStatus::Succeeded => ExecutionState::Succeeded,
            SdkStatus::Failed => ExecutionState::Failed,
            SdkStatus::TimedOut => ExecutionState::TimedOut,
            SdkStatus::Aborted => ExecutionState::Aborted,
            SdkStatus::PendingRedrive => ExecutionState::PendingRedrive,
            // A status newer than this SDK: treat as running, so nothing is failed on a guess.
            _ => ExecutionState::Running,
        }))
    }
}
