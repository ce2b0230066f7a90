//! moto's request journal, read: the entries its recorder appends (one JSON object per request:
//! `method`, raw `url`, `headers`, `body` base64-encoded when `body_encoded`), and which of them
//! changed durable state and so are replayed on the next start ([`classify`]).
//!
//! The recorder appends an entry and its newline in two writes, from whichever moto thread
//! served the request, so concurrent requests can leave two entries on one line and an empty
//! line after them; [`Lines`] reads every JSON value of every line. A line that does not parse
//! (the tail of a recorder killed mid-write) is counted and skipped.
//!
//! What is replayed, per service (the rest is skipped):
//! - **S3**: every write (`PUT`, `POST`, `DELETE`) except the bucket notification configuration,
//!   so restoring an upload emits no "Object Created" event (the bootstrap turns notifications
//!   back on afterwards) and `SelectObjectContent` (a read);
//! - **DynamoDB, SNS, EventBridge** and others: every operation but reads (`Get*`, `List*`,
//!   `Describe*`, `Query`, `Scan`, …), `Publish` (listeners would get old events again) and
//!   `PutEvents` (rules would start work again);
//! - **SQS**: queues and their attributes, never messages: a replayed `SendMessage` or
//!   `ReceiveMessage` would deliver work twice or hide it, and receipt handles do not survive.

use base64::Engine as _;
use serde::Deserialize;
use std::collections::HashMap;
use std::io::BufRead;

/// One recorded request.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub method: String,
    /// As the client sent it: scheme, host, percent-encoded path and query.
    pub url: String,
    #[serde(default)]
    pub headers: HashMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_encoded: bool,
}

/// An entry that cannot be replayed as recorded.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("the body is not base64: {0}")]
    Body(#[from] base64::DecodeError),
    #[error("the URL {0:?} has no path")]
    Url(String),
}

impl Entry {
    /// A header, whatever the case of its name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The request body as it was sent.
    pub fn body_bytes(&self) -> Result<Vec<u8>, EntryError> {
        match &self.body {
            None => Ok(Vec::new()),
            Some(b) if self.body_encoded => {
                Ok(base64::engine::general_purpose::STANDARD.decode(b)?)
            }
            Some(b) => Ok(b.clone().into_bytes()),
        }
    }

    /// `(host[:port], path, query)` of the URL, still percent-encoded.
    pub fn url_parts(&self) -> Result<(&str, &str, Option<&str>), EntryError> {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        let slash = rest
            .find('/')
            .ok_or_else(|| EntryError::Url(self.url.clone()))?;
        let (host, path_query) = rest.split_at(slash);
        Ok(match path_query.split_once('?') {
            Some((path, query)) => (host, path, Some(query)),
            None => (host, path_query, None),
        })
    }
}

/// The value of `name` in a query string (`None`: absent; `Some("")`: present without value).
pub fn query_param<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

/// The AWS service a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    S3,
    DynamoDb,
    Sns,
    Sqs,
    Events,
    Other,
}

/// What the replay does with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Sent again, as recorded (S3 multipart upload ids rewritten).
    Replay(Operation),
    /// Left out of the replay and of the compacted journal; the reason is for logs.
    Skip(&'static str),
}

/// A replayed request, as far as the replay must tell them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub service: Service,
    /// `PutItem`, `CreateTopic`, …; for S3 the method plus what the query names.
    pub name: String,
    pub multipart: Option<Multipart>,
}

/// The S3 multipart requests whose upload id the replay must map to the one moto hands out
/// this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Multipart {
    /// `POST ?uploads`: its answer carries the new upload id.
    Create,
    /// `UploadPart`, `UploadPartCopy`, `CompleteMultipartUpload`, `AbortMultipartUpload`.
    Use { upload_id: String },
}

/// Operations that are reads wherever they appear.
fn is_read(op: &str) -> bool {
    ["Get", "BatchGet", "List", "Describe", "TransactGet", "Head"]
        .iter()
        .any(|p| op.starts_with(p))
        || matches!(op, "Query" | "Scan" | "TestEventPattern")
}

/// The service a request was signed for (the credential scope), or recognised by its target.
fn service_of(entry: &Entry, query: Option<&str>) -> Service {
    let scope = entry
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .map(str::to_owned)
        .or_else(|| query_param(query, "X-Amz-Credential").map(|c| c.replace("%2F", "/")));
    let name = scope.as_deref().and_then(|s| s.split('/').nth(3));
    let target = entry.header("x-amz-target").unwrap_or_default();
    match name {
        Some("s3") => Service::S3,
        Some("dynamodb") => Service::DynamoDb,
        Some("sns") => Service::Sns,
        Some("sqs") => Service::Sqs,
        Some("events") => Service::Events,
        Some(_) => Service::Other,
        None if target.starts_with("DynamoDB_") => Service::DynamoDb,
        None if target.starts_with("AmazonSQS") => Service::Sqs,
        None if target.starts_with("AWSEvents") => Service::Events,
        // moto serves an unsigned request without a target as S3, and so does the replay.
        None => Service::S3,
    }
}

