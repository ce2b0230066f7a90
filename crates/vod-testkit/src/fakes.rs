//! Recording fakes of the store (and its status index), transcoder, job queue, notifier, task
//! callback, output writer and listing, executions and clock.

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use vod_core::AssetId;
use vod_core::event::PipelineEvent;
use vod_core::job::{Cancellation, JobSpec, JobStatus, JobSummary};
use vod_core::limits;
use vod_core::ports::{
    AssetStore, Claim, Clock, Executions, JobId, JobQueue, Notifier, OutputListing, OutputWriter,
    PageCursor, PortError, PortErrorKind, PortResult, QueuedJob, RecordPage, StatusIndex,
    TaskCallback, Transcoder,
};
use vod_core::reconcile::ExecutionState;
use vod_core::record::AssetRecord;

fn lock<T>(m: &Mutex<T>) -> PortResult<std::sync::MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| PortError::permanent("fake lock poisoned"))
}

/// Asset records in memory with the same conditional-write rules and item size limit as
/// DynamoDB.
#[derive(Debug, Default)]
pub struct MemoryAssetStore {
    records: Mutex<HashMap<AssetId, AssetRecord>>,
    /// Every write attempted: ("claim" | "update", asset id, status written).
    pub writes: Mutex<Vec<(String, AssetId, String)>>,
    /// Failures to inject into the next calls, in order.
    pub fail_next: Mutex<Vec<PortErrorKind>>,
}

impl MemoryAssetStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn record(&self, id: &AssetId) -> Option<AssetRecord> {
        self.records.lock().ok()?.get(id).cloned()
    }

    pub fn all(&self) -> Vec<AssetRecord> {
        self.records
            .lock()
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Puts a record as it is (test set-up), bypassing conditions.
    pub fn put(&self, record: AssetRecord) {
        if let Ok(mut r) = self.records.lock() {
            r.insert(record.asset_id.clone(), record);
        }
    }

    pub fn fail_next_call(&self, kind: PortErrorKind) {
        if let Ok(mut f) = self.fail_next.lock() {
            f.push(kind);
        }
    }

    fn injected(&self) -> PortResult<()> {
        let mut f = lock(&self.fail_next)?;
        if f.is_empty() {
            return Ok(());
        }
        let kind = f.remove(0);
        Err(PortError::new(kind, "injected failure"))
    }

    fn log(&self, op: &str, record: &AssetRecord) {
        if let Ok(mut w) = self.writes.lock() {
            w.push((
                op.to_owned(),
                record.asset_id.clone(),
                record.status.to_string(),
            ));
        }
    }
}

#[async_trait]
impl AssetStore for MemoryAssetStore {
    async fn claim(&self, record: &AssetRecord) -> PortResult<Claim> {
        self.injected()?;
        limits::check_record(record, &[]).map_err(PortError::too_large)?;
        let mut records = lock(&self.records)?;
        self.log("claim", record);
        if let Some(existing) = records.get(&record.asset_id) {
            return Ok(Claim::Duplicate(Box::new(existing.clone())));
        }
        records.insert(record.asset_id.clone(), record.clone());
        Ok(Claim::Claimed)
    }

    async fn get(&self, id: &AssetId) -> PortResult<Option<AssetRecord>> {
        self.injected()?;
        Ok(lock(&self.records)?.get(id).cloned())
    }

    async fn update(&self, record: &AssetRecord) -> PortResult<()> {
        self.injected()?;
        limits::check_record(record, &[]).map_err(PortError::too_large)?;
        let mut records = lock(&self.records)?;
        self.log("update", record);
        let stored = records.get(&record.asset_id).map(|r| r.revision);
        if stored != Some(record.revision.saturating_sub(1)) {
            return Err(PortError::conflict(format!(
                "revision {:?} stored, write based on {}",
                stored,
                record.revision.saturating_sub(1)
            )));
        }
        records.insert(record.asset_id.clone(), record.clone());
        Ok(())
    }
}

/// Records per `byStatus` page of the fake index: small, so tests cross page boundaries.
pub const MEMORY_PAGE_SIZE: usize = 2;

