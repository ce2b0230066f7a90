//! The vod-core ports on the simulated account, one set per Lambda invocation (so every call
//! knows its caller). Each AWS call takes a little simulated latency, then the scheduler
//! decides its fate: it passes, fails before the effect, fails after it (the write landed, the
//! response was lost), or hangs until the Lambda times out.

use crate::scenario::{OUTPUT_BUCKET, SOURCE_BUCKET, Service, Source};
use crate::sim::{Call, Caller, Fault, Sim};
use crate::world::{
    Created, ForeignWrite, Incident, IncidentKind, MAX_MESSAGE_BYTES, MAX_RECORD_BYTES,
    OutputObject, Published, ReconcilerEffect, World, short,
};
use async_trait::async_trait;
use vod_core::contracts::LambdaFunction;

mod mediaconvert_ports;
mod reconciler_ports;
use chrono::{DateTime, Utc};
pub use reconciler_ports::execution_state;
use std::sync::Arc;
use std::time::Duration;
use vod_core::AssetId;
use vod_core::event::PipelineEvent;
use vod_core::ports::{
    AssetStore, Claim, Clock, MediaProbe, MediaReader, Notifier, ObjectMeta, ObjectRange,
    ObjectVersion, OutputWriter, PortError, PortErrorKind, PortResult, TaskCallback,
};
use vod_core::probe::{
    AudioTrack, Container, MAX_SOURCE_DURATION_SECONDS, ProbeOutcome, ProbeReport, RejectReason,
    Rejection, VideoTrack,
};
use vod_core::record::AssetRecord;
use vod_states::EngineError;

/// Every port for one invocation.
#[derive(Clone)]
pub struct SimPorts {
    pub sim: Arc<Sim>,
    pub caller: Caller,
}

type Effect<'a, T> = Box<dyn FnOnce(&Arc<Sim>) -> (PortResult<T>, String) + Send + 'a>;

impl SimPorts {
    fn log(&self, text: String) {
        self.sim.log(self.caller.upload, &self.caller.actor, text);
    }

    /// One AWS call: latency, the scheduler's verdict, the effect.
    async fn call<T>(
        &self,
        service: Service,
        call: Call,
        op: String,
        effect: Effect<'_, T>,
    ) -> PortResult<T> {
        let sim = &self.sim;
        tokio::time::sleep(sim.delay(Duration::from_millis(5), Duration::from_millis(80))).await;
        let fault = sim.fault(&self.caller, service, call);
        match fault {
            Fault::Before(kind, why) => {
                self.log(format!("{op} → {why} (injected, before the effect)"));
                sim.injected(&self.caller, format!("{op}: {why}"));
                return Err(PortError::new(kind, why));
            }
            Fault::Hang(false) => {
                self.log(format!(
                    "{op} → hangs (injected) until the Lambda times out"
                ));
                sim.injected(&self.caller, format!("{op}: hang"));
                futures::future::pending::<()>().await;
            }
            Fault::None | Fault::After | Fault::Hang(true) => {}
        }
        let (result, summary) = effect(sim);
        match fault {
            Fault::After => {
                self.log(format!("{op} → {summary}; the response is lost (injected)"));
                sim.injected(&self.caller, format!("{op}: response lost"));
                Err(PortError::transient("timeout waiting for the response"))
            }
            Fault::Hang(true) => {
                self.log(format!(
                    "{op} → {summary}; then hangs (injected) until the Lambda times out"
                ));
                sim.injected(&self.caller, format!("{op}: hang after the effect"));
                futures::future::pending::<()>().await;
                result
            }
            Fault::None | Fault::Before(..) | Fault::Hang(false) => {
                self.log(format!("{op} → {summary}"));
                result
            }
        }
    }

    fn exec_name(world: &World, arn: &str) -> String {
        world
            .execution(arn)
            .map_or_else(|| arn.to_owned(), |e| e.name.clone())
    }
}

/// Notes a change the reconciler made (nothing for other callers).
fn reconciler_effect(sim: &Sim, caller: &Caller, what: String) {
    if caller.function != LambdaFunction::Reconciler {
        return;
    }
    let at = sim.elapsed();
    sim.world().reconciler_effects.push(ReconcilerEffect {
        actor: caller.actor.clone(),
        at,
        what,
    });
}

