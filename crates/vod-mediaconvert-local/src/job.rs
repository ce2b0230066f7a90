//! The job record: what GetJob/ListJobs answer, persisted as one JSON file per job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// MediaConvert job statuses: the one type vod-core shares with the handlers and the simulation.
pub use vod_core::job::JobStatus;

/// One job, as stored under `<state_dir>/mediaconvert/jobs/<id>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    pub id: String,
    pub arn: String,
    pub queue: String,
    pub role: String,
    pub status: JobStatus,
    /// Epoch seconds.
    pub created_at: i64,
    pub start_time: Option<i64>,
    pub finish_time: Option<i64>,
    pub settings: Value,
    pub user_metadata: BTreeMap<String, String>,
    pub status_update_interval: Option<String>,
    pub priority: Option<i64>,
    pub client_request_token: Option<String>,
    pub acceleration_settings: Option<Value>,
    pub billing_tags_source: Option<String>,
    pub job_percent_complete: Option<u8>,
    pub current_phase: Option<String>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    /// The COMPLETE event's `outputGroupDetails`.
    pub output_group_details: Option<Vec<Value>>,
    pub warning_messages: Vec<String>,
}

impl JobRecord {
    /// The `Job` structure of MediaConvert's REST API.
    pub fn to_wire(&self) -> Value {
        let mut job = json!({
            "arn": self.arn,
            "id": self.id,
            "createdAt": self.created_at,
            "queue": self.queue,
            "role": self.role,
            "settings": self.settings,
            "status": self.status.as_str(),
            "userMetadata": self.user_metadata,
            "timing": timing(self.created_at, self.start_time, self.finish_time),
            "messages": { "info": [], "warning": self.warning_messages },
        });
        let put = |job: &mut Value, key: &str, value: Value| {
            if !value.is_null() {
                job[key] = value;
            }
        };
        put(
            &mut job,
            "statusUpdateInterval",
            json!(self.status_update_interval),
        );
        put(&mut job, "priority", json!(self.priority));
        put(
            &mut job,
            "accelerationSettings",
            json!(self.acceleration_settings),
        );
        put(
            &mut job,
            "billingTagsSource",
            json!(self.billing_tags_source),
        );
        put(
            &mut job,
            "clientRequestToken",
            json!(self.client_request_token),
        );
        put(&mut job, "errorCode", json!(self.error_code));
        put(&mut job, "errorMessage", json!(self.error_message));
        if self.status == JobStatus::Progressing {
            put(
                &mut job,
                "jobPercentComplete",
                json!(self.job_percent_complete),
            );
            put(&mut job, "currentPhase", json!(self.current_phase));
        }
        if let Some(groups) = &self.output_group_details {
            // The API's OutputDetail carries durationInMs and videoDetails only.
            let api: Vec<Value> = groups
                .iter()
                .map(|g| {
                    let outputs: Vec<Value> = g["outputDetails"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|o| {
                            let mut d = json!({ "durationInMs": o["durationInMs"] });
                            if let Some(v) = o.get("videoDetails") {
                                d["videoDetails"] = json!({
                                    "widthInPx": v["widthInPx"],
                                    "heightInPx": v["heightInPx"],
                                });
                            }
                            d
                        })
                        .collect();
                    json!({ "outputDetails": outputs })
                })
                .collect();
            job["outputGroupDetails"] = json!(api);
        }
        job
    }
}

fn timing(submit: i64, start: Option<i64>, finish: Option<i64>) -> Value {
    let mut t = json!({ "submitTime": submit });
    if let Some(s) = start {
        t["startTime"] = json!(s);
    }
    if let Some(f) = finish {
        t["finishTime"] = json!(f);
    }
    t
}

/// The state directory layout.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    pub fn new(state_dir: &Path) -> Self {
        Self {
            root: state_dir.join("mediaconvert"),
        }
    }

    pub fn requests(&self) -> PathBuf {
        self.root.join("requests")
    }

    pub fn jobs(&self) -> PathBuf {
        self.root.join("jobs")
    }

    pub fn work(&self) -> PathBuf {
        self.root.join("work")
    }

    pub fn create(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(self.requests())?;
        std::fs::create_dir_all(self.jobs())?;
        std::fs::create_dir_all(self.work())
    }

    /// Writes the job atomically (temp file + rename).
    pub fn save(&self, job: &JobRecord) -> std::io::Result<()> {
        let path = self.jobs().join(format!("{}.json", job.id));
        let tmp = self.jobs().join(format!(".{}.json.tmp", job.id));
        let text = serde_json::to_vec_pretty(job).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, path)
    }

    pub fn save_request(&self, id: &str, body: &[u8]) -> std::io::Result<()> {
        std::fs::write(self.requests().join(format!("{id}.json")), body)
    }

    /// Every stored job; unreadable files are skipped with a warning.
    pub fn load_all(&self) -> Vec<JobRecord> {
        let Ok(dir) = std::fs::read_dir(self.jobs()) else {
            return Vec::new();
        };
        let mut jobs = Vec::new();
        for entry in dir.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            match std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<JobRecord>(&b).map_err(|e| e.to_string()))
            {
                Ok(job) => jobs.push(job),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "skipping unreadable job file")
                }
            }
        }
        jobs
    }
}

/// A MediaConvert-like job id: epoch milliseconds, a dash, six lowercase alphanumerics.
pub fn new_job_id(now_ms: i64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let suffix: String = bytes[..6]
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("{now_ms}-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_look_like_mediaconvert_ids() {
        let id = new_job_id(1_700_000_000_000);
        let (ms, suffix) = id.split_once('-').unwrap_or_default();
        assert_eq!(ms, "1700000000000");
        assert_eq!(suffix.len(), 6);
        assert!(
            suffix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }
}
