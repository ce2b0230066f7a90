//! job-submit: invoked with a task token; plans the ladder, creates the MediaConvert job,
//! stores the job id and the token on the record, status TRANSCODING. The state machine then
//! waits until the completion handler answers the token.
//!
//! Idempotent, so the Transcode state can retry it after any failure (issue #17 problem 3):
//! a submission marker goes on the record before CreateJob ([`vod_core::lifecycle`]), every
//! attempt sends the marker's `ClientRequestToken`, and an attempt that finds an earlier
//! attempt's marker first looks for the job that attempt may have created (MediaConvert
//! remembers a token for only a minute). A job the record can no longer take is cancelled.

use crate::HandlerError;
use crate::read_modify_write::{Change, modify};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vod_core::AssetId;
use vod_core::job::{JobSpec, JobStatus};
use vod_core::ladder::{LadderPolicy, plan_ladder};
use vod_core::lifecycle::{LifecycleError, Submission, SubmitStep};
use vod_core::ports::{AssetStore, Clock, Transcoder};
use vod_core::record::JobRef;

#[derive(Debug, Clone, PartialEq)]
pub struct JobSubmitSettings {
    pub output_bucket: String,
    pub output_prefix: String,
    pub pipeline_name: String,
    pub ladder_policy: LadderPolicy,
}

