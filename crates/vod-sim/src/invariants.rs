//! What must hold whatever the order of events and faults, checked when a run ends (the
//! horizon is far past every timeout, so whatever was going to happen has happened). Each
//! violation carries a diagnosis: which known problem of issue #17 the evidence points at, or
//! `Unexplained` when none does.

use crate::lambda::CRASH;
use crate::scenario::{Deserved, HORIZON, KeyStyle};
use crate::sim::{Sim, t0};
use crate::world::{IncidentKind, Job, JobStatus, World, short, true_id};
use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;
use vod_core::event::EventType;
use vod_core::record::AssetRecord;
use vod_core::{AssetId, AssetStatus};
use vod_states::ExecutionStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invariant {
    /// Every upload's record exists and is final (COMPLETE, REJECTED or FAILED) by the horizon.
    EveryAssetFinal,
    /// An upload that met only isolated faults ends as its source deserves.
    DeservedOutcome,
    /// Every record belongs to an uploaded object.
    NoPhantomRecord,
    /// A COMPLETE record's outputs exist and were written by its job; a REJECTED one has none.
    RecordAgrees,
    /// At most one MediaConvert job per asset ever runs (an extra one is cancelled while queued).
    OneJobPerAsset,
    /// No job of an asset runs on after the asset went final (unless it is the job that
    /// completed it).
    NoJobAfterFinal,
    /// Exactly one terminal event per final asset reaches subscribers, and it tells the truth.
    OneTerminalEvent,
    /// An execution that does not own an asset never writes its record.
    OwnerOnlyWrites,
    NoPanic,
    /// Records within DynamoDB's item limit, events within SNS's message limit.
    SizeLimits,
    /// The reconciler never finishes an asset whose execution runs within its bound while its
    /// job is unfinished.
    ReconcilerLeavesRunning,
    /// Nothing the reconciler completes lacks outputs and playback.
    ReconcilerCompletesWithOutputs,
    /// A second reconciler run, once the first has finished what it set going, changes
    /// nothing (checked after the run, without faults).
    ReconcilerIdempotent,
    /// Every execution ends through one of its own Succeed or Fail states: none times out (its
    /// `TimeoutSeconds` exceeds every path, so a Catch always runs) and no error escapes a
    /// Catch. The reconciler is a safety net, not the way assets end.
    ExecutionsEndInTheirStates,
}

impl Invariant {
    pub const ALL: [Invariant; 14] = [
        Self::EveryAssetFinal,
        Self::DeservedOutcome,
        Self::NoPhantomRecord,
        Self::RecordAgrees,
        Self::OneJobPerAsset,
        Self::NoJobAfterFinal,
        Self::OneTerminalEvent,
        Self::OwnerOnlyWrites,
        Self::NoPanic,
        Self::SizeLimits,
        Self::ReconcilerLeavesRunning,
        Self::ReconcilerCompletesWithOutputs,
        Self::ReconcilerIdempotent,
        Self::ExecutionsEndInTheirStates,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::EveryAssetFinal => "every-asset-final",
            Self::DeservedOutcome => "deserved-outcome",
            Self::NoPhantomRecord => "no-phantom-record",
            Self::RecordAgrees => "record-agrees",
            Self::OneJobPerAsset => "one-job-per-asset",
            Self::NoJobAfterFinal => "no-job-after-final",
            Self::OneTerminalEvent => "one-terminal-event",
            Self::OwnerOnlyWrites => "owner-only-writes",
            Self::NoPanic => "no-panic",
            Self::SizeLimits => "size-limits",
            Self::ReconcilerLeavesRunning => "reconciler-leaves-running",
            Self::ReconcilerCompletesWithOutputs => "reconciler-completes-with-outputs",
            Self::ReconcilerIdempotent => "reconciler-idempotent",
            Self::ExecutionsEndInTheirStates => "executions-end-in-their-states",
        }
    }
}

/// The problems of issue #17, by number; `Unexplained` is anything else (always a failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Problem {
    P1DuplicateFailsOwner,
    P2PhantomAsset,
    P3JobSubmitNotIdempotent,
    P4TimeoutsLeaveNonFinal,
    P5LambdaTransientNotRetried,
    P6NothingReconciles,
    Unexplained,
}

