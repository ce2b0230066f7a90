//! job-submit: invoked with a task token; plans the ladder, creates the MediaConvert job,
//! stores the job id and the token on the record, status TRANSCODING. The state machine then
//! waits until the completion handler answers the token.

use crate::HandlerError;
use crate::read_modify_write::{Change, modify};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vod_core::job::JobSpec;
use vod_core::ladder::{LadderPolicy, plan_ladder};
use vod_core::ports::{AssetStore, Clock, Transcoder};
use vod_core::record::JobRef;
use vod_core::{AssetId, AssetStatus};

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
    asset_id: String,
    task_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSubmitOutput {
    pub asset_id: String,
    pub job_id: String,
}

pub async fn handle(
    deps: &JobSubmitDeps,
    payload: serde_json::Value,
) -> Result<JobSubmitOutput, HandlerError> {
    let input: Input = serde_json::from_value(payload).map_err(|e| {
        HandlerError::invalid_input(format!("job-submit needs {{assetId, taskToken}}: {e}"))
    })?;
    let asset_id =
        AssetId::parse(&input.asset_id).map_err(|e| HandlerError::invalid_input(e.to_string()))?;
    let record = deps
        .store
        .get(&asset_id)
        .await
        .map_err(|e| HandlerError::from_port("reading the asset record", e))?
        .ok_or_else(|| HandlerError::conflict(format!("no record for asset {asset_id}")))?;

    // A retry after the job was already created: keep that job, answer with the new token.
    if let (AssetStatus::Transcoding, Some(job)) = (record.status, &record.job) {
        let job_id = job.job_id.clone();
        let token = input.task_token.clone();
        modify(
            deps.store.as_ref(),
            deps.clock.as_ref(),
            &asset_id,
            |r| match &mut r.job {
                Some(job) if job.task_token != token => {
                    job.task_token = token.clone();
                    Ok(Change::Write)
                }
                _ => Ok(Change::Keep),
            },
        )
        .await?;
        tracing::info!(asset_id = %asset_id, job_id = %job_id, "job already submitted: token refreshed");
        return Ok(JobSubmitOutput {
            asset_id: asset_id.to_string(),
            job_id,
        });
    }
    if record.status != AssetStatus::Probed {
        return Err(HandlerError::conflict(format!(
            "asset {asset_id} is {}, not PROBED: nothing to submit",
            record.status
        )));
    }
    let report = record
        .probe
        .as_ref()
        .ok_or_else(|| HandlerError::conflict(format!("asset {asset_id} has no probe report")))?;
    let plan = plan_ladder(report, &deps.settings.ladder_policy)
        .map_err(|e| HandlerError::invalid_input(format!("no ladder for this source: {e}")))?;
    let spec = JobSpec::new(
        asset_id.clone(),
        record.source.s3_uri(),
        &deps.settings.output_bucket,
        &deps.settings.output_prefix,
        plan.clone(),
        &deps.settings.pipeline_name,
    );
    let job_id = deps
        .transcoder
        .submit(&spec)
        .await
        .map_err(|e| HandlerError::from_port("creating the transcode job", e))?;
    tracing::info!(asset_id = %asset_id, job_id = %job_id, rungs = plan.rungs.len(), "job submitted");

    let submitted_at = deps.clock.now();
    modify(deps.store.as_ref(), deps.clock.as_ref(), &asset_id, |r| {
        if r.status != AssetStatus::Probed {
            return Err(HandlerError::conflict(format!(
                "asset {asset_id} became {} while its job {job_id} was being submitted",
                r.status
            )));
        }
        r.ladder = Some(plan.clone());
        r.job = Some(JobRef {
            job_id: job_id.clone(),
            submitted_at,
            task_token: input.task_token.clone(),
        });
        r.progress_percent = Some(0);
        r.transition(
            AssetStatus::Transcoding,
            submitted_at,
            Some(format!("MediaConvert job {job_id}")),
        )
        .map_err(|e| HandlerError::internal(e.to_string()))?;
        Ok(Change::Write)
    })
    .await?;
    Ok(JobSubmitOutput {
        asset_id: asset_id.to_string(),
        job_id,
    })
}