#[async_trait]
impl StatusIndex for MemoryAssetStore {
    /// Newest first like the index; the cursor is the offset of the next page.
    async fn page(
        &self,
        status: vod_core::AssetStatus,
        created_since: Option<DateTime<Utc>>,
        start: Option<PageCursor>,
    ) -> PortResult<RecordPage> {
        self.injected()?;
        let mut matching: Vec<AssetRecord> = lock(&self.records)?
            .values()
            .filter(|r| r.status == status && created_since.is_none_or(|t| r.created_at >= t))
            .cloned()
            .collect();
        matching.sort_by(|a, b| {
            (b.created_at, b.asset_id.as_str()).cmp(&(a.created_at, a.asset_id.as_str()))
        });
        let from = match start {
            Some(PageCursor(text)) => text
                .parse::<usize>()
                .map_err(|_| PortError::invalid("not a page cursor"))?,
            None => 0,
        };
        let page: Vec<AssetRecord> = matching
            .iter()
            .skip(from)
            .take(MEMORY_PAGE_SIZE)
            .cloned()
            .collect();
        let next = from + page.len();
        let more = next < matching.len();
        Ok((page, more.then(|| PageCursor(next.to_string()))))
    }
}

/// Executions a test declares, by ARN; any other is unknown (`None`).
#[derive(Debug, Default)]
pub struct ListedExecutions {
    pub states: Mutex<HashMap<String, ExecutionState>>,
    /// ARNs asked about, in order.
    pub asked: Mutex<Vec<String>>,
}

impl ListedExecutions {
    pub fn set(&self, arn: &str, state: ExecutionState) {
        if let Ok(mut s) = self.states.lock() {
            s.insert(arn.to_owned(), state);
        }
    }
}

#[async_trait]
impl Executions for ListedExecutions {
    async fn status(&self, execution_arn: &str) -> PortResult<Option<ExecutionState>> {
        lock(&self.asked)?.push(execution_arn.to_owned());
        Ok(lock(&self.states)?.get(execution_arn).copied())
    }
}

/// Output keys a test declares, listed in key order like S3.
#[derive(Debug, Default)]
pub struct ListedOutputs {
    pub keys: Mutex<Vec<(String, String)>>,
}

impl ListedOutputs {
    pub fn put(&self, bucket: &str, key: &str) {
        if let Ok(mut k) = self.keys.lock() {
            k.push((bucket.to_owned(), key.to_owned()));
        }
    }
}

#[async_trait]
impl OutputListing for ListedOutputs {
    async fn keys(&self, bucket: &str, prefix: &str) -> PortResult<Vec<String>> {
        let mut keys: Vec<String> = lock(&self.keys)?
            .iter()
            .filter(|(b, k)| b == bucket && k.starts_with(prefix))
            .map(|(_, k)| k.clone())
            .collect();
        keys.sort();
        Ok(keys)
    }
}

/// Records submitted jobs and hands out ids `job-1`, `job-2`, … Like MediaConvert, a CreateJob
/// repeated with a `ClientRequestToken` already seen returns the job that token created (a
/// test that wants the window closed calls [`RecordingTranscoder::forget_tokens`]). Jobs start
/// SUBMITTED; tests move them with [`RecordingTranscoder::set_status`].
#[derive(Debug, Default)]
pub struct RecordingTranscoder {
    pub jobs: Mutex<Vec<JobSpec>>,
    /// Status and creation time of each job, by index in `jobs`.
    states: Mutex<Vec<(JobStatus, DateTime<Utc>)>>,
    /// Job ids passed to `cancel`, in order (repeats included).
    pub cancels: Mutex<Vec<JobId>>,
    /// Tokens still inside MediaConvert's idempotency window, with their job.
    tokens: Mutex<HashMap<String, JobId>>,
    pub fail_with: Mutex<Option<PortErrorKind>>,
    /// Creation time given to jobs (tests set it to their clock's).
    pub now: Mutex<Option<DateTime<Utc>>>,
}

impl RecordingTranscoder {
    pub fn submitted(&self) -> Vec<JobSpec> {
        self.jobs.lock().map(|j| j.clone()).unwrap_or_default()
    }

