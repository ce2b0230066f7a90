//! `vod watch`: a temporary SQS queue subscribed to the events topic, removed again on exit
//! (normal end, `--max-events`, `--timeout`, Ctrl-C or SIGTERM).

use crate::error::{CliError, CliResult, aws_error};
use crate::exit;
use crate::settings::{Resources, parse_duration};
use clap::Args;
use serde_json::Value;
use std::time::{Duration, Instant};
use vod_local::subscribe::{QueueError, QueueOptions, SubscribeError, queue_to_topic};

/// Prefix of the temporary queues (`vod-watch-<random>`), so strays are easy to recognise.
pub const QUEUE_PREFIX: &str = "vod-watch-";

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// One JSON event per line on stdout.
    #[arg(long)]
    pub json: bool,
    /// Stop after this many events.
    #[arg(long)]
    pub max_events: Option<usize>,
    /// Stop after this long (exit 4 if --max-events was not reached).
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
}

/// Prints events until a limit or a signal; exit 4 when `--timeout` ends a `--max-events` watch.
pub async fn run(args: WatchArgs, resources: &Resources) -> CliResult<u8> {
    let WatchArgs {
        json,
        max_events,
        timeout,
    } = args;
    let topic = resources.topic_arn()?.to_owned();
    let sdk = resources.sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let sns = aws_sdk_sns::Client::new(&sdk);
    let end = watch(
        &sqs,
        &sns,
        &topic,
        WatchLimits {
            max_events,
            timeout,
        },
        |event| {
            if json {
                println!("{event}");
            } else {
                println!("{}", event_line(event));
            }
        },
    )
    .await?;
    eprintln!("stopped watching ({end:?}); the temporary queue and subscription were removed");
    Ok(match end {
        WatchEnd::TimedOut { .. } if max_events.is_some() => exit::TIMEOUT,
        _ => exit::OK,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct WatchLimits {
    pub max_events: Option<usize>,
    pub timeout: Option<Duration>,
}

/// How watching ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEnd {
    MaxEvents,
    TimedOut { received: usize },
    Signal(&'static str),
}

#[derive(Debug)]
struct Subscription {
    queue_url: String,
    subscription_arn: Option<String>,
}

/// Watches `topic_arn`, calling `on_event` with each event (SNS envelope removed).
pub async fn watch(
    sqs: &aws_sdk_sqs::Client,
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    limits: WatchLimits,
    mut on_event: impl FnMut(&Value),
) -> CliResult<WatchEnd> {
    let mut sub = Subscription {
        queue_url: String::new(),
        subscription_arn: None,
    };
    let result = async {
        setup(sqs, sns, topic_arn, &mut sub).await?;
        eprintln!("watching {topic_arn} (Ctrl-C to stop)");
        tokio::select! {
            r = receive_loop(sqs, &sub.queue_url, limits, &mut on_event) => r,
            signal = crate::shutdown_signal() => Ok(WatchEnd::Signal(signal)),
        }
    }
    .await;
    cleanup(sqs, sns, &sub).await;
    result
}

async fn setup(
    sqs: &aws_sdk_sqs::Client,
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    sub: &mut Subscription,
) -> CliResult<()> {
    let name = format!(
        "{QUEUE_PREFIX}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let options = QueueOptions {
        raw_delivery: false,
        retention_seconds: Some(3600),
        allow_topic: true,
    };
    match queue_to_topic(sqs, sns, topic_arn, &name, &options).await {
        Ok(subscribed) => {
            sub.queue_url = subscribed.queue_url;
            sub.subscription_arn = subscribed.subscription_arn;
            Ok(())
        }
        Err(e) => {
            // A queue made before the failure is still removed by `cleanup`.
            if let Some(url) = e.queue_url() {
                sub.queue_url = url.to_owned();
            }
            Err(setup_error(&name, topic_arn, e))
        }
    }
}

/// The subscriber's failure in `vod`'s words: the step, what the service said, where to look.
fn setup_error(name: &str, topic_arn: &str, e: SubscribeError) -> CliError {
    match e {
        SubscribeError::Queue(QueueError::Create { source, .. }) => {
            aws_error(format!("creating the temporary queue {name}"), *source)
        }
        SubscribeError::Queue(QueueError::ReadArn { source, .. }) => {
            aws_error(format!("reading the ARN of {name}"), *source)
        }
        SubscribeError::Queue(e @ (QueueError::NoUrl { .. } | QueueError::NoArn { .. })) => {
            CliError::bad_input(e.to_string())
        }
        SubscribeError::AllowTopic { source, .. } => {
            aws_error(format!("allowing {topic_arn} to send to {name}"), *source)
        }
        SubscribeError::Subscribe { source, .. } => {
            aws_error(format!("subscribing to {topic_arn}"), *source)
        }
    }
}

async fn receive_loop(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    limits: WatchLimits,
    on_event: &mut impl FnMut(&Value),
) -> CliResult<WatchEnd> {
    let deadline = limits.timeout.map(|t| Instant::now() + t);
    let mut received = 0usize;
    loop {
        let wait = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(WatchEnd::TimedOut { received });
                }
                left.as_secs().clamp(1, 20)
            }
            None => 20,
        };
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(i32::try_from(wait).unwrap_or(20))
            .send()
            .await
            .map_err(|e| aws_error("receiving events", e))?;
        for message in out.messages() {
            let event = unwrap_envelope(message.body().unwrap_or_default());
            on_event(&event);
            received += 1;
            if let Some(handle) = message.receipt_handle() {
                let _ = sqs
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await;
            }
            if limits.max_events.is_some_and(|max| received >= max) {
                return Ok(WatchEnd::MaxEvents);
            }
        }
    }
}

