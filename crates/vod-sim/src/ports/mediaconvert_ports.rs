//! MediaConvert on the simulated account: CreateJob (with its one-minute `ClientRequestToken`
//! window), ListJobs, GetJob and CancelJob.

use super::{Effect, SimPorts};
use crate::mediaconvert;
use crate::scenario::{SOURCE_BUCKET, Service, Source};
use crate::sim::Call;
use crate::world::{Job, JobStatus, short};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use vod_core::AssetId;
use vod_core::job::{Cancellation, JobSpec, JobSummary};
use vod_core::ports::{JobId, JobQueue, PortResult, QueuedJob, Transcoder};

/// How long MediaConvert remembers a `ClientRequestToken`: "within one minute of a successful
/// request" (MediaConvert API Reference, "Preventing duplicate jobs").
pub const TOKEN_WINDOW: Duration = Duration::from_secs(60);

fn summary(job: &Job) -> JobSummary {
    JobSummary {
        job_id: job.id.clone(),
        status: job.status,
        asset_id: Some(job.asset.to_string()),
        created_at: chrono::Duration::from_std(job.created_at)
            .ok()
            .map(|d| crate::sim::t0() + d),
        error: (job.status == JobStatus::Error).then(|| "1010: unsupported input".to_owned()),
    }
}

#[async_trait]
impl Transcoder for SimPorts {
    async fn submit(&self, spec: &JobSpec) -> PortResult<JobId> {
        let op = format!("mediaconvert.CreateJob({})", short(&spec.asset_id));
        let spec = spec.clone();
        let caller = self.caller.clone();
        let effect: Effect<'_, JobId> = Box::new(move |sim| {
            let at = sim.elapsed();
            let mut world = sim.world();
            let forgets = sim.mutant.is_some_and(|m| m.no_job_idempotency());
            if let Some(token) = spec.client_request_token.as_ref().filter(|_| !forgets)
                && let Some((job, created)) = world.tokens.get(token)
                && at.saturating_sub(*created) <= TOKEN_WINDOW
            {
                let job = job.clone();
                return (Ok(job.clone()), format!("{job} (same ClientRequestToken)"));
            }
            let id = format!("job-{}", world.fresh_id());
            if let Some(token) = &spec.client_request_token {
                world.tokens.insert(token.clone(), (id.clone(), at));
            }
            let key = spec
                .input_uri
                .strip_prefix(&format!("s3://{SOURCE_BUCKET}/"))
                .unwrap_or_default();
            let upload = world.sources.get(key).map(|o| o.upload);
            let planned = upload.and_then(|u| world.uploads.get(u)).map(|u| {
                (
                    u.queue_wait,
                    u.run_time,
                    matches!(u.source, Source::Undecodable { .. }),
                )
            });
            let (queue, run, fails) = planned.unwrap_or((0.0, 60.0, true));
            world.jobs.push(Job {
                id: id.clone(),
                asset: spec.asset_id.clone(),
                upload,
                created_by: caller.actor.clone(),
                execution: caller.execution.clone(),
                created_at: at,
                started_at: None,
                finished_at: None,
                status: JobStatus::Submitted,
                destination: spec.destination_uri.clone(),
                queue_wait: Duration::from_secs_f64(queue),
                run_time: Duration::from_secs_f64(run),
                fails,
                wrote_at: None,
            });
            drop(world);
            tokio::spawn(mediaconvert::run_job(Arc::clone(sim), id.clone()));
            let text = format!("{id} created (queue {queue:.0} s, run {run:.0} s)");
            (Ok(id), text)
        });
        self.call(Service::MediaConvert, Call::Write, op, effect)
            .await
    }

    async fn jobs_for(&self, asset: &AssetId, since: DateTime<Utc>) -> PortResult<Vec<JobSummary>> {
        let op = format!("mediaconvert.ListJobs({})", short(asset));
        let asset = asset.clone();
        let effect: Effect<'_, Vec<JobSummary>> = Box::new(move |sim| {
            let world = sim.world();
            let blind = sim.mutant.is_some_and(|m| m.no_job_idempotency());
            let found: Vec<JobSummary> = world
                .jobs
                .iter()
                .rev()
                .filter(|j| j.asset == asset && !blind)
                .map(summary)
                .filter(|j| j.created_at.is_some_and(|at| at >= since))
                .collect();
            let text = format!("{} found", found.len());
            (Ok(found), text)
        });
        self.call(Service::MediaConvert, Call::Read, op, effect)
            .await
    }

    async fn job(&self, job_id: &str) -> PortResult<Option<JobSummary>> {
        let op = format!("mediaconvert.GetJob({job_id})");
        let job_id = job_id.to_owned();
        let effect: Effect<'_, Option<JobSummary>> = Box::new(move |sim| {
            let world = sim.world();
            let found = world.jobs.iter().find(|j| j.id == job_id).map(summary);
            let text = found
                .as_ref()
                .map_or("no such job".to_owned(), |j| j.status.to_string());
            (Ok(found), text)
        });
        self.call(Service::MediaConvert, Call::Read, op, effect)
            .await
    }

    async fn cancel(&self, job_id: &str) -> PortResult<Cancellation> {
        let op = format!("mediaconvert.CancelJob({job_id})");
        let job_id = job_id.to_owned();
        let caller = self.caller.clone();
        let effect: Effect<'_, Cancellation> = Box::new(move |sim| {
            let known = sim.world().jobs.iter().any(|j| j.id == job_id);
            super::check_reconciler_cancel(sim, &caller, &job_id);
            let ignored = sim.mutant.is_some_and(|m| m.no_cancel());
            let outcome = if !known {
                Cancellation::Unknown
            } else if ignored || mediaconvert::cancel(sim, &job_id) {
                Cancellation::Cancelled
            } else {
                Cancellation::AlreadyFinal
            };
            if outcome == Cancellation::Cancelled {
                super::reconciler_effect(sim, &caller, format!("cancelled {job_id}"));
            }
            (Ok(outcome), format!("{outcome:?}"))
        });
        self.call(Service::MediaConvert, Call::Write, op, effect)
            .await
    }
}

/// ListJobs with status SUBMITTED: what the queue keeper asks.
#[async_trait]
impl JobQueue for SimPorts {
    async fn queued_jobs(&self) -> PortResult<Vec<QueuedJob>> {
        let op = "mediaconvert.list_jobs(SUBMITTED)".to_owned();
        let effect: Effect<'_, Vec<QueuedJob>> = Box::new(move |sim| {
            let world = sim.world();
            let queued: Vec<QueuedJob> = world
                .jobs
                .iter()
                .filter(|j| j.status == JobStatus::Submitted)
                .map(|j| QueuedJob {
                    job_id: j.id.clone(),
                    asset_id: Some(j.asset.to_string()),
                })
                .collect();
            let text = format!("{} queued", queued.len());
            (Ok(queued), text)
        });
        self.call(Service::MediaConvert, Call::Read, op, effect)
            .await
    }
}