/// Whether the reconciler would be acting on `record` before its time: its execution runs
/// within its bound and MediaConvert has not finished its job.
fn premature(sim: &Sim, world: &World, record: &AssetRecord) -> bool {
    let running = record
        .claimed_by
        .as_deref()
        .and_then(|arn| sim.engine.describe(arn).ok())
        .is_some_and(|d| d.status == vod_states::ExecutionStatus::Running);
    let job_final = record
        .job
        .as_ref()
        .and_then(|r| world.jobs.iter().find(|j| j.id == r.job_id))
        .is_some_and(|j| j.status.is_final());
    running && !job_final && !vod_core::reconcile::overdue(record, sim.now())
}

/// The reconciler cancels `job_id`: never the job of an asset it must leave alone.
fn check_reconciler_cancel(sim: &Sim, caller: &Caller, job_id: &str) {
    if caller.function != LambdaFunction::Reconciler {
        return;
    }
    let at = sim.elapsed();
    let mut world = sim.world();
    let Some(asset) = world
        .jobs
        .iter()
        .find(|j| j.id == job_id)
        .map(|j| j.asset.clone())
    else {
        return;
    };
    let Some(record) = world.table.get(&asset).cloned() else {
        return;
    };
    if !record.status.is_final() && premature(sim, &world, &record) {
        let upload = world.upload_of(&asset);
        world.incidents.push(Incident {
            upload,
            at,
            kind: IncidentKind::ReconcilerPremature,
            text: format!(
                "{} cancels {job_id} of {} while its execution runs within its bound",
                caller.actor,
                short(&asset)
            ),
        });
    }
}

/// The reconciler's own rules, checked on each record it finishes: never while its execution
/// runs within its bound and its job is unfinished; never COMPLETE without outputs.
fn check_reconciler_write(
    sim: &Sim,
    world: &mut World,
    caller: &Caller,
    previous: &AssetRecord,
    record: &AssetRecord,
) {
    if caller.function != LambdaFunction::Reconciler
        || previous.status.is_final()
        || !record.status.is_final()
    {
        return;
    }
    let at = sim.elapsed();
    let upload = world.upload_of(&record.asset_id);
    if premature(sim, world, previous) {
        world.incidents.push(Incident {
            upload,
            at,
            kind: IncidentKind::ReconcilerPremature,
            text: format!(
                "{} made {} {} while its execution ran within its bound and its job was unfinished",
                caller.actor,
                short(&record.asset_id),
                record.status
            ),
        });
    }
    let playable = record
        .playback
        .as_ref()
        .is_some_and(|p| p.hls_url.is_some() || p.dash_url.is_some());
    if record.status == vod_core::AssetStatus::Complete && (record.outputs.is_empty() || !playable)
    {
        world.incidents.push(Incident {
            upload,
            at,
            kind: IncidentKind::ReconcilerCompletedEmpty,
            text: format!(
                "{} completed {} without outputs or playback",
                caller.actor,
                short(&record.asset_id)
            ),
        });
    }
}

fn record_size(world: &mut World, at: Duration, upload: Option<usize>, record: &AssetRecord) {
    let bytes = serde_json::to_vec(record).map_or(0, |v| v.len());
    if bytes > MAX_RECORD_BYTES {
        world.incidents.push(Incident {
            upload,
            at,
            kind: IncidentKind::OversizeRecord,
            text: format!(
                "record {} is {bytes} bytes (DynamoDB's item limit is {MAX_RECORD_BYTES})",
                record.asset_id
            ),
        });
    }
}

