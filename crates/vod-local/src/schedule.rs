//! The EventBridge schedule the CDK app deploys (`QueueKeeperRule`): every period the
//! completion handler receives a "Scheduled Event" and heartbeats the Transcode tasks of jobs
//! still waiting in the MediaConvert queue ([`vod_functions::queue_keeper`]). moto does not
//! fire schedules, so this timer plays the rule; like the rule, a failed tick is not retried
//! (the next one comes well inside the heartbeat).

use crate::lambda::{LambdaHost, invoke_isolated};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use vod_core::contracts::LambdaFunction;

/// Ticks the completion handler every `period` until `stop` turns true.
pub async fn run_queue_keeper(
    host: Arc<dyn LambdaHost>,
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
        if let Err(e) = invoke_isolated(&host, LambdaFunction::CompletionHandler, event).await {
            tracing::warn!(error = %e.error_type, message = %e.message, "queue keeper tick failed");
        }
    }
}
