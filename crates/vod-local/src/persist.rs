//! The twin keeps its data plane across restarts, a SIGKILL included: buckets and objects, the
//! asset table, the topic and its subscriptions, queues and rules.
//!
//! moto keeps everything in memory, so the moto vod-local starts records every request it
//! serves with its own request recorder (`MOTO_RECORDER_FILEPATH`), appending each one to
//! `<state>/moto/journal.jsonl` *before* serving it: whatever a client saw succeed is on disk,
//! whenever the process dies. The next start replays the journal into the new moto before
//! anything else talks to it ([`restore`]): only the requests that changed durable state
//! ([`crate::journal::classify`]), in their order, S3 multipart upload ids mapped to the ones
//! moto hands out this time. Requests moto refuses again (a conditional write that failed the
//! first time, too) and repeats of the bootstrap's idempotent calls are dropped, and what is
//! left becomes the new journal, so reads, polls and messages never pile up across restarts.
//!
//! Why a replay of moto's own recording (measured and argued in `localstack/README.md`): moto
//! 5 has no snapshot of its state; pickling its backends is not safe against SIGKILL without
//! writing everything on every change; another store (MinIO, DynamoDB Local, LocalStack's
//! persistence) would lose moto's S3 → EventBridge route or its licence fits badly. moto's
//! own `replay-recording` is not enough as it stands: it would replay reads and SQS long polls
//! (start-up as slow as the time the twin ran), deliver old messages and S3 events again,
//! reuse stale multipart upload ids, and it reads the whole file into memory and stops at two
//! entries the recorder wrote on one line.
//!
//! Left out on purpose: SQS messages (an upload whose event had not reached the pump when the
//! twin died is stored but never processed: upload it again) and subscription changes made
//! after `Subscribe` by subscription ARN (the ARN is new after a replay). A subscription whose
//! SQS queue is gone is removed after the replay ([`drop_dangling_subscriptions`]): moto fails
//! every `Publish` to the topic otherwise.

use crate::bootstrap::DataPlane;
use crate::journal::{self, Lines, Multipart, Service, Verdict};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The journal, relative to the state directory.
pub const JOURNAL: &str = "moto/journal.jsonl";

/// What could not be restored. The journal itself is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("reading {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the endpoint {0:?} is not an http:// URL with a port")]
    Endpoint(String),
    /// moto stopped answering mid-replay.
    #[error("replaying {operation} into moto at {endpoint}")]
    Send {
        endpoint: String,
        operation: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("turning on moto's recorder at {endpoint}: {detail}")]
    Recorder { endpoint: String, detail: String },
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    /// Requests moto accepted again (the new journal).
    pub replayed: usize,
    /// Requests moto refused again (dropped from the journal: they changed nothing) or failed
    /// (kept for the next start).
    pub refused: usize,
    /// Reads, messages, events and repeats, never sent.
    pub skipped: usize,
    /// Unreadable journal lines (the torn tail of a killed recorder) and entries recorded
    /// without their body, skipped.
    pub damaged: usize,
    /// Request bytes replayed.
    pub bytes: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        #[allow(clippy::cast_precision_loss)]
        let mb = self.bytes as f64 / 1_000_000.0;
        write!(
            f,
            "{} requests ({mb:.1} MB) in {:.1} s",
            self.replayed,
            self.elapsed.as_secs_f64()
        )?;
        if self.damaged > 0 {
            write!(f, "; {} unreadable journal lines skipped", self.damaged)?;
        }
        Ok(())
    }
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// `http://host:port` → the port.
fn endpoint_port(endpoint: &str) -> Result<u16, PersistError> {
    endpoint
        .parse::<Uri>()
        .ok()
        .filter(|u| u.scheme_str() == Some("http"))
        .and_then(|u| u.port_u16())
        .ok_or_else(|| PersistError::Endpoint(endpoint.to_owned()))
}

