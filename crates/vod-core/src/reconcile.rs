//! When a non-final asset is stuck, and what finishes it: the reconciler's rules, with no I/O.
//!
//! The reconciler (a scheduled Lambda, a timer in the local twin) reads every PROBING, PROBED
//! and TRANSCODING record, asks Step Functions about its execution and MediaConvert about its
//! job, and [`decide`]s. A record is *stale* when its owning execution is no longer RUNNING,
//! or when it has been in its status longer than its [`bound`]: the ingest bound for
//! PROBING/PROBED, the Transcode state's own timeout plus a margin for TRANSCODING. A job that
//! MediaConvert reports finished is acted on at once (its event may have been lost, and acting
//! twice is harmless); anything else whose execution runs within its bound is left alone.
//! A record that is final but whose terminal event was never published (the publish or its
//! stamp failed, and no execution is left to retry it) is [`unannounced`]: the reconciler
//! publishes it, once.
//!
//! ```
//! use vod_core::reconcile::{decide, ExecutionState, Verdict};
//! # let record: vod_core::AssetRecord = serde_json::from_value(serde_json::json!({
//! #   "schemaVersion": 1, "assetId": "0123456789abcdef0123456789abcdef", "revision": 2,
//! #   "source": {"bucket": "b", "key": {"raw": "k", "decoded": "k"}}, "status": "PROBING",
//! #   "history": [], "createdAt": "2030-01-01T00:00:00Z", "updatedAt": "2030-01-01T00:00:00Z"
//! # }))?;
//! let now = record.created_at + chrono::Duration::minutes(1);
//! // Its execution still runs, a minute in: not the reconciler's business.
//! assert_eq!(decide(&record, now, Some(ExecutionState::Running), None), Verdict::Leave);
//! // Its execution timed out: the asset fails, and any job it has is cancelled.
//! assert!(matches!(decide(&record, now, Some(ExecutionState::TimedOut), None), Verdict::Fail { .. }));
//! # Ok::<(), serde_json::Error>(())
//! ```

use crate::contracts::LambdaFunction;
use crate::error_names;
use crate::event::EventType;
use crate::job::{CallbackTimeouts, JobStatus, JobSummary};
use crate::record::{AssetRecord, ErrorInfo};
use crate::status::AssetStatus;
use chrono::{DateTime, Utc};
use std::fmt;

/// A Step Functions execution's status (`DescribeExecution`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExecutionState {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
    /// A failed execution waiting to be redriven: not running, and nothing will redrive ours.
    PendingRedrive,
}