impl Problem {
    pub fn label(self) -> &'static str {
        match self {
            Self::P1DuplicateFailsOwner => "#1 a duplicate execution fails the owner's asset",
            Self::P2PhantomAsset => "#2 the notifier fails a phantom asset (raw/decoded key)",
            Self::P3JobSubmitNotIdempotent => "#3 job-submit is not idempotent (a second job)",
            Self::P4TimeoutsLeaveNonFinal => "#4 timeouts leave records non-final / jobs running",
            Self::P5LambdaTransientNotRetried => "#5 Lambda's transient errors are not retried",
            Self::P6NothingReconciles => "#6 nothing reconciles",
            Self::Unexplained => "unexplained (no known problem fits)",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub invariant: Invariant,
    pub problem: Problem,
    pub upload: Option<usize>,
    /// When it happened (or was found), since the start of the run.
    pub at: Duration,
    pub text: String,
}

/// The moment a record went final, since the start of the run.
fn final_at(record: &AssetRecord) -> Option<Duration> {
    let change = record.history.iter().rev().find(|c| c.status.is_final())?;
    (change.at - t0()).to_std().ok()
}

const LAMBDA_TRANSIENT: &[&str] = &[
    "Lambda.Unknown",
    "Sandbox.Timedout",
    "Lambda.ServiceException",
    "Lambda.TooManyRequestsException",
];

/// Everything a diagnosis looks at for one upload.
struct Evidence<'a> {
    world: &'a World,
    sim: &'a Sim,
    upload: usize,
    id: AssetId,
    record: Option<&'a AssetRecord>,
    jobs: Vec<&'a Job>,
}

impl Evidence<'_> {
    fn foreign_writes(&self) -> bool {
        self.world.foreign_writes.iter().any(|w| w.asset == self.id)
    }

    fn phantoms(&self) -> Vec<&AssetId> {
        self.world
            .created
            .iter()
            .filter(|c| c.upload == Some(self.upload) && c.asset != self.id)
            .map(|c| &c.asset)
            .collect()
    }

    fn owner_status(&self) -> Option<ExecutionStatus> {
        let owner = self.record?.claimed_by.as_deref()?;
        self.sim.engine.describe(owner).ok().map(|d| d.status)
    }

    fn undelivered(&self) -> bool {
        self.world
            .undelivered
            .iter()
            .any(|u| u.0 == Some(self.upload))
    }

    fn outage(&self) -> bool {
        self.sim.scenario.faults.outage.is_some()
    }

    /// Two jobs created by one execution: job-submit ran CreateJob again.
    fn resubmitted(&self) -> bool {
        self.jobs.iter().enumerate().any(|(i, a)| {
            self.jobs[i + 1..]
                .iter()
                .any(|b| a.execution.is_some() && a.execution == b.execution)
        })
    }

    /// Lambda's own transient error (`Lambda.Unknown`, `Sandbox.Timedout`) hit a state whose
    /// name starts with `state` (any state for `""`) in one of this upload's executions.
    fn lambda_transient_in(&self, state: &str) -> bool {
        self.world.injected.iter().any(|i| {
            i.upload == Some(self.upload)
                && i.actor
                    .split_whitespace()
                    .nth(1)
                    .is_some_and(|s| s.starts_with(state))
                && (i.what.ends_with("Lambda.Unknown") || i.what.ends_with("Sandbox.Timedout"))
        })
    }

    /// An invocation of this upload's crashed (`Runtime.ExitError`, injected).
    fn crashed(&self) -> bool {
        self.world
            .injected
            .iter()
            .any(|i| i.upload == Some(self.upload) && i.what.ends_with(CRASH))
    }

    fn long_queue(&self) -> bool {
        self.jobs.iter().any(|j| {
            j.queue_wait >= Duration::from_secs(vod_core::job::CallbackTimeouts::HEARTBEAT_SECONDS)
        })
    }

    /// Why a record is not final (or missing).
    fn why_not_final(&self) -> Problem {
        if !self.phantoms().is_empty() {
            return Problem::P2PhantomAsset;
        }
        match self.owner_status() {
            Some(ExecutionStatus::TimedOut | ExecutionStatus::Failed) => {
                Problem::P4TimeoutsLeaveNonFinal
            }
            _ if self.undelivered() || self.outage() => Problem::P6NothingReconciles,
            _ => Problem::Unexplained,
        }
    }

    fn why_failed(&self) -> Problem {
        if self.foreign_writes() {
            return Problem::P1DuplicateFailsOwner;
        }
        let error = self
            .record
            .and_then(|r| r.error.as_ref())
            .map(|e| e.name.as_str());
        match error {
            Some(name) if LAMBDA_TRANSIENT.contains(&name) => Problem::P5LambdaTransientNotRetried,
            Some("States.Timeout" | "States.HeartbeatTimeout") if self.long_queue() => {
                Problem::P4TimeoutsLeaveNonFinal
            }
            _ => Problem::Unexplained,
        }
    }
}

