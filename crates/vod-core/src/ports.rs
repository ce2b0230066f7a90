//! Ports: the small capability traits the handlers depend on.
//!
//! Each has a real adapter in `vod-aws` (aws-sdk-*) and a recording fake in `vod-testkit`.
//! Handlers take only the traits they need; nothing here names an SDK type.

use crate::asset_id::AssetId;
use crate::event::PipelineEvent;
use crate::job::{Cancellation, JobSpec, JobSummary};
use crate::probe::ProbeOutcome;
use crate::record::AssetRecord;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::error::Error as StdError;
use std::fmt;

/// What kind of failure a port reports; the handlers map it to an error name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortErrorKind {
    /// May pass on retry: throttling, timeouts, 5xx, connection reset.
    Transient,
    /// The thing asked for does not exist.
    NotFound,
    /// A conditional write lost (someone else wrote first).
    Conflict,
    /// The request was refused as invalid (400-class that retrying cannot fix).
    Invalid,
    /// The item or message is larger than the service takes ([`crate::limits`]); checked
    /// before sending, so the message says by how much.
    TooLarge,
    /// Anything else: permissions, misconfiguration, bugs.
    Permanent,
    /// A read pinned to an [`ObjectVersion`] found another object under the key: it was
    /// overwritten (or deleted and written again) after it was identified. Retrying reads the
    /// new object, which is not the one the caller named.
    Replaced,
}

/// A failure from a port, with the adapter's own error kept as the source.
#[derive(Debug)]
pub struct PortError {
    pub kind: PortErrorKind,
    pub message: String,
    pub source: Option<Box<dyn StdError + Send + Sync>>,
}

impl PortError {
    pub fn new(kind: PortErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(PortErrorKind::Transient, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(PortErrorKind::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(PortErrorKind::Conflict, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(PortErrorKind::Invalid, message)
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(PortErrorKind::Permanent, message)
    }

    pub fn replaced(message: impl Into<String>) -> Self {
        Self::new(PortErrorKind::Replaced, message)
    }

    pub fn too_large(too_large: crate::limits::TooLarge) -> Self {
        Self::new(PortErrorKind::TooLarge, too_large.to_string())
    }
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl StdError for PortError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

pub type PortResult<T> = Result<T, PortError>;

/// Result of the first write of an asset record.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This call created the record: go on.
    Claimed,
    /// A record with this id already existed (a duplicate event): stop.
    Duplicate(Box<AssetRecord>),
}

/// Where asset records live (DynamoDB in production).
#[async_trait]
pub trait AssetStore: Send + Sync {
    /// Creates the record only if no record with its id exists (conditional write).
    async fn claim(&self, record: &AssetRecord) -> PortResult<Claim>;
    async fn get(&self, id: &AssetId) -> PortResult<Option<AssetRecord>>;
    /// Writes `record` if the stored revision equals `record.revision - 1` (optimistic
    /// concurrency: callers bump the revision with [`AssetRecord::touch`]). A lost race is a
    /// [`PortErrorKind::Conflict`]; callers re-read and re-apply.
    async fn update(&self, record: &AssetRecord) -> PortResult<()>;
}

/// Where the next page of a [`StatusIndex`] query starts: opaque to callers (the adapter's
/// own encoding of DynamoDB's `LastEvaluatedKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor(pub String);

/// One page of records with one status, and where the next one starts (`None`: the last).
pub type RecordPage = (Vec<AssetRecord>, Option<PageCursor>);

/// Records by status (the asset table's `byStatus` index, newest first). The index is
/// eventually consistent: a caller that acts on a record reads it again with
/// [`AssetStore::get`] first.
#[async_trait]
pub trait StatusIndex: Send + Sync {
    /// One page of the records with `status` created at or after `created_since` (all of them
    /// for `None`), from `start`.
    async fn page(
        &self,
        status: crate::status::AssetStatus,
        created_since: Option<DateTime<Utc>>,
        start: Option<PageCursor>,
    ) -> PortResult<RecordPage>;
}

/// Lists the keys under a prefix (S3 `ListObjectsV2` in production): how the reconciler
/// finds the outputs of a job whose COMPLETE event was lost.
#[async_trait]
pub trait OutputListing: Send + Sync {
    /// Every key under `prefix` in `bucket`, in key order.
    async fn keys(&self, bucket: &str, prefix: &str) -> PortResult<Vec<String>>;
}

/// Asks what became of a state machine execution (Step Functions `DescribeExecution`).
#[async_trait]
pub trait Executions: Send + Sync {
    /// The execution's status; `None` when no such execution exists (or no longer: the
    /// local twin forgets executions across a restart).
    async fn status(
        &self,
        execution_arn: &str,
    ) -> PortResult<Option<crate::reconcile::ExecutionState>>;
}

/// Identity and size of one stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub size: u64,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    pub content_type: Option<String>,
}

impl ObjectMeta {
    /// The version this metadata describes, to pin later reads to.
    pub fn version(&self) -> ObjectVersion {
        ObjectVersion {
            etag: self.etag.clone(),
            // S3 says "null" for an object written while versioning was off: no version.
            version_id: self
                .version_id
                .clone()
                .filter(|v| !v.is_empty() && v != "null"),
        }
    }
}

/// Which stored version of an object a read must see: the one [`MediaReader::stat`] found
/// (and the asset id names). Without it an overwrite between the stat and a read would hand
/// the probe another upload's bytes under this asset's id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectVersion {
    /// The ETag as the stat returned it (readers compare it with or without quotes).
    pub etag: Option<String>,
    /// The version id in a versioned bucket; `None` otherwise (never S3's `"null"`).
    pub version_id: Option<String>,
}

/// Whether two ETags name the same object content: S3 quotes ETags, events and stores may not.
pub fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

impl ObjectVersion {
    /// Whether an object stored with `etag` is the version this pins (no ETag pinned: any).
    pub fn admits_etag(&self, etag: &str) -> bool {
        self.etag
            .as_deref()
            .is_none_or(|pinned| same_etag(pinned, etag))
    }