    /// Closes MediaConvert's token window: the next CreateJob creates a new job whatever its
    /// token.
    pub fn forget_tokens(&self) {
        if let Ok(mut t) = self.tokens.lock() {
            t.clear();
        }
    }

    pub fn set_status(&self, job_id: &str, status: JobStatus) {
        if let (Some(i), Ok(mut states)) = (Self::index(job_id), self.states.lock())
            && let Some(state) = states.get_mut(i)
        {
            state.0 = status;
        }
    }

    pub fn status(&self, job_id: &str) -> Option<JobStatus> {
        let states = self.states.lock().ok()?;
        states.get(Self::index(job_id)?).map(|s| s.0)
    }

    pub fn cancelled(&self) -> Vec<JobId> {
        self.cancels.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn index(job_id: &str) -> Option<usize> {
        job_id
            .strip_prefix("job-")?
            .parse::<usize>()
            .ok()?
            .checked_sub(1)
    }

    fn summary(&self, index: usize) -> PortResult<Option<JobSummary>> {
        let jobs = lock(&self.jobs)?;
        let states = lock(&self.states)?;
        Ok(jobs
            .get(index)
            .zip(states.get(index))
            .map(|(spec, state)| JobSummary {
                job_id: format!("job-{}", index + 1),
                status: state.0,
                asset_id: Some(spec.asset_id.to_string()),
                created_at: Some(state.1),
                error: None,
            }))
    }
}

#[async_trait]
impl Transcoder for RecordingTranscoder {
    async fn submit(&self, job: &JobSpec) -> PortResult<JobId> {
        if let Some(kind) = *lock(&self.fail_with)? {
            return Err(PortError::new(kind, "injected transcoder failure"));
        }
        if let Some(token) = &job.client_request_token
            && let Some(id) = lock(&self.tokens)?.get(token)
        {
            return Ok(id.clone());
        }
        let created = lock(&self.now)?.unwrap_or_else(Utc::now);
        let mut jobs = lock(&self.jobs)?;
        jobs.push(job.clone());
        lock(&self.states)?.push((JobStatus::Submitted, created));
        let id = format!("job-{}", jobs.len());
        if let Some(token) = &job.client_request_token {
            lock(&self.tokens)?.insert(token.clone(), id.clone());
        }
        Ok(id)
    }

    async fn jobs_for(&self, asset: &AssetId, since: DateTime<Utc>) -> PortResult<Vec<JobSummary>> {
        let count = lock(&self.jobs)?.len();
        let mut found = Vec::new();
        for i in (0..count).rev() {
            if let Some(job) = self.summary(i)?
                && job.asset_id.as_deref() == Some(asset.as_str())
                && job.created_at.is_some_and(|at| at >= since)
            {
                found.push(job);
            }
        }
        Ok(found)
    }

    async fn job(&self, job_id: &str) -> PortResult<Option<JobSummary>> {
        match Self::index(job_id) {
            Some(i) => self.summary(i),
            None => Ok(None),
        }
    }

    async fn cancel(&self, job_id: &str) -> PortResult<Cancellation> {
        lock(&self.cancels)?.push(job_id.to_owned());
        let Some(i) = Self::index(job_id) else {
            return Ok(Cancellation::Unknown);
        };
        let mut states = lock(&self.states)?;
        Ok(match states.get_mut(i) {
            None => Cancellation::Unknown,
            Some(state) if state.0.is_final() => Cancellation::AlreadyFinal,
            Some(state) => {
                state.0 = JobStatus::Canceled;
                Cancellation::Cancelled
            }
        })
    }
}

/// A queue holding the jobs a test puts in it; counts how often it was listed.
#[derive(Debug, Default)]
pub struct ListedJobQueue {
    pub queued: Mutex<Vec<QueuedJob>>,
    pub listings: Mutex<usize>,
}

impl ListedJobQueue {
    /// Puts `job_id` (of `asset_id`) in the queue.
    pub fn push(&self, job_id: &str, asset_id: Option<&AssetId>) {
        if let Ok(mut q) = self.queued.lock() {
            q.push(QueuedJob {
                job_id: job_id.to_owned(),
                asset_id: asset_id.map(ToString::to_string),
            });
        }
    }
}

#[async_trait]
impl JobQueue for ListedJobQueue {
    async fn queued_jobs(&self) -> PortResult<Vec<QueuedJob>> {
        *lock(&self.listings)? += 1;
        Ok(lock(&self.queued)?.clone())
    }
}

/// Records published events (refusing, as SNS does, one larger than a message may be).
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    pub events: Mutex<Vec<PipelineEvent>>,
}

