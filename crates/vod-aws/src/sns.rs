//! [`Notifier`] on SNS, with message attributes for subscription filter policies.

use crate::sdk_error::port_error;
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use vod_core::event::PipelineEvent;
use vod_core::limits;
use vod_core::ports::{Notifier, PortError, PortResult};

/// Message attribute names subscribers can filter on.
pub use vod_core::event::{ATTRIBUTE_EVENT_TYPE, ATTRIBUTE_STATUS};

#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

fn string_attribute(value: &str) -> PortResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| PortError::permanent("building an SNS message attribute").with_source(e))
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn publish(&self, event: &PipelineEvent) -> PortResult<String> {
        // Refused before any request when SNS would refuse its size.
        limits::check_event(event).map_err(PortError::too_large)?;
        let message = serde_json::to_string(event)
            .map_err(|e| PortError::permanent("the event cannot be serialized").with_source(e))?;
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(format!("{} {}", event.event_type.as_str(), event.asset_id))
            .message(message);
        for (name, value) in event.message_attributes() {
            request = request.message_attributes(name, string_attribute(value)?);
        }
        let out = request
            .send()
            .await
            .map_err(|e| port_error("publishing the lifecycle event", e))?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}
