//! An SQS queue subscribed to an SNS topic: how `vod watch`, the end-to-end tests and this
//! crate's SNS test receive the lifecycle events, and how the twin's bootstrap makes the event
//! pump's queues. Behind the `subscribe` feature (the Lambdas never subscribe).
//!
//! ```no_run
//! # async fn demo(sqs: &aws_sdk_sqs::Client, sns: &aws_sdk_sns::Client, topic_arn: &str)
//! # -> Result<(), vod_aws::subscribe::SubscribeError> {
//! use vod_aws::subscribe::{QueueOptions, queue_to_topic};
//! let options = QueueOptions { raw_delivery: true, ..QueueOptions::default() };
//! let subscription = queue_to_topic(sqs, sns, topic_arn, "my-listener", &options).await?;
//! println!("events arrive on {}", subscription.queue_url);
//! # Ok(()) }
//! ```

use aws_sdk_sqs::error::SdkError;
use aws_sdk_sqs::operation::create_queue::CreateQueueError;
use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesError;
use aws_sdk_sqs::operation::set_queue_attributes::SetQueueAttributesError;
use aws_sdk_sqs::types::QueueAttributeName;

/// How the subscriber queue is made; each caller keeps what it always had.
#[derive(Debug, Clone, Default)]
pub struct QueueOptions {
    /// SNS delivers the event itself rather than its JSON envelope.
    pub raw_delivery: bool,
    /// How long SQS keeps an unread message (`None`: the service's default, 4 days).
    pub retention_seconds: Option<u32>,
    /// Give the queue a policy letting the topic send to it: AWS drops the deliveries without
    /// one; moto delivers either way.
    pub allow_topic: bool,
}

/// A queue and, once subscribed, its subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub queue_url: String,
    pub queue_arn: String,
    /// `None` only if SNS answered without one.
    pub subscription_arn: Option<String>,
}

/// A queue that could not be created or whose ARN could not be read.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("creating queue {queue}")]
    Create {
        queue: String,
        #[source]
        source: Box<SdkError<CreateQueueError>>,
    },
    #[error("SQS returned no URL for queue {queue}")]
    NoUrl { queue: String },
    #[error("reading the ARN of {queue}")]
    ReadArn {
        queue: String,
        queue_url: String,
        #[source]
        source: Box<SdkError<GetQueueAttributesError>>,
    },
    #[error("SQS returned no ARN for {queue}")]
    NoArn { queue: String, queue_url: String },
}

/// A subscription that could not be set up. [`SubscribeError::queue_url`] names the queue
/// already created, for the caller to delete.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("allowing {topic_arn} to send to {queue}")]
    AllowTopic {
        topic_arn: String,
        queue: String,
        queue_url: String,
        #[source]
        source: Box<SdkError<SetQueueAttributesError>>,
    },
    #[error("subscribing {queue} to {topic_arn}")]
    Subscribe {
        topic_arn: String,
        queue: String,
        queue_url: String,
        #[source]
        source:
            Box<aws_sdk_sns::error::SdkError<aws_sdk_sns::operation::subscribe::SubscribeError>>,
    },
}

impl SubscribeError {
    /// The queue created before the failure, if any.
    pub fn queue_url(&self) -> Option<&str> {
        match self {
            Self::Queue(QueueError::Create { .. } | QueueError::NoUrl { .. }) => None,
            Self::Queue(
                QueueError::ReadArn { queue_url, .. } | QueueError::NoArn { queue_url, .. },
            )
            | Self::AllowTopic { queue_url, .. }
            | Self::Subscribe { queue_url, .. } => Some(queue_url),
        }
    }
}

/// Creates the queue `queue_name` (or finds it: CreateQueue is idempotent) and subscribes it to
/// `topic_arn`.
pub async fn queue_to_topic(
    sqs: &aws_sdk_sqs::Client,
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    queue_name: &str,
    options: &QueueOptions,
) -> Result<Subscription, SubscribeError> {
    let (queue_url, queue_arn) = create_queue(sqs, queue_name, options.retention_seconds).await?;
    if options.allow_topic {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "AllowVodTopic",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}
            }]
        });
        if let Err(e) = sqs
            .set_queue_attributes()
            .queue_url(&queue_url)
            .attributes(QueueAttributeName::Policy, policy.to_string())
            .send()
            .await
        {
            return Err(SubscribeError::AllowTopic {
                topic_arn: topic_arn.to_owned(),
                queue: queue_name.to_owned(),
                queue_url,
                source: Box::new(e),
            });
        }
    }
    let mut subscribe = sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .return_subscription_arn(true);
    if options.raw_delivery {
        subscribe = subscribe.attributes("RawMessageDelivery", "true");
    }
    match subscribe.send().await {
        Ok(subscribed) => Ok(Subscription {
            subscription_arn: subscribed.subscription_arn,
            queue_url,
            queue_arn,
        }),
        Err(e) => Err(SubscribeError::Subscribe {
            topic_arn: topic_arn.to_owned(),
            queue: queue_name.to_owned(),
            queue_url,
            source: Box::new(e),
        }),
    }
}

/// Creates (or finds) the queue `name`; returns its URL and ARN.
pub async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    retention_seconds: Option<u32>,
) -> Result<(String, String), QueueError> {
    let mut create = sqs.create_queue().queue_name(name);
    if let Some(seconds) = retention_seconds {
        create = create.attributes(
            QueueAttributeName::MessageRetentionPeriod,
            seconds.to_string(),
        );
    }
    let queue_url = create
        .send()
        .await
        .map_err(|e| QueueError::Create {
            queue: name.to_owned(),
            source: Box::new(e),
        })?
        .queue_url
        .ok_or_else(|| QueueError::NoUrl {
            queue: name.to_owned(),
        })?;
    let attributes = match sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
    {
        Ok(out) => out.attributes,
        Err(e) => {
            return Err(QueueError::ReadArn {
                queue: name.to_owned(),
                queue_url,
                source: Box::new(e),
            });
        }
    };
    match attributes.and_then(|mut a| a.remove(&QueueAttributeName::QueueArn)) {
        Some(arn) => Ok((queue_url, arn)),
        None => Err(QueueError::NoArn {
            queue: name.to_owned(),
            queue_url,
        }),
    }
}