/// The operation of a JSON (`X-Amz-Target`) or query (`Action=`) protocol request.
fn rpc_operation(entry: &Entry, query: Option<&str>, body: &[u8]) -> String {
    if let Some(target) = entry.header("x-amz-target") {
        return target.rsplit('.').next().unwrap_or(target).to_owned();
    }
    let form = std::str::from_utf8(body).ok();
    query_param(form, "Action")
        .or_else(|| query_param(query, "Action"))
        .unwrap_or_default()
        .to_owned()
}

/// Decides whether an entry is replayed; `body` is [`Entry::body_bytes`].
pub fn classify(entry: &Entry, body: &[u8]) -> Result<Verdict, EntryError> {
    let (_, path, query) = entry.url_parts()?;
    if path.starts_with("/moto-api") {
        return Ok(Verdict::Skip("moto's own API"));
    }
    let service = service_of(entry, query);
    let method = entry.method.to_ascii_uppercase();
    if service == Service::S3 {
        return Ok(classify_s3(&method, query));
    }
    if matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        return Ok(Verdict::Skip("a read"));
    }
    let name = rpc_operation(entry, query, body);
    let skip = match service {
        Service::Sqs => (!matches!(
            name.as_str(),
            "CreateQueue"
                | "DeleteQueue"
                | "SetQueueAttributes"
                | "TagQueue"
                | "UntagQueue"
                | "AddPermission"
                | "RemovePermission"
        ))
        .then_some("an SQS message operation"),
        _ if is_read(&name) => Some("a read"),
        Service::Sns if matches!(name.as_str(), "Publish" | "PublishBatch") => {
            Some("a published event")
        }
        Service::Events if name == "PutEvents" => Some("a published event"),
        _ => None,
    };
    Ok(match skip {
        Some(reason) => Verdict::Skip(reason),
        None => Verdict::Replay(Operation {
            service,
            name,
            multipart: None,
        }),
    })
}

fn classify_s3(method: &str, query: Option<&str>) -> Verdict {
    let has = |name: &str| query_param(query, name).is_some();
    if matches!(method, "GET" | "HEAD" | "OPTIONS") {
        return Verdict::Skip("a read");
    }
    if has("notification") {
        return Verdict::Skip("the bucket notification configuration (the bootstrap sets it)");
    }
    if method == "POST" && has("select") {
        return Verdict::Skip("a read");
    }
    let multipart = if method == "POST" && has("uploads") {
        Some(Multipart::Create)
    } else {
        query_param(query, "uploadId").map(|id| Multipart::Use {
            upload_id: id.to_owned(),
        })
    };
    let what = query
        .and_then(|q| q.split('&').find(|p| !p.starts_with("x-id=")))
        .map(|p| format!(" ?{}", p.split('=').next().unwrap_or_default()))
        .unwrap_or_default();
    Verdict::Replay(Operation {
        service: Service::S3,
        name: format!("{method}{what}"),
        multipart,
    })
}

/// One JSON value of the journal: the entry and its exact text (what compaction keeps).
#[derive(Debug)]
pub struct Raw {
    pub text: Vec<u8>,
    pub entry: Entry,
}

