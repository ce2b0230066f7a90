//! `.waitForTaskToken` callbacks: the token table, `SendTaskSuccess`/`Failure`/`Heartbeat`, and
//! the token format.

use serde_json::Value;
use tokio::sync::mpsc;

use super::{Engine, lock};
use crate::entropy::Entropy;
use crate::error::EngineError;

/// What a callback API call hands the waiting Task.
#[derive(Debug)]
pub(super) enum Callback {
    Success(Value),
    Failure(String, Option<String>),
    Heartbeat,
}

/// A Task waiting for its token, and the execution it belongs to.
#[derive(Debug)]
pub(super) struct TokenSlot {
    pub(super) tx: mpsc::UnboundedSender<Callback>,
    pub(super) execution_arn: String,
}

/// How a token ended: what a late callback is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenEnd {
    Completed,
    TimedOut,
}

impl Engine {
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

/// A fresh token: URL-safe base64 (no padding) of 64 random hex digits.
pub(super) fn new_token(entropy: &dyn Entropy) -> String {
    let raw: String = (0..4)
        .map(|_| format!("{:016x}", entropy.next_u64()))
        .collect();
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.as_bytes())
}