/// Checks every invariant on the world as the run left it.
pub fn check(sim: &Sim) -> Vec<Violation> {
    let world = sim.world();
    let mut out = Vec::new();
    let horizon = HORIZON;
    for (index, upload) in world.uploads.iter().enumerate() {
        let id = true_id(upload);
        let ev = Evidence {
            world: &world,
            sim,
            upload: index,
            record: world.table.get(&id),
            jobs: world.jobs.iter().filter(|j| j.asset == id).collect(),
            id: id.clone(),
        };
        let mut v = |invariant, problem, at, text: String| {
            out.push(Violation {
                invariant,
                problem,
                upload: Some(index),
                at,
                text,
            })
        };
        let record = ev.record;
        match record {
            None => v(
                Invariant::EveryAssetFinal,
                ev.why_not_final(),
                horizon,
                format!("u{index}'s asset {} has no record at all", short(&id)),
            ),
            Some(r) if !r.status.is_final() => v(
                Invariant::EveryAssetFinal,
                ev.why_not_final(),
                horizon,
                format!(
                    "u{index}'s asset {} is still {} (owner execution {})",
                    short(&id),
                    r.status,
                    ev.owner_status().map_or("unknown", |s| s.as_str())
                ),
            ),
            Some(_) => {}
        }
        // A crashed runtime (Runtime.ExitError, not retried) fails its asset honestly.
        let crashed = ev.crashed();
        if let (Some(r), Some(deserved)) = (record, upload.deserves(&sim.scenario.faults))
            && r.status.is_final()
            && !crashed
        {
            let wanted = match deserved {
                Deserved::Complete => AssetStatus::Complete,
                Deserved::Rejected => AssetStatus::Rejected,
            };
            if r.status != wanted {
                let error = r.error.as_ref().map_or(String::new(), |e| {
                    format!(
                        ": {} {}",
                        e.name,
                        e.message.chars().take(120).collect::<String>()
                    )
                });
                v(
                    Invariant::DeservedOutcome,
                    ev.why_failed(),
                    final_at(r).unwrap_or(horizon),
                    format!(
                        "u{index} deserved {wanted} (isolated faults only) but ended {}{error}",
                        r.status
                    ),
                );
            }
        }
        if let Some(r) = record {
            agrees(&world, &ev, r, &mut v);
            terminal_events(&world, &ev, r, &mut v);
        }
        jobs(&ev, record, &mut v);
    }
    for created in &world.created {
        if world.upload_of(&created.asset).is_none() {
            let raw = sim.scenario.key_style == KeyStyle::Raw;
            out.push(Violation {
                invariant: Invariant::NoPhantomRecord,
                problem: if raw && created.by.contains("NotifyIngestFailed") {
                    Problem::P2PhantomAsset
                } else {
                    Problem::Unexplained
                },
                upload: created.upload,
                at: created.at,
                text: format!(
                    "{} created record {} for no uploaded object",
                    created.by,
                    short(&created.asset)
                ),
            });
        }
    }
    for w in &world.foreign_writes {
        out.push(Violation {
            invariant: Invariant::OwnerOnlyWrites,
            problem: if w.writer.contains("Notify") {
                Problem::P1DuplicateFailsOwner
            } else {
                Problem::Unexplained
            },
            upload: world.upload_of(&w.asset),
            at: w.at,
            text: format!(
                "{} wrote {}'s record ({}) although {} owns it",
                w.writer,
                short(&w.asset),
                w.change,
                w.owner
            ),
        });
    }
    for i in &world.incidents {
        let invariant = match i.kind {
            IncidentKind::Panic => Invariant::NoPanic,
            IncidentKind::OversizeRecord | IncidentKind::OversizeMessage => Invariant::SizeLimits,
            IncidentKind::ReconcilerPremature => Invariant::ReconcilerLeavesRunning,
            IncidentKind::ReconcilerCompletedEmpty => Invariant::ReconcilerCompletesWithOutputs,
        };
        out.push(Violation {
            invariant,
            problem: Problem::Unexplained,
            upload: i.upload,
            at: i.at,
            text: i.text.clone(),
        });
    }
    execution_endings(sim, &world, &mut out);
    out.sort_by_key(|v| (v.at, v.invariant, v.upload));
    out
}