#[async_trait]
impl AssetStore for SimPorts {
    async fn claim(&self, record: &AssetRecord) -> PortResult<Claim> {
        let op = format!("dynamodb.claim({})", short(&record.asset_id));
        let record = record.clone();
        let caller = self.caller.clone();
        let unconditional = self.sim.mutant.is_some_and(|m| m.unconditional_claim());
        let effect: Effect<'_, Claim> = Box::new(move |sim| {
            let at = sim.elapsed();
            let mut world = sim.world();
            if let Some(existing) = world.table.get(&record.asset_id).filter(|_| !unconditional) {
                let text = format!(
                    "exists ({}, owner {})",
                    existing.status,
                    existing
                        .claimed_by
                        .as_deref()
                        .map_or_else(|| "none".to_owned(), |o| Self::exec_name(&world, o))
                );
                return (Ok(Claim::Duplicate(Box::new(existing.clone()))), text);
            }
            record_size(&mut world, at, caller.upload, &record);
            world.created.push(Created {
                asset: record.asset_id.clone(),
                by: caller.actor.clone(),
                upload: caller.upload,
                at,
            });
            let status = record.status;
            world.table.insert(record.asset_id.clone(), record);
            (Ok(Claim::Claimed), format!("claimed, {status}"))
        });
        self.call(Service::DynamoDb, Call::Write, op, effect).await
    }

    async fn get(&self, id: &AssetId) -> PortResult<Option<AssetRecord>> {
        let op = format!("dynamodb.get({})", short(id));
        let id = id.clone();
        let effect: Effect<'_, Option<AssetRecord>> = Box::new(move |sim| {
            let found = sim.world().table.get(&id).cloned();
            let text = found.as_ref().map_or_else(
                || "none".to_owned(),
                |r| format!("{} rev {}", r.status, r.revision),
            );
            (Ok(found), text)
        });
        self.call(Service::DynamoDb, Call::Read, op, effect).await
    }

    async fn update(&self, record: &AssetRecord) -> PortResult<()> {
        let op = format!(
            "dynamodb.update({} rev {})",
            short(&record.asset_id),
            record.revision
        );
        let record = record.clone();
        let caller = self.caller.clone();
        let effect: Effect<'_, ()> = Box::new(move |sim| {
            let at = sim.elapsed();
            let mut world = sim.world();
            let Some(previous) = world.table.get(&record.asset_id).cloned() else {
                return (
                    Err(PortError::conflict("ConditionalCheckFailedException")),
                    "conflict: no such record".to_owned(),
                );
            };
            if previous.revision + 1 != record.revision {
                return (
                    Err(PortError::conflict("ConditionalCheckFailedException")),
                    format!("conflict: stored rev is {}", previous.revision),
                );
            }
            let change = describe_change(&previous, &record);
            if let (Some(owner), Some(writer)) = (&previous.claimed_by, &caller.execution)
                && owner != writer
            {
                let owner = Self::exec_name(&world, owner);
                world.foreign_writes.push(ForeignWrite {
                    asset: record.asset_id.clone(),
                    owner,
                    writer: caller.actor.clone(),
                    at,
                    change: change.clone(),
                });
            }
            record_size(&mut world, at, caller.upload, &record);
            check_reconciler_write(sim, &mut world, &caller, &previous, &record);
            let id = record.asset_id.clone();
            world.table.insert(id.clone(), record);
            drop(world);
            reconciler_effect(sim, &caller, format!("{} {change}", short(&id)));
            (Ok(()), format!("written: {change}"))
        });
        self.call(Service::DynamoDb, Call::Write, op, effect).await
    }
}

/// What a write changed, in a few words.
fn describe_change(before: &AssetRecord, after: &AssetRecord) -> String {
    let mut parts = Vec::new();
    if before.status != after.status {
        parts.push(format!("{} → {}", before.status, after.status));
    }
    if before.job.as_ref().map(|j| &j.job_id) != after.job.as_ref().map(|j| &j.job_id) {
        if let Some(job) = &after.job {
            parts.push(format!("job {}", job.job_id));
        }
    } else if before.job.as_ref().map(|j| &j.task_token)
        != after.job.as_ref().map(|j| &j.task_token)
    {
        parts.push("new task token".to_owned());
    }
    if before.notifications.len() != after.notifications.len()
        && let Some(n) = after.notifications.last()
    {
        parts.push(format!("stamped {}", n.event_type.as_str()));
    }
    if before.progress_percent != after.progress_percent
        && let Some(p) = after.progress_percent
    {
        parts.push(format!("{p}%"));
    }
    if parts.is_empty() {
        format!("{} (no visible change)", after.status)
    } else {
        parts.join(", ")
    }
}