/// Headers that describe the recorded connection, not the request.
fn is_connection_header(name: &str) -> bool {
    [
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "expect",
        "te",
        "upgrade",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// The calls the bootstrap makes on every start; a repeat of one changes nothing unless
/// something else of its service changed in between.
const ENSURE_OPERATIONS: [&str; 4] = ["CreateTopic", "CreateQueue", "PutRule", "PutTargets"];

/// Replays the journal into moto at `endpoint` and compacts it. `Ok(None)`: no journal yet.
/// Nothing else may use moto meanwhile, and moto must not be recording yet.
pub async fn restore(journal: &Path, endpoint: &str) -> Result<Option<Restored>, PersistError> {
    let started = Instant::now();
    let read_error = |source| PersistError::Read {
        path: journal.to_path_buf(),
        source,
    };
    if let Some(dir) = journal.parent() {
        std::fs::create_dir_all(dir).map_err(|source| PersistError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let file = match std::fs::File::open(journal) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_error(e)),
    };
    let compacted = journal.with_extension("jsonl.compacting");
    let write_error = |source| PersistError::Write {
        path: compacted.clone(),
        source,
    };
    let mut out = BufWriter::new(std::fs::File::create(&compacted).map_err(write_error)?);
    let mut replay = Replay::new(endpoint)?;
    // Blocking reads on a runtime thread: this runs at start-up, before anything else does.
    let mut lines = Lines::new(BufReader::with_capacity(1 << 20, file));
    while let Some(raw) = lines.next_entry().map_err(read_error)? {
        if replay.send(&raw.entry).await? {
            out.write_all(&raw.text).map_err(write_error)?;
            out.write_all(b"\n").map_err(write_error)?;
        }
    }
    let file = out.into_inner().map_err(|e| write_error(e.into_error()))?;
    file.sync_all().map_err(write_error)?;
    drop(file);
    std::fs::rename(&compacted, journal).map_err(write_error)?;
    let mut restored = replay.restored;
    restored.damaged = lines.damaged;
    restored.elapsed = started.elapsed();
    Ok(Some(restored))
}

/// The state of one replay.
struct Replay {
    client: HttpClient,
    endpoint: String,
    port: u16,
    restored: Restored,
    /// Recorded multipart upload id → the one moto gave this time.
    upload_ids: HashMap<String, String>,
    /// Upload ids created this time and not yet claimed by a recorded id, per object path.
    unclaimed_uploads: HashMap<String, VecDeque<String>>,
    /// Bootstrap calls already replayed since their service last changed otherwise.
    ensured: HashSet<(String, String, Vec<u8>)>,
}

impl Replay {
    fn new(endpoint: &str) -> Result<Self, PersistError> {
        Ok(Self {
            client: client(),
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            port: endpoint_port(endpoint)?,
            restored: Restored::default(),
            upload_ids: HashMap::new(),
            unclaimed_uploads: HashMap::new(),
            ensured: HashSet::new(),
        })
    }

    /// Replays one entry; `true` when it belongs in the compacted journal.
    async fn send(&mut self, entry: &journal::Entry) -> Result<bool, PersistError> {
        // The recorder reads a body by its Content-Length: a chunked one was recorded empty.
        let chunked_unread = entry
            .header("transfer-encoding")
            .is_some_and(|t| t.contains("chunked"))
            && entry.header("content-length").is_none();
        let body = match entry.body_bytes() {
            Ok(body) if !chunked_unread => body,
            _ => {
                tracing::warn!(method = %entry.method, url = %entry.url, "a journal entry without its body; skipped");
                self.restored.damaged += 1;
                return Ok(false);
            }
        };
        let op = match journal::classify(entry, &body) {
            Ok(Verdict::Replay(op)) => op,
            Ok(Verdict::Skip(_)) => {
                self.restored.skipped += 1;
                return Ok(false);
            }
            Err(_) => {
                self.restored.damaged += 1;
                return Ok(false);
            }
        };
        let Ok((host, path, query)) = entry.url_parts() else {
            self.restored.damaged += 1;
            return Ok(false);
        };
        if matches!(op.service, Service::Sns | Service::Sqs | Service::Events) {
            if ENSURE_OPERATIONS.contains(&op.name.as_str()) {
                let key = (op.name.clone(), path.to_owned(), body.clone());
                if !self.ensured.insert(key) {
                    self.restored.skipped += 1;
                    return Ok(false);
                }
            } else {
                self.ensured.clear();
            }
        }
        let query = match &op.multipart {
            Some(Multipart::Use { upload_id }) => {
                let new_id = match self.upload_ids.get(upload_id) {
                    Some(id) => Some(id.clone()),
                    None => {
                        let claimed = self
                            .unclaimed_uploads
                            .get_mut(path)
                            .and_then(VecDeque::pop_front);
                        if let Some(id) = &claimed {
                            self.upload_ids.insert(upload_id.clone(), id.clone());
                        }
                        claimed
                    }
                };
                query.map(|q| rewrite_upload_id(q, new_id.as_deref()))
            }
            _ => query.map(str::to_owned),
        };
        let uri = match &query {
            Some(q) => format!("{}{path}?{q}", self.endpoint),
            None => format!("{}{path}", self.endpoint),
        };
        // The recorded host name (it may name the bucket), on the port moto has this time.
        let recorded_host = entry.header("host").unwrap_or(host);
        let hostname = recorded_host
            .rsplit_once(':')
            .map_or(recorded_host, |(h, _)| h);
        let mut request = Request::builder()
            .method(Method::from_bytes(entry.method.as_bytes()).unwrap_or(Method::POST))
            .uri(&uri)
            .header("host", format!("{hostname}:{}", self.port));
        for (name, value) in &entry.headers {
            if !is_connection_header(name) {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        let bytes = body.len() as u64;
        let failed = |source: Box<dyn std::error::Error + Send + Sync>| PersistError::Send {
            endpoint: self.endpoint.clone(),
            operation: format!("{} {path}", op.name),
            source,
        };
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| failed(e.into()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| failed(e.into()))?;
        let status = response.status();
        let answer = response
            .into_body()
            .collect()
            .await
            .map_err(|e| failed(e.into()))?
            .to_bytes();
        if status.is_client_error() {
            tracing::debug!(operation = %op.name, %status, "refused again on replay; dropped");
            self.restored.refused += 1;
            return Ok(false);
        }
        if !status.is_success() {
            // moto failing, not refusing: keep the request for the next start.
            tracing::warn!(operation = %op.name, %path, %status, "moto failed a replayed request; kept in the journal");
            self.restored.refused += 1;
            return Ok(true);
        }
        if op.multipart == Some(Multipart::Create)
            && let Some(id) = upload_id_in(&answer)
        {
            self.unclaimed_uploads
                .entry(path.to_owned())
                .or_default()
                .push_back(id);
        }
        self.restored.replayed += 1;
        self.restored.bytes += bytes;
        Ok(true)
    }
}

/// The query with `uploadId` set to `new_id` (unchanged when there is none to map to: the
/// request then fails as the upload it names is unknown, and is dropped).
fn rewrite_upload_id(query: &str, new_id: Option<&str>) -> String {
    let Some(new_id) = new_id else {
        return query.to_owned();
    };
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("uploadId", _)) => format!(
                "uploadId={}",
                percent_encoding::utf8_percent_encode(new_id, percent_encoding::NON_ALPHANUMERIC)
            ),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `<UploadId>…</UploadId>` of a CreateMultipartUpload answer (an id has no markup in it).
fn upload_id_in(xml: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(xml).ok()?;
    let start = text.find("<UploadId>")? + "<UploadId>".len();
    let len = text.get(start..)?.find("</UploadId>")?;
    text.get(start..start + len).map(str::to_owned)
}

/// Turns moto's request recorder on (it appends to its `MOTO_RECORDER_FILEPATH`).
pub async fn start_recording(endpoint: &str) -> Result<(), PersistError> {
    let endpoint = endpoint.trim_end_matches('/');
    let failed = |detail: String| PersistError::Recorder {
        endpoint: endpoint.to_owned(),
        detail,
    };
    let request = Request::post(format!("{endpoint}/moto-api/recorder/start-recording"))
        .body(Full::new(Bytes::new()))
        .map_err(|e| failed(e.to_string()))?;
    let response = client()
        .request(request)
        .await
        .map_err(|e| failed(e.to_string()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(failed(format!("answered {}", response.status())))
    }
}

/// Unsubscribes every SQS subscription whose queue no longer exists (a listener that deleted
/// its queue and unsubscribed by an ARN the replay could not reproduce). Returns how many.
pub async fn drop_dangling_subscriptions(dp: &DataPlane) -> usize {
    let mut dropped = 0;
    let mut next_token = None;
    loop {
        let page = match dp
            .sns
            .list_subscriptions()
            .set_next_token(next_token.take())
            .send()
            .await
        {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %aws_sdk_sns::error::DisplayErrorContext(&e), "listing subscriptions after the restore");
                return dropped;
            }
        };
        for sub in page.subscriptions() {
            let (Some("sqs"), Some(endpoint), Some(arn)) =
                (sub.protocol(), sub.endpoint(), sub.subscription_arn())
            else {
                continue;
            };
            let mut parts = endpoint.split(':');
            let (Some(account), Some(queue)) = (parts.nth(4), parts.next()) else {
                continue;
            };
            let gone = match dp
                .sqs
                .get_queue_url()
                .queue_name(queue)
                .queue_owner_aws_account_id(account)
                .send()
                .await
            {
                Ok(_) => false,
                Err(e) => e
                    .as_service_error()
                    .is_some_and(aws_sdk_sqs::operation::get_queue_url::GetQueueUrlError::is_queue_does_not_exist),
            };
            if gone
                && dp
                    .sns
                    .unsubscribe()
                    .subscription_arn(arn)
                    .send()
                    .await
                    .is_ok()
            {
                tracing::info!(subscription = %arn, queue, "removed a subscription whose queue is gone");
                dropped += 1;
            }
        }
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            return dropped;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_upload_id_is_rewritten() {
        assert_eq!(
            rewrite_upload_id("x-id=UploadPart&partNumber=2&uploadId=old", Some("n+w")),
            "x-id=UploadPart&partNumber=2&uploadId=n%2Bw"
        );
        assert_eq!(rewrite_upload_id("uploadId=old", None), "uploadId=old");
    }

    #[test]
    fn the_upload_id_is_read_from_the_answer() {
        let xml = b"<?xml version=\"1.0\"?><InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>abc123</UploadId></InitiateMultipartUploadResult>";
        assert_eq!(upload_id_in(xml).as_deref(), Some("abc123"));
        assert_eq!(upload_id_in(b"<Error/>"), None);
    }

    #[test]
    fn endpoints_need_a_port() {
        assert_eq!(endpoint_port("http://127.0.0.1:4566").unwrap(), 4566);
        assert!(endpoint_port("http://127.0.0.1").is_err());
        assert!(endpoint_port("https://127.0.0.1:1").is_err());
    }
}
