//! The event pump: what EventBridge rule targets do on AWS. S3 "Object Created" events start an
//! execution (named after the event id, so a redelivered event joins the execution it already
//! started); MediaConvert job events go to the completion handler. A message is deleted only
//! after it was handled (at-least-once, like AWS); one that keeps failing is dropped after
//! [`MAX_RECEIVES`] attempts, as a redrive policy would move it to a dead-letter queue.
//!
//! Up to [`MAX_IN_FLIGHT`] messages of a queue are handled at once, in no particular order (an
//! EventBridge target on AWS promises no order either), and every handler call is bounded by
//! its Lambda timeout: one hung call holds one slot for that long while the others flow.

use crate::lambda::{LambdaHost, invoke_isolated};
use crate::sfn::{StepFunctions, execution_name};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use vod_core::contracts::LambdaFunction;

/// Deliveries of one message before it is given up on.
pub const MAX_RECEIVES: u32 = 5;

/// Messages of one queue handled at the same time.
pub const MAX_IN_FLIGHT: usize = 16;

/// SQS's largest receive batch.
const MAX_BATCH: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// S3 "Object Created" → StartExecution.
    StartExecution,
    /// MediaConvert job event → completion-handler.
    CompletionHandler,
}

pub struct Pump {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub route: Route,
    pub sfn: Arc<StepFunctions>,
    pub host: Arc<dyn LambdaHost>,
    pub wait_seconds: i32,
    /// How long a failed message stays invisible before it is retried.
    pub retry_after_seconds: i32,
}

impl std::fmt::Debug for Pump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pump")
            .field("queue_url", &self.queue_url)
            .field("route", &self.route)
            .finish()
    }
}

enum Outcome {
    Done,
    Retry(String),
}

/// The execution name for an S3 event: its id plus a digest of what it says happened (bucket,
/// key, version, etag, sequencer, time). A redelivery of the same event gets the same name, so
/// it cannot start a second execution. The digest is there because moto gives every S3 event
/// the same id; on AWS the id alone would do.
pub fn s3_execution_name(event: &Value) -> String {
    use sha2::Digest as _;
    let d = &event["detail"];
    let mut hasher = sha2::Sha256::new();
    for part in [
        &d["bucket"]["name"],
        &d["object"]["key"],
        &d["object"]["version-id"],
        &d["object"]["eTag"],
        &d["object"]["sequencer"],
        &event["time"],
    ] {
        hasher.update(part.to_string().as_bytes());
        hasher.update([0]);
    }
    let digest = hex::encode(hasher.finalize());
    let id: String = event
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(36)
        .collect();
    execution_name(&format!("s3-{id}-{}", &digest[..16]))
}

impl Pump {
    /// How long a received message stays invisible: twice the longest handling (the handler's
    /// Lambda timeout), so it is not redelivered while its first delivery is still running.
    fn visibility_timeout(&self) -> i32 {
        let longest = match self.route {
            // StartExecution answers at once.
            Route::StartExecution => 0,
            Route::CompletionHandler => LambdaFunction::CompletionHandler.timeout_seconds(),
        };
        i32::try_from(longest.saturating_mul(2))
            .unwrap_or(i32::MAX)
            .max(60)
    }

