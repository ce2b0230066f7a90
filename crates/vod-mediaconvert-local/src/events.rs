//! "MediaConvert Job State Change" events, shaped as AWS documents them and sent with
//! EventBridge `PutEvents`.
//!
//! Every event: `source: aws.mediaconvert`, `detail-type: MediaConvert Job State Change`,
//! `resources: [<job ARN>]`, and a `detail` with `timestamp` (epoch ms), `accountId`,
//! `queue` (ARN), `jobId`, `status`, `userMetadata`. Per status:
//! - `PROGRESSING`: nothing more.
//! - `STATUS_UPDATE`: `framesDecoded` (omitted: unknown), `jobProgress { phaseProgress {
//!   PROBING|TRANSCODING|UPLOADING: { status, percentComplete } }, jobPercentComplete,
//!   currentPhase, retryCount }`.
//! - `COMPLETE`: `outputGroupDetails[] { outputDetails[] { outputFilePaths?, durationInMs,
//!   videoDetails? { widthInPx, heightInPx } }, playlistFilePaths?, type }`, `warnings`.
//! - `ERROR`: `errorCode` (number), `errorMessage`.
//! - `CANCELED`: nothing more.

use serde_json::{Value, json};

use crate::job::JobRecord;

pub const SOURCE: &str = "aws.mediaconvert";
pub const DETAIL_TYPE: &str = "MediaConvert Job State Change";

/// Job phases as STATUS_UPDATE reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Probing,
    Transcoding,
    Uploading,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Probing => "PROBING",
            Self::Transcoding => "TRANSCODING",
            Self::Uploading => "UPLOADING",
        }
    }
}

/// The part of every detail that identifies the job.
fn base(job: &JobRecord, account_id: &str, status: &str) -> Value {
    json!({
        "timestamp": chrono::Utc::now().timestamp_millis(),
        "accountId": account_id,
        "queue": job.queue,
        "jobId": job.id,
        "status": status,
        "userMetadata": job.user_metadata,
    })
}

pub fn progressing(job: &JobRecord, account_id: &str) -> Value {
    base(job, account_id, "PROGRESSING")
}

/// `phase_percent` is the current phase's completion; the job percentage weighs probing 5 %,
/// transcoding 85 %, uploading 10 %.
pub fn status_update(job: &JobRecord, account_id: &str, phase: Phase, phase_percent: u8) -> Value {
    let mut d = base(job, account_id, "STATUS_UPDATE");
    let phase_percent = phase_percent.min(100);
    let entry = |p: Phase| {
        let order = |x: Phase| match x {
            Phase::Probing => 0,
            Phase::Transcoding => 1,
            Phase::Uploading => 2,
        };
        if order(p) < order(phase) {
            json!({ "status": "COMPLETE", "percentComplete": 100 })
        } else if p == phase {
            json!({ "status": "PROGRESSING", "percentComplete": phase_percent })
        } else {
            json!({ "status": "PENDING", "percentComplete": 0 })
        }
    };
    d["jobProgress"] = json!({
        "phaseProgress": {
            "PROBING": entry(Phase::Probing),
            "TRANSCODING": entry(Phase::Transcoding),
            "UPLOADING": entry(Phase::Uploading),
        },
        "jobPercentComplete": job_percent(phase, phase_percent),
        "currentPhase": phase.as_str(),
        "retryCount": 0,
    });
    d
}

/// Whole-job completion for a phase and its own completion.
pub fn job_percent(phase: Phase, phase_percent: u8) -> u8 {
    let p = f64::from(phase_percent.min(100)) / 100.0;
    let v = match phase {
        Phase::Probing => 5.0 * p,
        Phase::Transcoding => 5.0 + 85.0 * p,
        Phase::Uploading => 90.0 + 10.0 * p,
    };
    v.round().clamp(0.0, 100.0) as u8
}

pub fn complete(job: &JobRecord, account_id: &str, output_group_details: &[Value]) -> Value {
    let mut d = base(job, account_id, "COMPLETE");
    d["outputGroupDetails"] = json!(output_group_details);
    d["warnings"] = json!([]);
    d
}

pub fn error(job: &JobRecord, account_id: &str, code: i64, message: &str) -> Value {
    let mut d = base(job, account_id, "ERROR");
    d["errorCode"] = json!(code);
    d["errorMessage"] = json!(message);
    d
}

pub fn canceled(job: &JobRecord, account_id: &str) -> Value {
    base(job, account_id, "CANCELED")
}

/// Where events go.
#[derive(Debug, Clone)]
pub struct EventSender {
    client: Option<aws_sdk_eventbridge::Client>,
    bus: String,
}

impl EventSender {
    pub fn new(client: Option<aws_sdk_eventbridge::Client>, bus: String) -> Self {
        Self { client, bus }
    }

    /// Sends one event; failures are logged, never fatal to the job (MediaConvert does not
    /// fail a job because nobody listens either).
    pub async fn send(&self, job_arn: &str, detail: &Value) {
        let Some(client) = &self.client else {
            return;
        };
        let status = detail["status"].as_str().unwrap_or_default().to_owned();
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .source(SOURCE)
            .detail_type(DETAIL_TYPE)
            .resources(job_arn)
            .event_bus_name(&self.bus)
            .detail(detail.to_string())
            .build();
        match client.put_events().entries(entry).send().await {
            Ok(out) if out.failed_entry_count() > 0 => {
                let reason = out
                    .entries()
                    .iter()
                    .filter_map(|e| e.error_message())
                    .collect::<Vec<_>>()
                    .join("; ");
                tracing::warn!(job = job_arn, %status, %reason, "PutEvents rejected the event");
            }
            Ok(_) => tracing::debug!(job = job_arn, %status, "event sent"),
            Err(e) => {
                tracing::warn!(job = job_arn, %status, error = %aws_sdk_eventbridge::error::DisplayErrorContext(&e), "PutEvents failed")
            }
        }
    }
}
