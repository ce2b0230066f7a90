//! Recording fakes of the store, transcoder, job queue, notifier, task callback, output writer
//! and clock.

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use vod_core::AssetId;
use vod_core::event::PipelineEvent;
use vod_core::job::JobSpec;
use vod_core::limits;
use vod_core::ports::{
    AssetStore, Claim, Clock, JobId, JobQueue, Notifier, OutputWriter, PortError, PortErrorKind,
    PortResult, QueuedJob, TaskCallback, Transcoder,
};
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

/// Records submitted jobs and hands out ids `job-1`, `job-2`, …
#[derive(Debug, Default)]
pub struct RecordingTranscoder {
    pub jobs: Mutex<Vec<JobSpec>>,
    pub fail_with: Mutex<Option<PortErrorKind>>,
}

impl RecordingTranscoder {
    pub fn submitted(&self) -> Vec<JobSpec> {
        self.jobs.lock().map(|j| j.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Transcoder for RecordingTranscoder {
    async fn submit(&self, job: &JobSpec) -> PortResult<JobId> {
        if let Some(kind) = *lock(&self.fail_with)? {
            return Err(PortError::new(kind, "injected transcoder failure"));
        }
        let mut jobs = lock(&self.jobs)?;
        jobs.push(job.clone());
        Ok(format!("job-{}", jobs.len()))
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