/// The event inside an SNS → SQS envelope (`{"Type":"Notification","Message":"…"}`); a body
/// that is not an envelope is returned as it is (as JSON when it parses, else as a string).
pub fn unwrap_envelope(body: &str) -> Value {
    let parsed: Value =
        serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
    match parsed.get("Message").and_then(Value::as_str) {
        Some(inner) if parsed.get("TopicArn").is_some() => {
            serde_json::from_str(inner).unwrap_or_else(|_| Value::String(inner.to_owned()))
        }
        _ => parsed,
    }
}

/// One line per event: type, asset, status, key, playback URL.
pub fn event_line(event: &Value) -> String {
    let s = |pointer: &str| {
        event
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("-")
    };
    let mut line = format!(
        "{:<16} {} {:<11} {}",
        s("/eventType"),
        s("/assetId"),
        s("/status"),
        event
            .pointer("/source/key/decoded")
            .or_else(|| event.pointer("/source/key"))
            .and_then(Value::as_str)
            .unwrap_or("-"),
    );
    if let Some(url) = event.pointer("/playback/hlsUrl").and_then(Value::as_str) {
        line.push(' ');
        line.push_str(url);
    }
    if event.get("eventType").is_none() {
        line = format!("(not a vod event) {event}");
    }
    line
}

async fn cleanup(sqs: &aws_sdk_sqs::Client, sns: &aws_sdk_sns::Client, sub: &Subscription) {
    if let Some(arn) = &sub.subscription_arn
        && let Err(e) = sns.unsubscribe().subscription_arn(arn).send().await
    {
        eprintln!(
            "warning: could not unsubscribe {arn} ({}); remove it with `aws sns unsubscribe`",
            aws_sdk_sns::error::DisplayErrorContext(&e)
        );
    }
    if !sub.queue_url.is_empty()
        && let Err(e) = sqs.delete_queue().queue_url(&sub.queue_url).send().await
    {
        eprintln!(
            "warning: could not delete the temporary queue {} ({}); delete it with `aws sqs delete-queue`",
            sub.queue_url,
            aws_sdk_sqs::error::DisplayErrorContext(&e)
        );
    }
}