type Report<'a> = dyn FnMut(Invariant, Problem, Duration, String) + 'a;

fn agrees(world: &World, ev: &Evidence<'_>, r: &AssetRecord, v: &mut Report<'_>) {
    let at = final_at(r).unwrap_or(HORIZON);
    match r.status {
        AssetStatus::Complete => {
            let job = r.job.as_ref().map(|j| j.job_id.as_str());
            let missing: Vec<&String> = r
                .outputs
                .iter()
                .filter(|o| {
                    world
                        .outputs
                        .get(*o)
                        .is_none_or(|w| Some(w.writer.as_str()) != job)
                })
                .collect();
            let hls = r.playback.as_ref().and_then(|p| p.hls_url.as_ref());
            if r.outputs.is_empty() || !missing.is_empty() || hls.is_none() {
                v(
                    Invariant::RecordAgrees,
                    Problem::Unexplained,
                    at,
                    format!(
                        "{} is COMPLETE but {} of its {} outputs were not written by its job {}",
                        short(&ev.id),
                        missing.len(),
                        r.outputs.len(),
                        job.unwrap_or("(none)")
                    ),
                );
            }
        }
        AssetStatus::Rejected if !ev.jobs.is_empty() => v(
            Invariant::RecordAgrees,
            Problem::Unexplained,
            at,
            format!(
                "{} is REJECTED but has {} job(s)",
                short(&ev.id),
                ev.jobs.len()
            ),
        ),
        _ => {}
    }
}

fn terminal_events(world: &World, ev: &Evidence<'_>, r: &AssetRecord, v: &mut Report<'_>) {
    let terminal: Vec<_> = world
        .sns
        .iter()
        .filter(|p| p.event.asset_id == ev.id && p.event.event_type != EventType::Ingested)
        .collect();
    let ids: BTreeSet<&str> = terminal.iter().map(|p| p.event.event_id.as_str()).collect();
    let first_at = terminal.first().map_or(HORIZON, |p| p.at);
    if ids.len() > 1 {
        let types: Vec<&str> = terminal
            .iter()
            .map(|p| p.event.event_type.as_str())
            .collect();
        let problem = if ev.foreign_writes() {
            Problem::P1DuplicateFailsOwner
        } else {
            Problem::Unexplained
        };
        v(
            Invariant::OneTerminalEvent,
            problem,
            first_at,
            format!(
                "{} got {} different terminal events: {}",
                short(&ev.id),
                ids.len(),
                types.join(", ")
            ),
        );
    }
    let truthful = |t: EventType| match t {
        EventType::Completed => r.status == AssetStatus::Complete,
        EventType::Rejected => r.status == AssetStatus::Rejected,
        EventType::Failed => r.status == AssetStatus::Failed,
        EventType::Ingested => true,
    };
    if let Some(p) = terminal.iter().find(|p| !truthful(p.event.event_type)) {
        v(
            Invariant::OneTerminalEvent,
            if ev.foreign_writes() {
                Problem::P1DuplicateFailsOwner
            } else {
                Problem::Unexplained
            },
            p.at,
            format!(
                "{} sent {} but the record ended {}",
                p.by,
                p.event.event_type.as_str(),
                r.status
            ),
        );
    }
    if r.status.is_final() && terminal.is_empty() {
        let problem = match ev.owner_status() {
            Some(ExecutionStatus::TimedOut) => Problem::P4TimeoutsLeaveNonFinal,
            _ if !ev.phantoms().is_empty() => Problem::P2PhantomAsset,
            // An outage outlasts any retry list: only a reconciler can publish afterwards.
            _ if ev.outage() || ev.undelivered() => Problem::P6NothingReconciles,
            _ if ev.lambda_transient_in("") => Problem::P5LambdaTransientNotRetried,
            _ => Problem::Unexplained,
        };
        v(
            Invariant::OneTerminalEvent,
            problem,
            HORIZON,
            format!(
                "{} ended {} and no terminal event reached subscribers",
                short(&ev.id),
                r.status
            ),
        );
    }
}