/// Reads a journal value by value.
pub struct Lines<R> {
    reader: R,
    pending: std::collections::VecDeque<Raw>,
    /// Lines that did not parse (skipped).
    pub damaged: usize,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            pending: std::collections::VecDeque::new(),
            damaged: 0,
        }
    }

    /// The next entry, `None` at the end; I/O errors end the journal early.
    pub fn next_entry(&mut self) -> std::io::Result<Option<Raw>> {
        loop {
            if let Some(raw) = self.pending.pop_front() {
                return Ok(Some(raw));
            }
            let mut line = Vec::new();
            if self.reader.read_until(b'\n', &mut line)? == 0 {
                return Ok(None);
            }
            let mut values = serde_json::Deserializer::from_slice(&line).into_iter::<Entry>();
            let mut start = 0;
            loop {
                match values.next() {
                    Some(Ok(entry)) => {
                        let end = values.byte_offset();
                        let text = line.get(start..end).unwrap_or_default();
                        self.pending.push_back(Raw {
                            text: text.trim_ascii().to_vec(),
                            entry,
                        });
                        start = end;
                    }
                    Some(Err(_)) => {
                        self.damaged += 1;
                        break;
                    }
                    None => break,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(method: &str, url: &str, headers: serde_json::Value, body: &str) -> Entry {
        let body = base64::engine::general_purpose::STANDARD.encode(body);
        serde_json::from_value(json!({
            "method": method, "url": url, "headers": headers, "body": body, "body_encoded": true
        }))
        .unwrap()
    }

    fn signed(service: &str) -> serde_json::Value {
        json!({"Authorization": format!("AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0")})
    }

    fn verdict(e: &Entry) -> Verdict {
        classify(e, &e.body_bytes().unwrap()).unwrap()
    }

    fn replayed(e: &Entry) -> String {
        match verdict(e) {
            Verdict::Replay(op) => op.name,
            Verdict::Skip(why) => panic!("skipped ({why}): {e:?}"),
        }
    }

    #[test]
    fn object_writes_are_replayed_and_reads_and_notifications_are_not() {
        let url = "http://127.0.0.1:4566/vod-source/a%20b.mp4?x-id=PutObject";
        assert_eq!(replayed(&entry("PUT", url, signed("s3"), "bytes")), "PUT");
        for skipped in [
            entry("GET", url, signed("s3"), ""),
            entry("HEAD", "http://h/vod-source/k", signed("s3"), ""),
            entry(
                "PUT",
                "http://h/vod-source?notification",
                signed("s3"),
                "<x/>",
            ),
            entry(
                "POST",
                "http://h/b/k?select&select-type=2",
                signed("s3"),
                "",
            ),
            entry("POST", "http://h/moto-api/reset", json!({}), ""),
        ] {
            assert!(matches!(verdict(&skipped), Verdict::Skip(_)), "{skipped:?}");
        }
    }

    #[test]
    fn multipart_requests_carry_the_upload_id_to_map() {
        let create = entry("POST", "http://h/b/big%20k?uploads", signed("s3"), "");
        let Verdict::Replay(op) = verdict(&create) else {
            panic!()
        };
        assert_eq!(op.multipart, Some(Multipart::Create));
        let part = entry(
            "PUT",
            "http://h/b/big%20k?x-id=UploadPart&partNumber=1&uploadId=abc",
            signed("s3"),
            "p",
        );
        let Verdict::Replay(op) = verdict(&part) else {
            panic!()
        };
        assert_eq!(
            op.multipart,
            Some(Multipart::Use {
                upload_id: "abc".into()
            })
        );
    }

    #[test]
    fn sqs_keeps_queues_and_never_messages() {
        let sqs = |op: &str| {
            let mut h = signed("sqs");
            h["X-Amz-Target"] = json!(format!("AmazonSQS.{op}"));
            entry("POST", "http://h/", h, "{}")
        };
        assert_eq!(replayed(&sqs("CreateQueue")), "CreateQueue");
        assert_eq!(replayed(&sqs("SetQueueAttributes")), "SetQueueAttributes");
        for op in [
            "SendMessage",
            "ReceiveMessage",
            "DeleteMessage",
            "PurgeQueue",
            "ChangeMessageVisibility",
        ] {
            assert!(matches!(verdict(&sqs(op)), Verdict::Skip(_)), "{op}");
        }
        // The query protocol too.
        let query = entry("POST", "http://h/", signed("sqs"), "Action=SendMessage&A=1");
        assert!(matches!(verdict(&query), Verdict::Skip(_)));
    }

    #[test]
    fn table_topic_and_rule_changes_are_replayed_reads_and_events_are_not() {
        let ddb = |op: &str| {
            let mut h = signed("dynamodb");
            h["X-Amz-Target"] = json!(format!("DynamoDB_20120810.{op}"));
            entry("POST", "http://h/", h, "{}")
        };
        for op in [
            "CreateTable",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "BatchWriteItem",
        ] {
            assert_eq!(replayed(&ddb(op)), op);
        }
        for op in ["GetItem", "Query", "Scan", "DescribeTable", "BatchGetItem"] {
            assert!(matches!(verdict(&ddb(op)), Verdict::Skip(_)), "{op}");
        }
        let sns = |body: &str| entry("POST", "http://h/", signed("sns"), body);
        assert_eq!(replayed(&sns("Action=Subscribe&TopicArn=t")), "Subscribe");
        assert_eq!(replayed(&sns("Action=CreateTopic&Name=t")), "CreateTopic");
        assert!(matches!(
            verdict(&sns("Action=Publish&Message=m")),
            Verdict::Skip(_)
        ));
        assert!(matches!(
            verdict(&sns("Action=ListSubscriptions")),
            Verdict::Skip(_)
        ));
        let mut h = signed("events");
        h["X-Amz-Target"] = json!("AWSEvents.PutEvents");
        assert!(matches!(
            verdict(&entry("POST", "http://h/", h, "{}")),
            Verdict::Skip(_)
        ));
    }

    #[test]
    fn entries_sharing_a_line_and_a_torn_tail_are_read_as_far_as_they_go() {
        let a =
            r#"{"method":"PUT","url":"http://h/b/a","headers":{},"body":"","body_encoded":false}"#;
        let b =
            r#"{"method":"PUT","url":"http://h/b/b","headers":{},"body":"","body_encoded":false}"#;
        let text = format!("{a}\n{a}{b}\n\n{b}\n{{\"method\":\"PU");
        let mut lines = Lines::new(text.as_bytes());
        let mut urls = Vec::new();
        while let Some(raw) = lines.next_entry().unwrap() {
            assert!(raw.text.starts_with(b"{") && raw.text.ends_with(b"}"));
            urls.push(raw.entry.url);
        }
        assert_eq!(
            urls,
            [
                "http://h/b/a",
                "http://h/b/a",
                "http://h/b/b",
                "http://h/b/b"
            ]
        );
        assert_eq!(lines.damaged, 1);
    }
}