#[async_trait]
impl MediaReader for SimPorts {
    async fn stat(&self, bucket: &str, key: &str) -> PortResult<Option<ObjectMeta>> {
        let op = format!("s3.head({key:?})");
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        let effect: Effect<'_, Option<ObjectMeta>> = Box::new(move |sim| {
            let world = sim.world();
            let found = (bucket == SOURCE_BUCKET)
                .then(|| world.sources.get(&key))
                .flatten()
                .map(|o| ObjectMeta {
                    size: o.size,
                    etag: Some(format!("\"{}\"", o.etag)),
                    version_id: None,
                    content_type: Some("video/mp4".to_owned()),
                });
            let text = if found.is_some() { "found" } else { "404" }.to_owned();
            (Ok(found), text)
        });
        self.call(Service::S3, Call::Read, op, effect).await
    }

    async fn read_range(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        offset: u64,
        len: u64,
    ) -> PortResult<Vec<u8>> {
        let op = format!("s3.get({key:?}, {offset}+{len})");
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        let version = version.clone();
        let effect: Effect<'_, Vec<u8>> = Box::new(move |sim| {
            let world = sim.world();
            match world.sources.get(&key).filter(|_| bucket == SOURCE_BUCKET) {
                // S3 answers If-Match on another ETag with 412: the key holds a newer upload.
                Some(o) if !version.admits_etag(&o.etag) => (
                    Err(PortError::replaced(format!(
                        "{key} is no longer the pinned ETag"
                    ))),
                    "412 replaced".to_owned(),
                ),
                Some(o) => {
                    let end = offset.saturating_add(len).min(o.size);
                    let bytes: Vec<u8> = (offset..end)
                        .map(|i| o.body.get(i as usize).copied().unwrap_or(0))
                        .collect();
                    let text = format!("{} bytes", bytes.len());
                    (Ok(bytes), text)
                }
                None => (
                    Err(PortError::not_found("NoSuchKey")),
                    "NoSuchKey".to_owned(),
                ),
            }
        });
        self.call(Service::S3, Call::Read, op, effect).await
    }
}

/// The descriptor an uploaded object's first bytes hold (the simulated probe reads it).
pub fn descriptor(source: Source) -> Vec<u8> {
    match source {
        Source::Media { duration } => format!("VODSIM media {duration}"),
        Source::NotMedia => "%PDF-1.7 not media".to_owned(),
        Source::Undecodable { duration } => format!("VODSIM undecodable {duration}"),
    }
    .into_bytes()
}

/// Probes by reading the descriptor through the reader (so read faults apply); the real
/// probe's parsing is vod-probe's own tests' business.
#[async_trait]
impl MediaProbe for SimPorts {
    async fn probe(&self, object: ObjectRange<'_>) -> PortResult<ProbeOutcome> {
        let head = object.read_at(0, 64).await?;
        let text = String::from_utf8_lossy(&head);
        let text = text.trim_end_matches('\0');
        let duration = text
            .strip_prefix("VODSIM media ")
            .or_else(|| text.strip_prefix("VODSIM undecodable "))
            .and_then(|d| d.trim().parse::<f64>().ok());
        let Some(duration) = duration else {
            let rejection = Rejection::new(
                RejectReason::NotMedia,
                "this is a PDF document, not audio or video; upload a video file",
            )
            .detected("PDF document");
            return Ok(ProbeOutcome::Rejected { rejection });
        };
        // The real probe's bound (vod-probe rejects every container's duration beyond it).
        if duration > MAX_SOURCE_DURATION_SECONDS {
            let rejection = Rejection::too_long(duration).detected("MP4/QuickTime");
            return Ok(ProbeOutcome::Rejected { rejection });
        }
        let report = ProbeReport {
            container: Container::Mp4,
            brand: Some("isom".to_owned()),
            size_bytes: object.size,
            duration_seconds: Some(duration),
            bitrate_bps: Some(8_000_000),
            video: Some(VideoTrack {
                codec: "h264".to_owned(),
                width: 1920,
                height: 1080,
                frame_rate: Some(30.0),
                ..VideoTrack::default()
            }),
            audio: vec![AudioTrack {
                codec: "aac".to_owned(),
                channels: 2,
                sample_rate: 48_000,
                ..AudioTrack::default()
            }],
            bytes_read: head.len() as u64,
            ..ProbeReport::default()
        };
        Ok(ProbeOutcome::Accepted { report })
    }
}

