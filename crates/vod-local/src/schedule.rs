//! The EventBridge schedules the CDK app deploys, played by timers (moto does not fire
//! schedules): `QueueKeeperRule` sends the completion handler a "Scheduled Event" every period
//! so it heartbeats the Transcode tasks of jobs still waiting in the MediaConvert queue
//! ([`vod_functions::queue_keeper`]); `ReconcilerRule` runs the reconciler
//! ([`vod_functions::reconciler`]), which finishes assets whose execution died or overran its
//! bounds. Like the rules, a failed tick is not retried: the next one sees the same records.

use crate::lambda::{LambdaHost, invoke_isolated};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use vod_core::contracts::LambdaFunction;

/// Ticks the completion handler every `period` until `stop` turns true.
pub async fn run_queue_keeper(
    host: Arc<dyn LambdaHost>,
    period: Duration,
    stop: watch::Receiver<bool>,
) {
    run_schedule(host, LambdaFunction::CompletionHandler, period, stop).await;
}

/// Runs the reconciler every `period` until `stop` turns true.
pub async fn run_reconciler(
    host: Arc<dyn LambdaHost>,
    period: Duration,
    stop: watch::Receiver<bool>,
) {
    run_schedule(host, LambdaFunction::Reconciler, period, stop).await;
}

async fn run_schedule(
    host: Arc<dyn LambdaHost>,
    function: LambdaFunction,
    period: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(period.max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate; the schedule's first comes a period in
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let event = vod_functions::queue_keeper::tick_event(chrono::Utc::now());
        if let Err(e) = invoke_isolated(&host, function, event).await {
            tracing::warn!(function = function.binary_name(), error = %e.error_type, message = %e.message, "scheduled tick failed");
        }
    }
}