    /// Polls until `stop` turns true, handling up to [`MAX_IN_FLIGHT`] messages at once. It
    /// receives only as many messages as it has free slots, so no message waits invisible
    /// behind a busy one. Messages being handled when stop arrives are finished first (each is
    /// bounded by its Lambda timeout).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let mut in_flight = JoinSet::new();
        while !*stop.borrow() {
            while in_flight.try_join_next().is_some() {}
            // At least one free slot before asking for messages.
            let first = tokio::select! {
                permit = Arc::clone(&slots).acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => break,
                },
                _ = stop.changed() => break,
            };
            let room = (1 + slots.available_permits()).min(MAX_BATCH);
            let receive = this
                .sqs
                .receive_message()
                .queue_url(&this.queue_url)
                .max_number_of_messages(i32::try_from(room).unwrap_or(1))
                .wait_time_seconds(this.wait_seconds)
                .visibility_timeout(this.visibility_timeout())
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send();
            let messages = tokio::select! {
                r = receive => r,
                _ = stop.changed() => break,
            };
            let messages = match messages {
                Ok(out) => out.messages.unwrap_or_default(),
                Err(e) => {
                    tracing::warn!(queue = %this.queue_url, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "receive failed; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => {},
                        _ = stop.changed() => break,
                    }
                    continue;
                }
            };
            let mut first = Some(first);
            for message in messages {
                // `room` permits were free and only this loop takes them: never waits long.
                let permit = match first.take() {
                    Some(p) => p,
                    None => match Arc::clone(&slots).acquire_owned().await {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                };
                let this = Arc::clone(&this);
                in_flight.spawn(async move {
                    this.handle(message).await;
                    drop(permit);
                });
            }
        }
        while in_flight.join_next().await.is_some() {}
    }

    async fn handle(&self, message: Message) {
        let receipt = message.receipt_handle().unwrap_or_default().to_owned();
        let receives: u32 = message
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
            .and_then(|c| c.parse().ok())
            .unwrap_or(1);
        let outcome = match serde_json::from_str::<Value>(message.body().unwrap_or_default()) {
            Ok(event) => self.dispatch(event).await,
            Err(e) => {
                tracing::error!(queue = %self.queue_url, error = %e, "dropping a message that is not JSON");
                Outcome::Done
            }
        };
        let delete = match outcome {
            Outcome::Done => true,
            Outcome::Retry(reason) if receives >= MAX_RECEIVES => {
                tracing::error!(queue = %self.queue_url, receives, %reason, "giving up on a message");
                true
            }
            Outcome::Retry(reason) => {
                tracing::warn!(queue = %self.queue_url, receives, %reason, "will retry a message");
                let _ = self
                    .sqs
                    .change_message_visibility()
                    .queue_url(&self.queue_url)
                    .receipt_handle(&receipt)
                    .visibility_timeout(self.retry_after_seconds)
                    .send()
                    .await;
                false
            }
        };
        if delete
            && let Err(e) = self
                .sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(&receipt)
                .send()
                .await
        {
            tracing::warn!(queue = %self.queue_url, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "delete failed; the message will be redelivered");
        }
    }

    async fn dispatch(&self, event: Value) -> Outcome {
        let id = event
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        match self.route {
            Route::StartExecution => {
                if event.get("detail-type").and_then(Value::as_str) != Some("Object Created") {
                    tracing::warn!(event_id = %id, "ignoring an event that is not Object Created");
                    return Outcome::Done;
                }
                let name = Some(s3_execution_name(&event));
                match self.sfn.start(name, event) {
                    Ok((arn, _)) => {
                        tracing::info!(event_id = %id, execution = %arn, "execution started");
                        Outcome::Done
                    }
                    Err(e) if e.type_name == "ExecutionAlreadyExists" => {
                        tracing::info!(event_id = %id, "redelivered event: its execution already ran");
                        Outcome::Done
                    }
                    Err(e) => Outcome::Retry(format!("{}: {}", e.type_name, e.message)),
                }
            }
            Route::CompletionHandler => {
                match invoke_isolated(&self.host, LambdaFunction::CompletionHandler, event).await {
                    Ok(_) => Outcome::Done,
                    Err(e) => Outcome::Retry(format!(
                        "completion-handler {}: {}",
                        e.error_type, e.message
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(key: &str) -> Value {
        json!({"id": "17793124-05d4-b198-2fde-7ededc63b103", "time": "2025-01-01T00:00:00Z",
               "detail": {"bucket": {"name": "b"}, "object": {"key": key, "eTag": "e", "sequencer": "1"}}})
    }

    #[test]
    fn redeliveries_share_a_name_and_other_objects_do_not() {
        assert_eq!(
            s3_execution_name(&event("a b.mp4")),
            s3_execution_name(&event("a b.mp4"))
        );
        assert_ne!(
            s3_execution_name(&event("a b.mp4")),
            s3_execution_name(&event("a+b.mp4"))
        );
        let name = s3_execution_name(&event("ünï 🎬"));
        assert!(
            name.len() <= 80
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
