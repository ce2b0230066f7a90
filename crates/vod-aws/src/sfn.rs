//! [`TaskCallback`] on Step Functions: answers the paused Transcode state.

use crate::sdk_error::port_error;
use async_trait::async_trait;
use aws_sdk_sfn::Client;
use vod_core::ports::{PortResult, TaskCallback};

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
