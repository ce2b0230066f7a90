//! Creates the data-plane resources on moto (or any AWS-compatible endpoint). Idempotent: every
//! step checks or uses an idempotent API, so it runs on every start.

use crate::definitions::{
    self, MEDIACONVERT_JOB_PATTERN, S3_OBJECT_CREATED_PATTERN, SubstituteError,
};
use crate::subscribe::{QueueError, create_queue};
use crate::twin_file::TwinFile;
use aws_sdk_eventbridge::types::{RuleState, Target};
use aws_sdk_s3::types::{EventBridgeConfiguration, NotificationConfiguration};
use std::collections::HashMap;

/// A data-plane resource that could not be created.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// `action` names the resource; the source is what the service said.
    #[error("{action}")]
    Aws {
        action: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The service answered without a field it always returns.
    #[error("{0}")]
    Incomplete(&'static str),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Pattern(#[from] SubstituteError),
    #[error(transparent)]
    Target(#[from] aws_sdk_eventbridge::error::BuildError),
}

/// `map_err` for an AWS call: what was being done, and the service's error as the source.
fn failed<E: std::error::Error + Send + Sync + 'static>(
    action: impl Into<String>,
) -> impl FnOnce(E) -> BootstrapError {
    let action = action.into();
    move |e| BootstrapError::Aws {
        action,
        source: Box::new(e),
    }
}

/// What the bootstrap created or found.
#[derive(Debug, Clone)]
pub struct Resources {
    pub topic_arn: String,
    pub s3_events_queue_url: String,
    pub mediaconvert_events_queue_url: String,
}

/// The SDK clients the bootstrap and the event pump use.
#[derive(Debug, Clone)]
pub struct DataPlane {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub events: aws_sdk_eventbridge::Client,
}

impl DataPlane {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build();
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            sns: aws_sdk_sns::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            events: aws_sdk_eventbridge::Client::new(sdk),
        }
    }
}

pub async fn bootstrap(dp: &DataPlane, twin: &TwinFile) -> Result<Resources, BootstrapError> {
    for bucket in [&twin.source_bucket, &twin.output_bucket] {
        ensure_bucket(dp, bucket).await?;
    }
    dp.s3
        .put_bucket_notification_configuration()
        .bucket(&twin.source_bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .event_bridge_configuration(EventBridgeConfiguration::builder().build())
                .build(),
        )
        .send()
        .await
        .map_err(failed(format!(
            "enabling EventBridge notifications on {}",
            twin.source_bucket
        )))?;
    vod_aws::dynamodb::ensure_asset_table(&dp.dynamodb, &twin.asset_table)
        .await
        .map_err(failed(format!("creating table {}", twin.asset_table)))?;
    let topic_arn = dp
        .sns
        .create_topic()
        .name(&twin.topic_name)
        .send()
        .await
        .map_err(failed(format!("creating topic {}", twin.topic_name)))?
        .topic_arn
        .ok_or(BootstrapError::Incomplete("CreateTopic returned no ARN"))?;

    let subs: HashMap<&str, String> = [
        ("SourceBucketName", twin.source_bucket.clone()),
        ("PipelineName", twin.pipeline_name.clone()),
    ]
    .into_iter()
    .collect();
    let s3_events_queue_url = ensure_rule_to_queue(
        dp,
        &format!("{}-s3-object-created", twin.pipeline_name),
        &definitions::substitute(S3_OBJECT_CREATED_PATTERN, &subs)?.to_string(),
        &twin.s3_events_queue(),
    )
    .await?;
    let mediaconvert_events_queue_url = ensure_rule_to_queue(
        dp,
        &format!("{}-mediaconvert-job-state-change", twin.pipeline_name),
        &definitions::substitute(MEDIACONVERT_JOB_PATTERN, &subs)?.to_string(),
        &twin.mediaconvert_events_queue(),
    )
    .await?;
    Ok(Resources {
        topic_arn,
        s3_events_queue_url,
        mediaconvert_events_queue_url,
    })
}

async fn ensure_bucket(dp: &DataPlane, bucket: &str) -> Result<(), BootstrapError> {
    if dp.s3.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(());
    }
    match dp.s3.create_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_bucket_already_owned_by_you()) =>
        {
            Ok(())
        }
        Err(e) => Err(failed(format!("creating bucket {bucket}"))(e)),
    }
}

/// A queue and an enabled rule targeting it; returns the queue URL.
async fn ensure_rule_to_queue(
    dp: &DataPlane,
    rule: &str,
    pattern: &str,
    queue: &str,
) -> Result<String, BootstrapError> {
    let (url, arn) = create_queue(&dp.sqs, queue, None).await?;
    dp.events
        .put_rule()
        .name(rule)
        .event_pattern(pattern)
        .state(RuleState::Enabled)
        .send()
        .await
        .map_err(failed(format!("creating rule {rule}")))?;
    dp.events
        .put_targets()
        .rule(rule)
        .targets(
            Target::builder()
                .id("vod-local-event-pump")
                .arn(arn)
                .build()?,
        )
        .send()
        .await
        .map_err(failed(format!("targeting {queue} from rule {rule}")))?;
    Ok(url)
}