impl RecordingNotifier {
    pub fn published(&self) -> Vec<PipelineEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn publish(&self, event: &PipelineEvent) -> PortResult<String> {
        limits::check_event(event).map_err(PortError::too_large)?;
        let mut events = lock(&self.events)?;
        events.push(event.clone());
        Ok(format!("msg-{}", events.len()))
    }
}

/// What a task callback was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum CallbackCall {
    Success {
        token: String,
        output: serde_json::Value,
    },
    Failure {
        token: String,
        error: String,
        cause: String,
    },
    Heartbeat {
        token: String,
    },
}

/// Records callbacks; tokens listed in `closed` answer NotFound (as a timed-out task would).
#[derive(Debug, Default)]
pub struct RecordingTaskCallback {
    pub calls: Mutex<Vec<CallbackCall>>,
    pub closed: Mutex<Vec<String>>,
}

impl RecordingTaskCallback {
    pub fn calls(&self) -> Vec<CallbackCall> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn record(&self, call: CallbackCall, token: &str) -> PortResult<()> {
        lock(&self.calls)?.push(call);
        if lock(&self.closed)?.iter().any(|t| t == token) {
            return Err(PortError::not_found("TaskTimedOut"));
        }
        Ok(())
    }
}

#[async_trait]
impl TaskCallback for RecordingTaskCallback {
    async fn succeed(&self, token: &str, output: &serde_json::Value) -> PortResult<()> {
        self.record(
            CallbackCall::Success {
                token: token.to_owned(),
                output: output.clone(),
            },
            token,
        )
    }

    async fn fail(&self, token: &str, error: &str, cause: &str) -> PortResult<()> {
        self.record(
            CallbackCall::Failure {
                token: token.to_owned(),
                error: error.to_owned(),
                cause: cause.to_owned(),
            },
            token,
        )
    }

    async fn heartbeat(&self, token: &str) -> PortResult<()> {
        self.record(
            CallbackCall::Heartbeat {
                token: token.to_owned(),
            },
            token,
        )
    }
}

/// A written file: content type and body.
pub type WrittenFile = (String, Vec<u8>);

/// Keeps written files in memory under (bucket, key).
#[derive(Debug, Default)]
pub struct MemoryOutputWriter {
    pub files: Mutex<HashMap<(String, String), WrittenFile>>,
}

impl MemoryOutputWriter {
    pub fn file(&self, bucket: &str, key: &str) -> Option<WrittenFile> {
        self.files
            .lock()
            .ok()?
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned()
    }
}

#[async_trait]
impl OutputWriter for MemoryOutputWriter {
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> PortResult<()> {
        lock(&self.files)?.insert(
            (bucket.to_owned(), key.to_owned()),
            (content_type.to_owned(), body),
        );
        Ok(())
    }
}

/// A clock that moves one second per call, from a fixed start: deterministic and ordered.
#[derive(Debug)]
pub struct SteppingClock {
    next: Mutex<DateTime<Utc>>,
}

impl Default for SteppingClock {
    fn default() -> Self {
        Self {
            next: Mutex::new(
                Utc.timestamp_opt(1_790_000_000, 0)
                    .single()
                    .unwrap_or_default(),
            ),
        }
    }
}

impl Clock for SteppingClock {
    fn now(&self) -> DateTime<Utc> {
        match self.next.lock() {
            Ok(mut next) => {
                let now = *next;
                *next = now + Duration::seconds(1);
                now
            }
            Err(_) => Utc::now(),
        }
    }
}
