//! Finding and stopping MediaConvert jobs: `ListJobs` (newest first) for a retried submission,
//! `GetJob` for the reconciler, `CancelJob` on every failure path.

use crate::sdk_error::port_error;
use aws_sdk_mediaconvert::Client;
use aws_sdk_mediaconvert::types::{Job, JobStatus as SdkJobStatus, Order};
use chrono::{DateTime, Utc};
use vod_core::AssetId;
use vod_core::job::{
    Cancellation, JobStatus, JobSummary, USER_METADATA_ASSET_ID, USER_METADATA_PIPELINE,
};
use vod_core::ports::{PortError, PortErrorKind, PortResult};

/// Pages of 20 jobs read when looking for an asset's jobs: newest first, stopping at the first
/// job older than the submission, so this bounds only a queue flooded within that window.
const MAX_PAGES: usize = 25;

fn status(job: &Job) -> Option<JobStatus> {
    match job.status()? {
        SdkJobStatus::Submitted => Some(JobStatus::Submitted),
        SdkJobStatus::Progressing => Some(JobStatus::Progressing),
        SdkJobStatus::Complete => Some(JobStatus::Complete),
        SdkJobStatus::Canceled => Some(JobStatus::Canceled),
        SdkJobStatus::Error => Some(JobStatus::Error),
        _ => None,
    }
}

fn created_at(job: &Job) -> Option<DateTime<Utc>> {
    let at = job.created_at()?;
    DateTime::from_timestamp(at.secs(), at.subsec_nanos())
}

/// The job in our terms; `None` for a job without an id or with a status this SDK does not
/// know (never ours to act on).
pub(crate) fn summary(job: &Job) -> Option<JobSummary> {
    let error = job.error_message().map(|m| match job.error_code() {
        Some(code) => format!("{code}: {m}"),
        None => m.to_owned(),
    });
    Some(JobSummary {
        job_id: job.id()?.to_owned(),
        status: status(job)?,
        asset_id: job
            .user_metadata()
            .and_then(|m| m.get(USER_METADATA_ASSET_ID))
            .cloned(),
        created_at: created_at(job),
        error,
    })
}

pub(crate) async fn jobs_for(
    client: &Client,
    queue: Option<&str>,
    pipeline: Option<&str>,
    asset: &AssetId,
    since: DateTime<Utc>,
) -> PortResult<Vec<JobSummary>> {
    let mut found = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let out = client
            .list_jobs()
            .order(Order::Descending)
            .max_results(20)
            .set_queue(queue.map(str::to_owned))
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| port_error("listing MediaConvert jobs", e))?;
        let mut older = false;
        for job in out.jobs() {
            if created_at(job).is_some_and(|at| at < since) {
                older = true;
                break;
            }
            let metadata = job.user_metadata();
            let ours = pipeline.is_none_or(|pipeline| {
                metadata
                    .and_then(|m| m.get(USER_METADATA_PIPELINE))
                    .is_some_and(|p| p == pipeline)
            }) && metadata
                .and_then(|m| m.get(USER_METADATA_ASSET_ID))
                .is_some_and(|a| a == asset.as_str());
            if let Some(summary) = summary(job).filter(|_| ours) {
                found.push(summary);
            }
        }
        next = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if older || next.is_none() {
            break;
        }
    }
    Ok(found)
}

pub(crate) async fn job(client: &Client, job_id: &str) -> PortResult<Option<JobSummary>> {
    match client.get_job().id(job_id).send().await {
        Ok(out) => Ok(out.job().and_then(summary)),
        Err(e) => {
            let e = port_error("reading the MediaConvert job", e);
            if e.kind == PortErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

pub(crate) async fn cancel(client: &Client, job_id: &str) -> PortResult<Cancellation> {
    let refused = match client.cancel_job().id(job_id).send().await {
        Ok(_) => return Ok(Cancellation::Cancelled),
        Err(e) => port_error("cancelling the MediaConvert job", e),
    };
    if refused.kind == PortErrorKind::Transient {
        return Err(refused);
    }
    // MediaConvert refuses to cancel a finished job (409) and an unknown one (404): ask
    // which it is rather than trusting the error code.
    match job(client, job_id).await? {
        None => Ok(Cancellation::Unknown),
        Some(j) if j.status.is_final() => Ok(Cancellation::AlreadyFinal),
        Some(j) => Err(PortError::new(
            refused.kind,
            format!("{refused} (the job is still {})", j.status),
        )),
    }
}
