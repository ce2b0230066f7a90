//! The lifecycle rules every handler applies to a record, as pure functions: who may write
//! (the execution that claimed the asset), how a duplicate or retried ingest resumes, how a
//! submission is marked before `CreateJob` and recorded after it, and how an asset fails. The
//! handlers do the I/O around them; the simulation (`vod-sim`) checks what they guarantee.

use crate::record::{AssetRecord, ErrorInfo, JobRef};
use crate::status::{AssetStatus, IllegalTransition};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What ingest-probe tells the state machine's `Route` choice (serde names are the ASL's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IngestDecision {
    /// Probed and accepted: transcode it.
    Probed,
    /// Not transcodable; the record says why.
    Rejected,
    /// Another execution owns this asset (a duplicate event): stop.
    Duplicate,
}

impl IngestDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Probed => "probed",
            Self::Rejected => "rejected",
            Self::Duplicate => "duplicate",
        }
    }
}

/// A write the lifecycle refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("execution {caller} does not own asset {asset} (claimed by {owner})")]
    NotOwner {
        asset: String,
        caller: String,
        owner: String,
    },
    #[error("asset {asset} is {status}: {action} needs {wanted}")]
    WrongStatus {
        asset: String,
        status: AssetStatus,
        wanted: AssetStatus,
        action: &'static str,
    },
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
}

/// The submission marker, written (conditionally, on the record's revision) before CreateJob:
/// every retry of the submission sends the same `ClientRequestToken`, and one whose first
/// attempt's outcome was lost looks for the job that attempt may have created before it
/// creates one (MediaConvert remembers a token for only a minute).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    /// MediaConvert's `ClientRequestToken` for this submission (≤ 64 ASCII characters).
    pub request_token: String,
    pub started_at: DateTime<Utc>,
    /// The execution that started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// How job-submit goes on, from the record it read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmitStep {
    /// The job was created and recorded (a retry after the write): answer with it.
    Recorded(JobRef),
    /// No submission yet: write this marker, then create the job.
    Start(Submission),
    /// An earlier attempt marked the submission and its outcome is unknown: look for its job
    /// before creating one with the same token.
    Resume(Submission),
}

/// How ingest-probe goes on when the claim found a record already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Another execution owns it.
    Duplicate,
    /// This execution's earlier attempt claimed it and had not finished probing: probe.
    Probe,
    /// This execution's earlier attempt already decided.
    Decided(IngestDecision),
    /// This execution's asset has already failed.
    Failed,
}

impl AssetRecord {
    /// Whether `caller` may change this record: the execution that claimed it, or anyone when
    /// nobody claimed it or the caller is unknown (a direct invocation, an operator's tool).
    pub fn writable_by(&self, caller: Option<&str>) -> bool {
        match (caller, self.claimed_by.as_deref()) {
            (Some(caller), Some(owner)) => caller == owner,
            _ => true,
        }
    }

    /// [`Self::writable_by`] as a result, for handlers that must refuse.
    pub fn check_owner(&self, caller: Option<&str>) -> Result<(), LifecycleError> {
        if self.writable_by(caller) {
            return Ok(());
        }
        Err(LifecycleError::NotOwner {
            asset: self.asset_id.to_string(),
            caller: caller.unwrap_or_default().to_owned(),
            owner: self.claimed_by.clone().unwrap_or_default(),
        })
    }

    /// What ingest-probe does when its claim found this record: only the claiming execution
    /// resumes, from where its earlier attempt stopped.
    pub fn resume_ingest(&self, caller: Option<&str>) -> Resume {
        let ours = caller.is_some() && self.claimed_by.as_deref() == caller;
        if !ours {
            return Resume::Duplicate;
        }
        match self.status {
            AssetStatus::Uploaded | AssetStatus::Probing => Resume::Probe,
            AssetStatus::Rejected => Resume::Decided(IngestDecision::Rejected),
            AssetStatus::Failed => Resume::Failed,
            AssetStatus::Probed | AssetStatus::Transcoding | AssetStatus::Complete => {
                Resume::Decided(IngestDecision::Probed)
            }
        }
    }

    /// job-submit's first decision. `now` stamps a new submission.
    pub fn submit_step(
        &self,
        caller: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<SubmitStep, LifecycleError> {
        self.check_owner(caller)?;
        if let (AssetStatus::Transcoding, Some(job)) = (self.status, &self.job) {
            return Ok(SubmitStep::Recorded(job.clone()));
        }
        self.expect(AssetStatus::Probed, "submitting a job")?;
        Ok(match &self.submission {
            Some(marker) => SubmitStep::Resume(marker.clone()),
            None => SubmitStep::Start(Submission {
                request_token: format!("{}-{}", self.asset_id, now.timestamp_millis()),
                started_at: now,
                by: caller.map(str::to_owned),
            }),
        })
    }

    /// Writes the submission marker; `false` when another attempt's marker is already there
    /// (the caller then resumes that one).
    pub fn mark_submission(&mut self, marker: &Submission) -> Result<bool, LifecycleError> {
        self.expect(AssetStatus::Probed, "marking a submission")?;
        if self.submission.is_some() {
            return Ok(false);
        }
        self.submission = Some(marker.clone());
        Ok(true)
    }

    /// Records the created job: TRANSCODING, waiting on `job.task_token`. Refused unless the
    /// asset is still PROBED under this very submission (a reconciler or a failure may have
    /// finished it meanwhile: the caller then cancels the job it created).
    pub fn record_job(
        &mut self,
        caller: Option<&str>,
        token: &str,
        job: JobRef,
        at: DateTime<Utc>,
    ) -> Result<(), LifecycleError> {
        self.check_owner(caller)?;
        self.expect(AssetStatus::Probed, "recording a job")?;
        if self.submission.as_ref().map(|s| s.request_token.as_str()) != Some(token) {
            return Err(LifecycleError::WrongStatus {
                asset: self.asset_id.to_string(),
                status: self.status,
                wanted: AssetStatus::Probed,
                action: "recording a job of another submission",
            });
        }
        let note = format!("MediaConvert job {}", job.job_id);
        self.transition(AssetStatus::Transcoding, at, Some(note))?;
        self.job = Some(job);
        self.progress_percent = Some(0);
        Ok(())
    }

    /// Fails the asset with `error`. `Ok(false)`: it was already final, nothing changed.
    pub fn fail(
        &mut self,
        caller: Option<&str>,
        error: ErrorInfo,
        at: DateTime<Utc>,
    ) -> Result<bool, LifecycleError> {
        self.check_owner(caller)?;
        if self.status.is_final() {
            return Ok(false);
        }
        self.transition(AssetStatus::Failed, at, Some(error.message.clone()))?;
        self.error = Some(error);
        Ok(true)
    }

    fn expect(&self, wanted: AssetStatus, action: &'static str) -> Result<(), LifecycleError> {
        if self.status == wanted {
            Ok(())
        } else {
            Err(LifecycleError::WrongStatus {
                asset: self.asset_id.to_string(),
                status: self.status,
                wanted,
                action,
            })
        }
    }
}