#[async_trait]
impl Notifier for SimPorts {
    async fn publish(&self, event: &PipelineEvent) -> PortResult<String> {
        let op = format!(
            "sns.publish({} {})",
            event.event_type.as_str(),
            short(&event.asset_id)
        );
        let event = event.clone();
        let caller = self.caller.clone();
        let effect: Effect<'_, String> = Box::new(move |sim| {
            let at = sim.elapsed();
            let mut world = sim.world();
            let bytes = serde_json::to_vec(&event).map_or(0, |v| v.len());
            if bytes > MAX_MESSAGE_BYTES {
                world.incidents.push(Incident {
                    upload: caller.upload,
                    at,
                    kind: IncidentKind::OversizeMessage,
                    text: format!("{} is {bytes} bytes", event.event_type.as_str()),
                });
            }
            let id = format!("msg-{}", world.fresh_id());
            let what = format!(
                "published {} {}",
                event.event_type.as_str(),
                short(&event.asset_id)
            );
            world.sns.push(Published {
                event,
                at,
                by: caller.actor.clone(),
                execution: caller.execution.clone(),
            });
            drop(world);
            reconciler_effect(sim, &caller, what);
            (Ok(id.clone()), format!("published {id}"))
        });
        self.call(Service::Sns, Call::Write, op, effect).await
    }
}

/// Step Functions' callback errors as the SDK adapter classifies them.
fn callback_error(e: EngineError) -> (PortResult<()>, String) {
    let text = e.to_string();
    let kind = match e {
        EngineError::TaskDoesNotExist(_)
        | EngineError::TaskTimedOut(_)
        | EngineError::InvalidToken(_) => PortErrorKind::NotFound,
        _ => PortErrorKind::Invalid,
    };
    (Err(PortError::new(kind, text.clone())), text)
}

fn callback_result(result: Result<(), EngineError>, ok: &str) -> (PortResult<()>, String) {
    match result {
        Ok(()) => (Ok(()), ok.to_owned()),
        Err(e) => callback_error(e),
    }
}

#[async_trait]
impl TaskCallback for SimPorts {
    async fn succeed(&self, task_token: &str, output: &serde_json::Value) -> PortResult<()> {
        let (token, output) = (task_token.to_owned(), output.clone());
        let effect: Effect<'_, ()> = Box::new(move |sim| {
            callback_result(sim.engine.send_task_success(&token, output), "accepted")
        });
        let op = "sfn.SendTaskSuccess".to_owned();
        self.call(Service::StepFunctions, Call::Write, op, effect)
            .await
    }

    async fn fail(&self, task_token: &str, error: &str, cause: &str) -> PortResult<()> {
        let token = task_token.to_owned();
        let (error, cause) = (error.to_owned(), cause.to_owned());
        let op = format!("sfn.SendTaskFailure({error})");
        let effect: Effect<'_, ()> = Box::new(move |sim| {
            callback_result(
                sim.engine
                    .send_task_failure(&token, Some(error), Some(cause)),
                "accepted",
            )
        });
        self.call(Service::StepFunctions, Call::Write, op, effect)
            .await
    }

    async fn heartbeat(&self, task_token: &str) -> PortResult<()> {
        let token = task_token.to_owned();
        let effect: Effect<'_, ()> = Box::new(move |sim| {
            callback_result(sim.engine.send_task_heartbeat(&token), "accepted")
        });
        let op = "sfn.SendTaskHeartbeat".to_owned();
        self.call(Service::StepFunctions, Call::Write, op, effect)
            .await
    }
}

#[async_trait]
impl OutputWriter for SimPorts {
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        _content_type: &str,
        _body: Vec<u8>,
    ) -> PortResult<()> {
        let op = format!("s3.put({key})");
        let path = format!("s3://{bucket}/{key}");
        let writer = self.caller.actor.clone();
        let ok = bucket == OUTPUT_BUCKET;
        let effect: Effect<'_, ()> = Box::new(move |sim| {
            if !ok {
                return (
                    Err(PortError::not_found("NoSuchBucket")),
                    "NoSuchBucket".to_owned(),
                );
            }
            let at = sim.elapsed();
            sim.world()
                .outputs
                .insert(path, OutputObject { writer, at });
            (Ok(()), "written".to_owned())
        });
        self.call(Service::S3, Call::Write, op, effect).await
    }
}

impl Clock for SimPorts {
    fn now(&self) -> DateTime<Utc> {
        self.sim.now()
    }
}
