//! The simulated AWS account: the source and output buckets, the asset table, the SNS topic and
//! MediaConvert's jobs, plus what the invariants need to know about how they got that way
//! (who wrote what, when, which faults were injected).

use crate::scenario::Upload;
use crate::trace::Line;
use std::collections::BTreeMap;
use std::time::Duration;
use vod_core::AssetId;
use vod_core::event::PipelineEvent;
use vod_core::record::AssetRecord;

/// DynamoDB's item limit and SNS's message limit.
pub const MAX_RECORD_BYTES: usize = 400 * 1024;
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// An object in the source bucket: its bytes are a descriptor the simulated probe reads.
#[derive(Debug, Clone)]
pub struct SourceObject {
    pub upload: usize,
    pub etag: String,
    pub size: u64,
    pub body: Vec<u8>,
}

/// An object in the output bucket and who wrote it.
#[derive(Debug, Clone)]
pub struct OutputObject {
    pub writer: String,
    pub at: Duration,
}

pub use vod_core::job::JobStatus;

/// One MediaConvert job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub asset: AssetId,
    pub upload: Option<usize>,
    /// The actor that called CreateJob, and its execution.
    pub created_by: String,
    pub execution: Option<String>,
    pub created_at: Duration,
    pub started_at: Option<Duration>,
    pub finished_at: Option<Duration>,
    pub status: JobStatus,
    /// `s3://bucket/prefix/<asset>/`.
    pub destination: String,
    pub queue_wait: Duration,
    pub run_time: Duration,
    pub fails: bool,
    /// When it wrote its outputs (complete jobs only).
    pub wrote_at: Option<Duration>,
}

/// A published SNS message.
#[derive(Debug, Clone)]
pub struct Published {
    pub event: PipelineEvent,
    pub at: Duration,
    pub by: String,
    pub execution: Option<String>,
}

/// A record write by an execution that did not own the record.
#[derive(Debug, Clone)]
pub struct ForeignWrite {
    pub asset: AssetId,
    pub owner: String,
    pub writer: String,
    pub at: Duration,
    pub change: String,
}

/// A record created outside ingest-probe's claim (the notifier recording a failure).
#[derive(Debug, Clone)]
pub struct Created {
    pub asset: AssetId,
    pub by: String,
    pub upload: Option<usize>,
    pub at: Duration,
}

/// A fault the scheduler injected, for the diagnosis of a violation.
#[derive(Debug, Clone)]
pub struct Injected {
    pub upload: Option<usize>,
    pub actor: String,
    pub what: String,
    pub at: Duration,
}

/// Something that must never happen, seen while it happened (the rest is checked at the end).
#[derive(Debug, Clone)]
pub struct Incident {
    pub upload: Option<usize>,
    pub at: Duration,
    pub kind: IncidentKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentKind {
    Panic,
    OversizeRecord,
    OversizeMessage,
    /// The reconciler finished an asset whose execution was running within its bound while
    /// MediaConvert had not finished its job.
    ReconcilerPremature,
    /// The reconciler wrote COMPLETE without outputs or playback.
    ReconcilerCompletedEmpty,
}

/// A change the reconciler made (a record write, a publish, a cancelled job).
#[derive(Debug, Clone)]
pub struct ReconcilerEffect {
    pub actor: String,
    pub at: Duration,
    pub what: String,
}

/// An execution started from an upload's event.
#[derive(Debug, Clone)]
pub struct Execution {
    pub arn: String,
    pub name: String,
    pub upload: usize,
}

#[derive(Debug, Default)]
pub struct World {
    pub trace: Vec<Line>,
    pub uploads: Vec<Upload>,
    pub sources: BTreeMap<String, SourceObject>,
    pub outputs: BTreeMap<String, OutputObject>,
    pub table: BTreeMap<AssetId, AssetRecord>,
    pub created: Vec<Created>,
    pub foreign_writes: Vec<ForeignWrite>,
    pub sns: Vec<Published>,
    pub jobs: Vec<Job>,
    pub executions: Vec<Execution>,
    pub injected: Vec<Injected>,
    pub incidents: Vec<Incident>,
    pub reconciler_effects: Vec<ReconcilerEffect>,
    /// Job events that never reached the completion handler (lost, or dead-lettered after
    /// Lambda's retries): (upload, job id, status).
    pub undelivered: Vec<(Option<usize>, String, String)>,
    /// MediaConvert's `ClientRequestToken`s: the job each created, and when (a token reused
    /// within a minute returns that job).
    pub tokens: BTreeMap<String, (String, Duration)>,
    /// Isolated faults used per budget scope.
    pub budgets: BTreeMap<String, u32>,
    pub next_id: u64,
}

impl World {
    pub fn log(&mut self, at: Duration, upload: Option<usize>, actor: &str, text: String) {
        self.trace.push(Line {
            at,
            upload,
            actor: actor.to_owned(),
            text,
        });
    }

    /// A fresh number for ids (jobs, messages, executions, events).
    pub fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The upload an asset id belongs to: the one whose stored key and etag derive it.
    pub fn upload_of(&self, asset: &AssetId) -> Option<usize> {
        self.uploads.iter().position(|u| &true_id(u) == asset)
    }

    pub fn execution(&self, arn: &str) -> Option<&Execution> {
        self.executions.iter().find(|e| e.arn == arn)
    }

    pub fn job_mut(&mut self, id: &str) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.id == id)
    }
}

/// The asset id an upload must get: from the key it was stored under and its etag, as the
/// uploader computes it from its own key and PutObject response (and as ingest-probe and the
/// notifier find it, whatever the event's key style).
pub fn true_id(upload: &Upload) -> AssetId {
    AssetId::derive(crate::scenario::SOURCE_BUCKET, &upload.key, &upload.etag)
}

/// Short form of an asset id for traces.
pub fn short(asset: &AssetId) -> &str {
    &asset.as_str()[..8]
}
