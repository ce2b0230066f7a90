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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AssetId;
    use crate::record::SourceObject;
    use crate::s3_key::ObjectKey;
    use proptest::prelude::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap_or_default()
    }

    fn claimed(owner: &str) -> AssetRecord {
        let source = SourceObject {
            bucket: "b".into(),
            key: ObjectKey::from_event("k.mp4"),
            resolved_key: None,
            version_id: None,
            etag: Some("e".into()),
            size_bytes: None,
        };
        let mut r = AssetRecord::claim(AssetId::derive("b", "k.mp4", "e"), source, at(0));
        r.claimed_by = Some(owner.to_owned());
        r
    }

    fn probed(owner: &str) -> AssetRecord {
        let mut r = claimed(owner);
        r.transition(AssetStatus::Probed, at(1), None)
            .unwrap_or_default();
        r
    }

    fn error() -> ErrorInfo {
        ErrorInfo {
            name: "Vod.Internal".into(),
            message: "boom".into(),
        }
    }

    #[test]
    fn only_the_claimer_writes_unless_nobody_is_named() {
        let r = claimed("x1");
        assert!(r.writable_by(Some("x1")));
        assert!(!r.writable_by(Some("x2")));
        assert!(r.writable_by(None), "an operator's call names no execution");
        let mut unclaimed = r.clone();
        unclaimed.claimed_by = None;
        assert!(unclaimed.writable_by(Some("x2")));
        let err = r.check_owner(Some("x2")).map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err(format!(
                "execution x2 does not own asset {} (claimed by x1)",
                r.asset_id
            ))
        );
    }

    #[test]
    fn a_retry_of_the_claimer_resumes_where_it_stopped_and_anyone_else_is_a_duplicate() {
        let mut r = claimed("x1");
        assert_eq!(r.resume_ingest(Some("x2")), Resume::Duplicate);
        assert_eq!(r.resume_ingest(None), Resume::Duplicate);
        assert_eq!(r.resume_ingest(Some("x1")), Resume::Probe);
        r.status = AssetStatus::Rejected;
        assert_eq!(
            r.resume_ingest(Some("x1")),
            Resume::Decided(IngestDecision::Rejected)
        );
        r.status = AssetStatus::Transcoding;
        assert_eq!(
            r.resume_ingest(Some("x1")),
            Resume::Decided(IngestDecision::Probed)
        );
        r.status = AssetStatus::Failed;
        assert_eq!(r.resume_ingest(Some("x1")), Resume::Failed);
    }

    #[test]
    fn a_submission_is_marked_once_resumed_after_and_recorded_with_its_own_token() {
        let mut r = probed("x1");
        let SubmitStep::Start(marker) = r
            .submit_step(Some("x1"), at(5))
            .unwrap_or_else(|e| panic!("{e}"))
        else {
            panic!("a probed asset starts a submission");
        };
        assert!(marker.request_token.len() <= 64);
        assert_eq!(r.mark_submission(&marker), Ok(true));
        assert_eq!(r.mark_submission(&marker), Ok(false), "marked once");
        assert_eq!(
            r.submit_step(Some("x1"), at(9)),
            Ok(SubmitStep::Resume(marker.clone()))
        );
        let job = JobRef {
            job_id: "job-1".into(),
            submitted_at: at(10),
            task_token: "t".into(),
        };
        assert!(
            r.record_job(Some("x1"), "another-token", job.clone(), at(10))
                .is_err()
        );
        assert!(
            r.record_job(Some("x2"), &marker.request_token, job.clone(), at(10))
                .is_err()
        );
        assert_eq!(
            r.record_job(Some("x1"), &marker.request_token, job.clone(), at(10)),
            Ok(())
        );
        assert_eq!(r.status, AssetStatus::Transcoding);
        assert_eq!(
            r.submit_step(Some("x1"), at(11)),
            Ok(SubmitStep::Recorded(job))
        );
    }

    #[test]
    fn failing_is_owned_and_idempotent() {
        let mut r = probed("x1");
        assert!(r.fail(Some("x2"), error(), at(3)).is_err());
        assert_eq!(r.status, AssetStatus::Probed);
        assert_eq!(r.fail(Some("x1"), error(), at(3)), Ok(true));
        assert_eq!(r.fail(Some("x1"), error(), at(4)), Ok(false));
        assert_eq!(r.status, AssetStatus::Failed);
        assert_eq!(r.error, Some(error()));
    }

    proptest! {
        /// Whatever another execution tries, in any order, the owner's record does not move.
        #[test]
        fn a_foreign_execution_never_changes_the_owners_record(ops in proptest::collection::vec(0u8..4, 1..12)) {
            let mut r = probed("owner");
            let before = r.clone();
            for (i, op) in ops.into_iter().enumerate() {
                let t = at(10 + i as i64);
                let marker = Submission { request_token: "tok".into(), started_at: t, by: Some("intruder".into()) };
                let job = JobRef { job_id: format!("job-{i}"), submitted_at: t, task_token: "t".into() };
                let _ = match op {
                    0 => r.fail(Some("intruder"), error(), t).map(|_| ()),
                    1 => r.submit_step(Some("intruder"), t).map(|_| ()),
                    2 => r.record_job(Some("intruder"), "tok", job, t),
                    _ => r.check_owner(Some("intruder")).and_then(|()| r.mark_submission(&marker).map(|_| ())),
                };
            }
            prop_assert_eq!(r, before);
        }
    }
}