    /// No pin: whatever the key holds (a local file, a tool reading what is there now).
    pub const ANY: ObjectVersion = ObjectVersion {
        etag: None,
        version_id: None,
    };
}

/// Ranged access to source objects (S3 in production). The probe reads only what it needs.
#[async_trait]
pub trait MediaReader: Send + Sync {
    /// Metadata of `bucket/key`, or `None` when no such object exists.
    async fn stat(&self, bucket: &str, key: &str) -> PortResult<Option<ObjectMeta>>;
    /// Up to `len` bytes from `offset` of `version` of the object (fewer only at its end;
    /// never more, whatever the store sends). [`PortErrorKind::Replaced`] when the key no
    /// longer holds `version`.
    async fn read_range(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        offset: u64,
        len: u64,
    ) -> PortResult<Vec<u8>>;
}

/// One object opened for ranged reads: what a probe works on.
#[derive(Clone, Copy)]
pub struct ObjectRange<'a> {
    pub reader: &'a dyn MediaReader,
    pub bucket: &'a str,
    pub key: &'a str,
    pub size: u64,
    /// The version every read is pinned to ([`ObjectVersion::ANY`] for none).
    pub version: &'a ObjectVersion,
}

impl fmt::Debug for ObjectRange<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectRange")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("size", &self.size)
            .field("version", self.version)
            .finish()
    }
}

impl ObjectRange<'_> {
    /// Reads `len` bytes at `offset`, clamped to the object's end.
    pub async fn read_at(&self, offset: u64, len: u64) -> PortResult<Vec<u8>> {
        if offset >= self.size || len == 0 {
            return Ok(Vec::new());
        }
        let len = len.min(self.size - offset);
        self.reader
            .read_range(self.bucket, self.key, self.version, offset, len)
            .await
    }
}

/// Decides whether a source is transcodable and what it holds.
#[async_trait]
pub trait MediaProbe: Send + Sync {
    async fn probe(&self, object: ObjectRange<'_>) -> PortResult<ProbeOutcome>;
}

/// Identifier MediaConvert (or its twin) gave a submitted job.
pub type JobId = String;

/// Submits, finds and stops transcode jobs (MediaConvert in production).
#[async_trait]
pub trait Transcoder: Send + Sync {
    /// `CreateJob`, with the spec's `ClientRequestToken` when it has one.
    async fn submit(&self, job: &JobSpec) -> PortResult<JobId>;
    /// This pipeline's jobs for `asset` created at or after `since`, newest first: how a
    /// retried submission finds a job its lost first attempt created after MediaConvert's
    /// token window closed.
    async fn jobs_for(&self, asset: &AssetId, since: DateTime<Utc>) -> PortResult<Vec<JobSummary>>;
    /// `GetJob`; `None` when no such job exists.
    async fn job(&self, job_id: &str) -> PortResult<Option<JobSummary>>;
    /// `CancelJob`. Cancelling a finished or unknown job is not an error: callers cancel on
    /// every failure path, more than once.
    async fn cancel(&self, job_id: &str) -> PortResult<Cancellation>;
}

/// A job the transcoder accepted but has not started: it waits in the queue (MediaConvert's
/// SUBMITTED), where it sends no events at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedJob {
    pub job_id: JobId,
    /// From the job's `UserMetadata` ([`crate::job::USER_METADATA_ASSET_ID`]).
    pub asset_id: Option<String>,
}

/// Lists this pipeline's jobs still waiting in the queue (MediaConvert `ListJobs` with status
/// SUBMITTED in production).
#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn queued_jobs(&self) -> PortResult<Vec<QueuedJob>>;
}

/// Publishes lifecycle events (SNS in production). Returns the message id.
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn publish(&self, event: &PipelineEvent) -> PortResult<String>;
}

/// Answers a paused `waitForTaskToken` state (Step Functions in production).
#[async_trait]
pub trait TaskCallback: Send + Sync {
    async fn succeed(&self, task_token: &str, output: &serde_json::Value) -> PortResult<()>;
    async fn fail(&self, task_token: &str, error: &str, cause: &str) -> PortResult<()>;
    async fn heartbeat(&self, task_token: &str) -> PortResult<()>;
}

/// Writes small derived files next to the outputs (the storyboard VTT).
#[async_trait]
pub trait OutputWriter: Send + Sync {
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> PortResult<()>;
}

/// The time, injectable so records and tests agree on it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
