//! EventBridge: uploads become "Object Created" events that start executions (a redelivery
//! starts another, as a rule target with generated names does), and MediaConvert's job events
//! reach the completion handler by asynchronous invocation (Lambda retries a failed one twice,
//! a minute and two minutes later, then gives up). Deliveries are at-least-once and may be
//! late (and so reordered), duplicated or lost, as the seed says.

use crate::lambda;
use crate::mediaconvert;
use crate::ports::descriptor;
use crate::scenario::SOURCE_BUCKET;
use crate::sim::{Caller, Sim};
use crate::world::{Execution, Job, SourceObject};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use vod_core::contracts::{LambdaFunction, QUEUE_KEEPER_PERIOD_SECONDS};

/// An upload: lands in the source bucket at its time, then its event is delivered.
pub async fn upload(sim: Arc<Sim>, index: usize) {
    let Some(u) = sim.scenario.uploads.get(index).cloned() else {
        return;
    };
    tokio::time::sleep(u.at).await;
    sim.world().sources.insert(
        u.key.clone(),
        SourceObject {
            upload: index,
            etag: u.etag.clone(),
            size: u.size,
            body: descriptor(u.source),
        },
    );
    let actor = format!("u{index}");
    sim.log(
        Some(index),
        &actor,
        format!("PutObject {:?} ({} bytes)", u.key, u.size),
    );
    let key = sim.scenario.key_style.event_key(&u.key);
    let event = json!({
        "version": "0",
        "id": format!("5e3c0000-0000-4000-8000-{:012}", index),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": sim.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": "us-east-1",
        "resources": [format!("arn:aws:s3:::{SOURCE_BUCKET}")],
        "detail": {
            "version": "0",
            "bucket": {"name": SOURCE_BUCKET},
            "object": {"key": key, "size": u.size, "etag": u.etag, "sequencer": format!("{:016X}", index)},
            "request-id": "SIMULATED",
            "requester": "123456789012",
            "reason": "PutObject"
        }
    });
    for copy in 0..u.deliveries {
        tokio::spawn(start_execution(
            Arc::clone(&sim),
            index,
            copy,
            event.clone(),
        ));
    }
}

async fn start_execution(sim: Arc<Sim>, index: usize, copy: u32, event: Value) {
    let latest = if copy == 0 {
        Duration::from_secs(2)
    } else {
        sim.scenario.faults.max_delay.max(Duration::from_secs(2))
    };
    tokio::time::sleep(sim.delay(Duration::from_millis(50), latest)).await;
    let name = format!("x{}", sim.world().fresh_id());
    let arn = format!(
        "arn:aws:states:us-east-1:123456789012:execution:{}:{name}",
        sim.machine.name
    );
    sim.world().executions.push(Execution {
        arn,
        name: name.clone(),
        upload: index,
    });
    let again = if copy > 0 { " (a redelivery)" } else { "" };
    match sim
        .engine
        .start_execution(Arc::clone(&sim.machine), Some(name.clone()), event)
    {
        Ok(_) => sim.log(
            Some(index),
            "eventbridge",
            format!("Object Created{again} → StartExecution {name}"),
        ),
        Err(e) => sim.log(
            Some(index),
            "eventbridge",
            format!("StartExecution {name} refused: {e}"),
        ),
    }
}

/// A job changed state: its event goes to the completion handler (or is lost, or twice).
pub fn job_event(sim: &Arc<Sim>, job: &Job, status: &str, extra: Value) {
    let n = sim.world().fresh_id();
    let event = mediaconvert::event(sim, n, job, status, extra);
    let faults = &sim.scenario.faults;
    if sim.chance(faults.mc_loss) {
        sim.log(
            job.upload,
            "eventbridge",
            format!("{} {status} event e{n} lost (injected)", job.id),
        );
        sim.world()
            .undelivered
            .push((job.upload, job.id.clone(), status.to_owned()));
        return;
    }
    let copies = if sim.chance(faults.mc_duplicates) {
        2
    } else {
        1
    };
    for copy in 0..copies {
        let delivery = Delivery {
            event: event.clone(),
            name: format!("e{n}.{copy}"),
            job: job.id.clone(),
            status: status.to_owned(),
            upload: job.upload,
        };
        tokio::spawn(deliver(Arc::clone(sim), delivery));
    }
}

struct Delivery {
    event: Value,
    name: String,
    job: String,
    status: String,
    upload: Option<usize>,
}

/// Lambda's asynchronous invocation: three attempts, then the event is dead-lettered.
async fn deliver(sim: Arc<Sim>, d: Delivery) {
    let latest = sim.scenario.faults.max_delay.max(Duration::from_secs(1));
    tokio::time::sleep(sim.delay(Duration::from_millis(50), latest)).await;
    for attempt in 0..3u32 {
        let caller = Caller {
            actor: format!("ch {} {} {}#{attempt}", d.name, d.job, d.status),
            upload: d.upload,
            execution: None,
            scope: d.name.clone(),
            function: LambdaFunction::CompletionHandler,
        };
        let result = lambda::invoke(
            &sim,
            LambdaFunction::CompletionHandler,
            d.event.clone(),
            caller,
        )
        .await;
        if result.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(60 * u64::from(attempt + 1))).await;
    }
    sim.log(
        d.upload,
        "eventbridge",
        format!(
            "{} {} event {} dead-lettered after 3 attempts",
            d.job, d.status, d.name
        ),
    );
    sim.world()
        .undelivered
        .push((d.upload, d.job.clone(), d.status.clone()));
}

/// The queue keeper's EventBridge schedule: every [`QUEUE_KEEPER_PERIOD_SECONDS`] the
/// completion handler gets a "Scheduled Event" and heartbeats the tasks of queued jobs. A tick
/// while no job waits in the queue would only list an empty queue, so it is skipped (the same
/// outcome, far fewer simulated calls).
pub async fn queue_keeper(sim: Arc<Sim>) {
    let period = Duration::from_secs(u64::from(QUEUE_KEEPER_PERIOD_SECONDS));
    let mut tick = 0u64;
    while sim.elapsed() + period < crate::scenario::HORIZON {
        tokio::time::sleep(period).await;
        tick += 1;
        let queued = sim
            .world()
            .jobs
            .iter()
            .any(|j| j.status == crate::world::JobStatus::Submitted);
        if !queued {
            continue;
        }
        let event = vod_functions::queue_keeper::tick_event(sim.now());
        // Lambda's asynchronous invocation, as for job events: three attempts.
        for attempt in 0..3u32 {
            let caller = Caller {
                actor: format!("keeper tick {tick}#{attempt}"),
                upload: None,
                execution: None,
                scope: format!("keeper-{tick}"),
                function: LambdaFunction::CompletionHandler,
            };
            let result = lambda::invoke(
                &sim,
                LambdaFunction::CompletionHandler,
                event.clone(),
                caller,
            )
            .await;
            if result.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(60 * u64::from(attempt + 1))).await;
        }
    }
}