/// Jobs that started cost money; jobs that outlive their asset write into a finished asset.
fn jobs(ev: &Evidence<'_>, record: Option<&AssetRecord>, v: &mut Report<'_>) {
    let started: Vec<&&Job> = ev.jobs.iter().filter(|j| j.started_at.is_some()).collect();
    if started.len() > 1 {
        let names: Vec<String> = started
            .iter()
            .map(|j| format!("{} (by {})", j.id, j.created_by))
            .collect();
        let problem = if ev.resubmitted() {
            Problem::P3JobSubmitNotIdempotent
        } else {
            Problem::Unexplained
        };
        v(
            Invariant::OneJobPerAsset,
            problem,
            started
                .iter()
                .filter_map(|j| j.started_at)
                .max()
                .unwrap_or(HORIZON),
            format!(
                "{} jobs ran for {}: {}",
                started.len(),
                short(&ev.id),
                names.join(", ")
            ),
        );
    }
    let Some(r) = record.filter(|r| r.status.is_final()) else {
        return;
    };
    let Some(went_final) = final_at(r) else {
        return;
    };
    let completed_it = r
        .job
        .as_ref()
        .map(|j| j.job_id.as_str())
        .filter(|_| r.status == AssetStatus::Complete);
    let grace = Duration::from_secs(15 * 60);
    let mut deadline = went_final + grace;
    // Nothing can stop a job while MediaConvert refuses every call: then the grace counts from
    // when it answers again, plus three reconciler periods (the sweep that cancels it, and
    // two more for sweeps lost to isolated faults: a run stops at its first failed call).
    if let Some(o) = ev.sim.scenario.faults.outage.filter(|o| {
        o.service == crate::scenario::Service::MediaConvert
            && o.from <= deadline
            && o.until > went_final
    }) {
        let sweep =
            Duration::from_secs(3 * u64::from(vod_core::contracts::RECONCILER_PERIOD_SECONDS));
        deadline = deadline.max(o.until + sweep + grace);
    }
    for job in &ev.jobs {
        if Some(job.id.as_str()) == completed_it {
            continue;
        }
        let ended = job.finished_at.unwrap_or(HORIZON);
        if ended > deadline {
            let problem = if ev.foreign_writes() {
                Problem::P1DuplicateFailsOwner
            } else if ev.resubmitted() && r.job.as_ref().is_some_and(|j| j.job_id != job.id) {
                Problem::P3JobSubmitNotIdempotent
            } else {
                Problem::P4TimeoutsLeaveNonFinal
            };
            let what = match job.status {
                JobStatus::Complete => "ran on and wrote its outputs",
                JobStatus::Error => "ran on until it failed",
                JobStatus::Canceled => "was cancelled only",
                JobStatus::Submitted | JobStatus::Progressing => "is still running",
            };
            v(
                Invariant::NoJobAfterFinal,
                problem,
                went_final + grace,
                format!(
                    "{} went {} at {}; its {} {what} ({})",
                    short(&ev.id),
                    r.status,
                    crate::trace::clock(went_final),
                    job.id,
                    crate::trace::clock(ended)
                ),
            );
        }
    }
}

/// [`Invariant::ExecutionsEndInTheirStates`], from each execution's history.
fn execution_endings(sim: &Sim, world: &World, out: &mut Vec<Violation>) {
    for e in &world.executions {
        let Ok(history) = sim.engine.history(&e.arn) else {
            continue;
        };
        let Some(last) = history.last() else {
            continue;
        };
        let at = (last.timestamp - crate::sim::t0())
            .to_std()
            .unwrap_or_default();
        let last_state = history
            .iter()
            .rev()
            .find(|h| h.event_type.ends_with("StateEntered"))
            .map(|h| h.event_type.as_str());
        let (problem, why) = match last.event_type.as_str() {
            "ExecutionTimedOut" => (
                Problem::P4TimeoutsLeaveNonFinal,
                "timed out: no Catch ran".to_owned(),
            ),
            "ExecutionFailed" if last_state != Some("FailStateEntered") => (
                Problem::Unexplained,
                format!(
                    "failed with an error no Catch took (last state entered: {})",
                    last_state.unwrap_or("none")
                ),
            ),
            _ => continue,
        };
        out.push(Violation {
            invariant: Invariant::ExecutionsEndInTheirStates,
            problem,
            upload: Some(e.upload),
            at,
            text: format!("execution {} {why}", e.name),
        });
    }
}