#[derive(Clone)]
pub struct JobSubmitDeps {
    pub store: Arc<dyn AssetStore>,
    pub transcoder: Arc<dyn Transcoder>,
    pub clock: Arc<dyn Clock>,
    pub settings: JobSubmitSettings,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    asset_id: AssetId,
    task_token: String,
    /// The calling execution (`$$.Execution.Id`): only the one that claimed the asset submits.
    #[serde(default)]
    execution_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSubmitOutput {
    pub asset_id: String,
    pub job_id: String,
}

/// How far before a submission's marker a job it created may say it was created (clock skew
/// between Lambda and MediaConvert).
const CREATED_AT_SLACK: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

fn refused(e: LifecycleError) -> HandlerError {
    HandlerError::conflict(e.to_string())
}

pub async fn handle(
    deps: &JobSubmitDeps,
    payload: serde_json::Value,
) -> Result<JobSubmitOutput, HandlerError> {
    let input: Input = serde_json::from_value(payload).map_err(|e| {
        HandlerError::invalid_input(format!(
            "job-submit needs {{assetId, taskToken, executionId}}: {e}"
        ))
    })?;
    let asset_id = input.asset_id.clone();
    let caller = input.execution_id.as_deref();
    let record = deps
        .store
        .get(&asset_id)
        .await
        .map_err(|e| HandlerError::from_port("reading the asset record", e))?
        .ok_or_else(|| HandlerError::conflict(format!("no record for asset {asset_id}")))?;

    let marker = match record
        .submit_step(caller, deps.clock.now())
        .map_err(refused)?
    {
        SubmitStep::Recorded(job) => return refresh_token(deps, &input, job.job_id).await,
        SubmitStep::Start(marker) => {
            // Conditional on the revision read: of two racing attempts one marker wins, and
            // the loser resumes it.
            let mut wrote = false;
            let stored = modify(deps.store.as_ref(), deps.clock.as_ref(), &asset_id, |r| {
                r.check_owner(caller).map_err(refused)?;
                wrote = r.mark_submission(&marker).map_err(refused)?;
                Ok(if wrote { Change::Write } else { Change::Keep })
            })
            .await?;
            match stored.submission {
                Some(m) if wrote => Submitting::Fresh(m),
                Some(m) => Submitting::Resumed(m),
                None => return Err(HandlerError::internal("the submission marker vanished")),
            }
        }
        SubmitStep::Resume(marker) => Submitting::Resumed(marker),
    };

    let report = record
        .probe
        .as_ref()
        .ok_or_else(|| HandlerError::conflict(format!("asset {asset_id} has no probe report")))?;
    let plan = plan_ladder(report, &deps.settings.ladder_policy)
        .map_err(|e| HandlerError::invalid_input(format!("no ladder for this source: {e}")))?;
    let token = marker.submission().request_token.clone();
    let spec = JobSpec::new(
        asset_id.clone(),
        record.source.s3_uri(),
        &deps.settings.output_bucket,
        &deps.settings.output_prefix,
        plan.clone(),
        &deps.settings.pipeline_name,
    )
    .with_request_token(&token);
    let job_id = match &marker {
        Submitting::Resumed(m) => match earlier_job(deps, &asset_id, m).await? {
            Some(job_id) => {
                tracing::info!(asset_id = %asset_id, job_id = %job_id, "an earlier attempt created the job: adopted");
                job_id
            }
            None => create(deps, &spec).await?,
        },
        Submitting::Fresh(_) => create(deps, &spec).await?,
    };
    tracing::info!(asset_id = %asset_id, job_id = %job_id, rungs = plan.rungs.len(), "job submitted");

    let submitted_at = deps.clock.now();
    let job = JobRef {
        job_id: job_id.clone(),
        submitted_at,
        task_token: input.task_token.clone(),
    };
    let written = modify(deps.store.as_ref(), deps.clock.as_ref(), &asset_id, |r| {
        r.ladder = Some(plan.clone());
        r.record_job(caller, &token, job.clone(), submitted_at)
            .map_err(refused)?;
        Ok(Change::Write)
    })
    .await;
    if let Err(e) = written {
        // The asset moved on without this job (failed, reconciled): stop it before it
        // writes or bills anything.
        if e.error_type == vod_core::error_names::CONFLICT {
            cancel_orphan(deps, &asset_id, &job_id).await;
        }
        return Err(e);
    }
    Ok(JobSubmitOutput {
        asset_id: asset_id.to_string(),
        job_id,
    })
}

/// The submission this call goes on with.
enum Submitting {
    /// Marked by this call: no job can exist yet.
    Fresh(Submission),
    /// Marked by an earlier attempt whose outcome is unknown.
    Resumed(Submission),
}

impl Submitting {
    fn submission(&self) -> &Submission {
        match self {
            Self::Fresh(s) | Self::Resumed(s) => s,
        }
    }
}

async fn create(deps: &JobSubmitDeps, spec: &JobSpec) -> Result<String, HandlerError> {
    deps.transcoder
        .submit(spec)
        .await
        .map_err(|e| HandlerError::from_port("creating the transcode job", e))
}

/// The job an earlier attempt of this submission created, if it is still of use (not
/// cancelled or failed); extra live jobs of the asset are cancelled.
async fn earlier_job(
    deps: &JobSubmitDeps,
    asset_id: &AssetId,
    marker: &Submission,
) -> Result<Option<String>, HandlerError> {
    let jobs = deps
        .transcoder
        .jobs_for(asset_id, marker.started_at - CREATED_AT_SLACK)
        .await
        .map_err(|e| HandlerError::from_port("looking for the job of an earlier attempt", e))?;
    let mut usable = jobs
        .into_iter()
        .filter(|j| !matches!(j.status, JobStatus::Canceled | JobStatus::Error));
    let Some(adopted) = usable.next() else {
        return Ok(None);
    };
    for extra in usable {
        cancel_orphan(deps, asset_id, &extra.job_id).await;
    }
    Ok(Some(adopted.job_id))
}

/// Cancels a job no record points at; a failure is logged (the reconciler sweeps what is left).
async fn cancel_orphan(deps: &JobSubmitDeps, asset_id: &AssetId, job_id: &str) {
    match deps.transcoder.cancel(job_id).await {
        Ok(outcome) => {
            tracing::warn!(asset_id = %asset_id, job_id, ?outcome, "cancelled a job no record points at")
        }
        Err(e) => {
            tracing::error!(asset_id = %asset_id, job_id, error = %e, "could not cancel a job no record points at")
        }
    }
}

/// A retry after the job was recorded: keep that job, answer with the new token.
async fn refresh_token(
    deps: &JobSubmitDeps,
    input: &Input,
    job_id: String,
) -> Result<JobSubmitOutput, HandlerError> {
    let token = input.task_token.clone();
    modify(
        deps.store.as_ref(),
        deps.clock.as_ref(),
        &input.asset_id,
        |r| match &mut r.job {
            Some(job) if job.task_token != token => {
                job.task_token = token.clone();
                Ok(Change::Write)
            }
            _ => Ok(Change::Keep),
        },
    )
    .await?;
    tracing::info!(asset_id = %input.asset_id, job_id = %job_id, "job already submitted: token refreshed");
    Ok(JobSubmitOutput {
        asset_id: input.asset_id.to_string(),
        job_id,
    })
}