impl ExecutionState {
    pub const ALL: [ExecutionState; 6] = [
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::TimedOut,
        Self::Aborted,
        Self::PendingRedrive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Aborted => "ABORTED",
            Self::PendingRedrive => "PENDING_REDRIVE",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for ExecutionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Attempts the state machine allows each ingest Lambda (1 + its `Retry` `MaxAttempts`, all
/// retriers of the state added): IngestProbe 1+4+4, NotifyIngested 1+5, the job-submit call
/// of the Transcode state 1+4+3.
const INGEST_ATTEMPTS: [(LambdaFunction, u64); 3] = [
    (LambdaFunction::IngestProbe, 9),
    (LambdaFunction::Notifier, 6),
    (LambdaFunction::JobSubmit, 8),
];

/// The ASL's retry waits on the ingest path, summed (backoff 2, intervals 1–5 s, some capped at
/// 30 s): under five minutes.
const INGEST_BACKOFF_SECONDS: u64 = 300;

const fn ingest_bound() -> u64 {
    let mut total = INGEST_BACKOFF_SECONDS;
    let mut i = 0;
    while i < INGEST_ATTEMPTS.len() {
        let (function, attempts) = INGEST_ATTEMPTS[i];
        total += function.timeout_seconds() as u64 * attempts;
        i += 1;
    }
    // Doubled for Step Functions' own scheduling and Lambda cold starts.
    2 * total
}

/// The longest an execution can rightly keep an asset PROBING or PROBED: every attempt the
/// state machine allows of ingest-probe, the ingested notification and job-submit running to
/// its Lambda timeout, plus the retry waits, doubled (2,340 s: 39 minutes).
pub const INGEST_BOUND_SECONDS: u64 = ingest_bound();

/// Added to the Transcode state's timeout for a TRANSCODING asset: the time its execution
/// needs after the timeout to catch it and notify (Catch, NotifyFailed with its retries).
pub const TRANSCODE_MARGIN_SECONDS: u64 = 900;

/// How far back (by creation) the reconciler looks for final records whose terminal event
/// was never published: the longest an asset can take (the Transcode state's longest timeout,
/// the ingest bound, the margin) with a day to spare.
pub const FINAL_LOOKBACK_SECONDS: u64 = CallbackTimeouts::MAX_TIMEOUT_SECONDS
    + INGEST_BOUND_SECONDS
    + TRANSCODE_MARGIN_SECONDS
    + 86_400;

/// How long after an asset failed the reconciler still checks that its job stopped: the
/// failure path cancels it, and only an outage of MediaConvert longer than that path's retries
/// keeps it running; six hours outlasts any such outage the pipeline is built for.
pub const STRAY_JOB_WINDOW_SECONDS: u64 = 6 * 3600;

/// Whether a final `record` may still have a job running that nobody will stop: FAILED with
/// a recorded job, failed within [`STRAY_JOB_WINDOW_SECONDS`] of `now`.
pub fn may_run_on(record: &AssetRecord, now: DateTime<Utc>) -> bool {
    let window = chrono::Duration::seconds(STRAY_JOB_WINDOW_SECONDS as i64);
    record.status == AssetStatus::Failed
        && record.job.is_some()
        && record.updated_at + window >= now
}

/// The terminal event a final `record` should have published and did not, when no execution
/// is left to publish it (`execution`: what `DescribeExecution` said of its owner; a running
/// one still has its Notify state ahead of it).
pub fn unannounced(record: &AssetRecord, execution: Option<ExecutionState>) -> Option<EventType> {
    let event = match record.status {
        AssetStatus::Complete => EventType::Completed,
        AssetStatus::Failed => EventType::Failed,
        AssetStatus::Rejected => EventType::Rejected,
        _ => return None,
    };
    let waiting = execution == Some(ExecutionState::Running);
    (!record.was_notified(event) && !waiting).then_some(event)
}

/// When `record`'s current status started counting and how long it may last, or `None` for a
/// status the reconciler never touches (final ones, and UPLOADED, which no record keeps).
pub fn bound(record: &AssetRecord) -> Option<(DateTime<Utc>, u64)> {
    match record.status {
        AssetStatus::Probing | AssetStatus::Probed => {
            Some((record.created_at, INGEST_BOUND_SECONDS))
        }
        AssetStatus::Transcoding => {
            let since = record.job.as_ref().map_or_else(
                || entered(record, AssetStatus::Transcoding),
                |j| j.submitted_at,
            );
            let duration = record.probe.as_ref().and_then(|p| p.duration_seconds);
            let timeout = CallbackTimeouts::for_duration(duration).timeout_seconds;
            Some((since, timeout + TRANSCODE_MARGIN_SECONDS))
        }
        _ => None,
    }
}

/// When the record last entered `status` (its last update when the history does not say).
fn entered(record: &AssetRecord, status: AssetStatus) -> DateTime<Utc> {
    record
        .history
        .iter()
        .rev()
        .find(|c| c.status == status)
        .map_or(record.updated_at, |c| c.at)
}

/// Whether `record` has been in its status longer than its [`bound`] at `now`.
pub fn overdue(record: &AssetRecord, now: DateTime<Utc>) -> bool {
    bound(record).is_some_and(|(since, seconds)| {
        now.signed_duration_since(since).num_seconds() > i64::try_from(seconds).unwrap_or(i64::MAX)
    })
}

/// Which jobs to cancel before failing an asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cancel {
    /// The record's own job (MediaConvert says it is still queued or running).
    Job(String),
    /// Every unfinished job of this asset this pipeline has (the record names none: a
    /// submission may have created one and lost its answer).
    EveryJobOfTheAsset,
}

/// What the reconciler does with one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Final, or its execution runs within its bound: not the reconciler's business.
    Leave,
    /// MediaConvert completed the record's job: finish the asset with the job's outputs.
    Complete { job_id: String },
    /// Fail the asset with `error`, after cancelling `cancel` (so nothing runs on after it).
    Fail { error: ErrorInfo, cancel: Cancel },
}

/// The rules. `execution` is what `DescribeExecution` said of the record's `claimedBy` (`None`:
/// no such execution, or the record names none); `job` is what `GetJob` said of the record's
/// job (`None`: it names none, or MediaConvert does not know it).
pub fn decide(
    record: &AssetRecord,
    now: DateTime<Utc>,
    execution: Option<ExecutionState>,
    job: Option<&JobSummary>,
) -> Verdict {
    if !matches!(
        record.status,
        AssetStatus::Probing | AssetStatus::Probed | AssetStatus::Transcoding
    ) {
        return Verdict::Leave;
    }
    let execution_name = record.claimed_by.as_deref().unwrap_or("(none recorded)");
    if record.status == AssetStatus::Transcoding {
        match job {
            Some(j) if j.status == JobStatus::Complete => {
                return Verdict::Complete {
                    job_id: j.job_id.clone(),
                };
            }
            Some(j) if j.status == JobStatus::Error => {
                return Verdict::Fail {
                    error: ErrorInfo {
                        name: error_names::MEDIACONVERT_JOB_FAILED.to_owned(),
                        message: format!(
                            "MediaConvert job {} failed with error {} (found by the reconciler)",
                            j.job_id,
                            j.error.as_deref().unwrap_or("(no message)")
                        ),
                    },
                    cancel: Cancel::Job(j.job_id.clone()),
                };
            }
            Some(j) if j.status == JobStatus::Canceled => {
                return Verdict::Fail {
                    error: ErrorInfo {
                        name: error_names::MEDIACONVERT_JOB_CANCELED.to_owned(),
                        message: format!(
                            "MediaConvert job {} was canceled (found by the reconciler)",
                            j.job_id
                        ),
                    },
                    cancel: Cancel::Job(j.job_id.clone()),
                };
            }
            _ => {}
        }
    }
    let running = execution == Some(ExecutionState::Running);
    let late = overdue(record, now);
    if running && !late {
        return Verdict::Leave;
    }
    let cancel = match (record.status, job, &record.job) {
        (AssetStatus::Transcoding, Some(j), _) => Cancel::Job(j.job_id.clone()),
        (AssetStatus::Transcoding, None, Some(r)) => Cancel::Job(r.job_id.clone()),
        _ => Cancel::EveryJobOfTheAsset,
    };
    let job_text = match (record.status, job, &record.job) {
        (AssetStatus::Transcoding, Some(j), _) => {
            format!("; MediaConvert job {} was still {}", j.job_id, j.status)
        }
        (AssetStatus::Transcoding, None, Some(r)) => {
            format!("; MediaConvert does not know its job {}", r.job_id)
        }
        _ => String::new(),
    };
    let error = if running {
        let seconds = bound(record).map_or(0, |(_, s)| s);
        ErrorInfo {
            name: "States.Timeout".to_owned(),
            message: format!(
                "the asset was {} longer than its bound of {seconds} s while execution {execution_name} kept RUNNING{job_text}",
                record.status
            ),
        }
    } else {
        let state = execution.map_or("not found", ExecutionState::as_str);
        ErrorInfo {
            name: error_names::INTERNAL.to_owned(),
            message: format!(
                "execution {execution_name} is {state} while the asset was {}{job_text}",
                record.status
            ),
        }
    };
    Verdict::Fail { error, cancel }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset_id::AssetId;
    use crate::record::{JobRef, SourceObject};
    use crate::s3_key::ObjectKey;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn record(status: AssetStatus, with_job: bool) -> AssetRecord {
        let source = SourceObject {
            bucket: "b".into(),
            key: ObjectKey::from_event("k.mp4"),
            resolved_key: None,
            version_id: None,
            etag: None,
            size_bytes: None,
        };
        let mut r = AssetRecord::claim(AssetId::derive("b", "k.mp4", "e"), source, t0());
        r.claimed_by = Some("arn:aws:states:us-east-1:1:execution:vod:x1".into());
        r.status = status;
        if with_job {
            r.job = Some(JobRef {
                job_id: "job-1".into(),
                submitted_at: t0(),
                task_token: "token-1".into(),
            });
        }
        r
    }

    fn job(status: JobStatus) -> JobSummary {
        JobSummary {
            job_id: "job-1".into(),
            status,
            asset_id: None,
            created_at: Some(t0()),
            error: Some("1010: unsupported codec".into()),
        }
    }

    #[test]
    fn the_ingest_bound_comes_from_the_lambda_timeouts_and_the_retries() {
        assert_eq!(INGEST_BOUND_SECONDS, 2 * (300 + 9 * 60 + 6 * 15 + 8 * 30));
        // Well under the Transcode state's shortest timeout: an ingest never waits that long.
        const { assert!(INGEST_BOUND_SECONDS < CallbackTimeouts::HEARTBEAT_SECONDS * 2) };
    }

    #[test]
    fn a_transcode_is_bounded_by_its_own_timeout_and_the_margin() {
        let r = record(AssetStatus::Transcoding, true);
        let timeout = CallbackTimeouts::for_duration(None).timeout_seconds;
        assert_eq!(bound(&r), Some((t0(), timeout + TRANSCODE_MARGIN_SECONDS)));
        let just_in = t0() + Duration::seconds((timeout + TRANSCODE_MARGIN_SECONDS) as i64);
        assert!(!overdue(&r, just_in));
        assert!(overdue(&r, just_in + Duration::seconds(1)));
    }

    #[test]
    fn a_dead_execution_fails_an_ingesting_asset_and_names_itself() {
        let r = record(AssetStatus::Probed, false);
        let Verdict::Fail { error, cancel } =
            decide(&r, t0(), Some(ExecutionState::TimedOut), None)
        else {
            panic!("expected a failure");
        };
        assert_eq!(cancel, Cancel::EveryJobOfTheAsset);
        assert_eq!(error.name, error_names::INTERNAL);
        assert!(error.message.contains("execution:vod:x1 is TIMED_OUT"));
        assert!(error.message.contains("PROBED"));
    }

    #[test]
    fn an_overdue_running_transcode_cancels_its_job() {
        let r = record(AssetStatus::Transcoding, true);
        let late = t0() + Duration::days(3);
        let verdict = decide(
            &r,
            late,
            Some(ExecutionState::Running),
            Some(&job(JobStatus::Submitted)),
        );
        let Verdict::Fail { error, cancel } = verdict else {
            panic!("expected a failure");
        };
        assert_eq!(cancel, Cancel::Job("job-1".into()));
        assert_eq!(error.name, "States.Timeout");
        assert!(error.message.contains("job-1 was still SUBMITTED"));
    }

    #[test]
    fn a_finished_job_finishes_the_asset_whatever_the_time() {
        let r = record(AssetStatus::Transcoding, true);
        let running = Some(ExecutionState::Running);
        assert_eq!(
            decide(&r, t0(), running, Some(&job(JobStatus::Complete))),
            Verdict::Complete {
                job_id: "job-1".into()
            }
        );
        let Verdict::Fail { error, .. } = decide(&r, t0(), running, Some(&job(JobStatus::Error)))
        else {
            panic!("expected a failure");
        };
        assert_eq!(error.name, error_names::MEDIACONVERT_JOB_FAILED);
        assert!(error.message.contains("1010: unsupported codec"));
    }

    #[test]
    fn a_final_record_without_its_event_is_announced_once_no_execution_will() {
        let mut r = record(AssetStatus::Failed, false);
        assert_eq!(unannounced(&r, Some(ExecutionState::Running)), None);
        assert_eq!(
            unannounced(&r, Some(ExecutionState::Failed)),
            Some(EventType::Failed)
        );
        assert_eq!(unannounced(&r, None), Some(EventType::Failed));
        r.notifications.push(crate::record::NotificationStamp {
            event_type: EventType::Failed,
            message_id: "m".into(),
            at: t0(),
        });
        assert_eq!(unannounced(&r, None), None);
        let probing = record(AssetStatus::Probing, false);
        assert_eq!(unannounced(&probing, None), None);
        const {
            assert!(
                FINAL_LOOKBACK_SECONDS
                    > CallbackTimeouts::MAX_TIMEOUT_SECONDS + INGEST_BOUND_SECONDS
            )
        };
    }

    fn any_status() -> impl Strategy<Value = AssetStatus> {
        prop::sample::select(AssetStatus::ALL.to_vec())
    }
    fn any_execution() -> impl Strategy<Value = Option<ExecutionState>> {
        prop::option::of(prop::sample::select(ExecutionState::ALL.to_vec()))
    }
    fn any_job() -> impl Strategy<Value = Option<JobStatus>> {
        prop::option::of(prop::sample::select(JobStatus::ALL.to_vec()))
    }

    proptest! {
        /// Final records are never touched; a running execution within its bound whose job
        /// is not finished is never failed; only a completed job completes an asset.
        #[test]
        fn the_rules_hold(
            status in any_status(),
            with_job in any::<bool>(),
            execution in any_execution(),
            job_status in any_job(),
            minutes in 0i64..5000,
        ) {
            let r = record(status, with_job);
            let now = t0() + Duration::minutes(minutes);
            let j = job_status.map(job);
            let verdict = decide(&r, now, execution, j.as_ref());
            if status.is_final() || status == AssetStatus::Uploaded {
                prop_assert_eq!(&verdict, &Verdict::Leave);
            }
            let job_final = status == AssetStatus::Transcoding
                && job_status.is_some_and(JobStatus::is_final);
            if execution == Some(ExecutionState::Running) && !overdue(&r, now) && !job_final {
                prop_assert_eq!(&verdict, &Verdict::Leave);
            }
            if let Verdict::Complete { .. } = verdict {
                prop_assert_eq!(status, AssetStatus::Transcoding);
                prop_assert_eq!(job_status, Some(JobStatus::Complete));
            }
            if !status.is_final() && status != AssetStatus::Uploaded
                && execution != Some(ExecutionState::Running) && !job_final {
                prop_assert!(matches!(verdict, Verdict::Fail { .. }), "a dead execution's asset must fail");
            }
        }
    }
}
