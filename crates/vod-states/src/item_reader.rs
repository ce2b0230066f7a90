//! Distributed Map `ItemReader`: reading the items of a Map state from S3 objects.
//!
//! The engine knows nothing about AWS SDKs: it reads through the [`ItemSource`] port (get one
//! object's bytes, list a bucket's objects under a prefix). The twin implements it over the same
//! S3 client its handlers use; [`InMemoryItemSource`] serves tests and the conformance harness.
//!
//! Supported (as documented by AWS): `arn:aws:states:::s3:getObject` with `ReaderConfig.InputType`
//! `JSON` (an array), `JSONL` (one JSON value per line) or `CSV` (headers in the first row or given
//! in `CSVHeaders`, every value a string, optional `CSVDelimiter`), and
//! `arn:aws:states:::s3:listObjectsV2` (one item per object: `Etag`, `Key`, `LastModified` in epoch
//! seconds, `Size`, `StorageClass`). `MaxItems`/`MaxItemsPath` limit the items read.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use md5::{Digest, Md5};
use serde_json::{Map, Value, json};

use crate::error::{Failure, names};

/// The most items an `ItemReader` hands to a Map run; `MaxItems` above it reads everything.
pub const MAX_ITEMS_LIMIT: u64 = 100_000_000;

/// One object of an S3 listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSummary {
    /// Object key.
    pub key: String,
    /// Entity tag, with its quotes (`"\"d41d8cd98f00b204e9800998ecf8427e\""`), as S3 returns it.
    pub etag: String,
    /// Last modification time.
    pub last_modified: DateTime<Utc>,
    /// Size in bytes.
    pub size: u64,
    /// Storage class (`STANDARD`, ...).
    pub storage_class: String,
}

/// A failed S3 read, as the service reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// Error code (`NoSuchKey`, `NoSuchBucket`, `AccessDenied`, ...).
    pub code: String,
    /// Message.
    pub message: String,
}

impl SourceError {
    /// Builds an error.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Where a distributed Map reads its items: an S3 object reader.
#[async_trait::async_trait]
pub trait ItemSource: Send + Sync {
    /// The bytes of one object.
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, SourceError>;
    /// Every object of `bucket` whose key starts with `prefix`, in key order.
    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectSummary>, SourceError>;
}

/// Objects of one bucket by key: body and last modification time.
type Bucket = BTreeMap<String, (Vec<u8>, DateTime<Utc>)>;

/// An in-memory S3: buckets of objects.
#[derive(Debug, Default)]
pub struct InMemoryItemSource {
    objects: Mutex<BTreeMap<String, Bucket>>,
}

impl InMemoryItemSource {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates an (empty) bucket.
    pub fn create_bucket(&self, bucket: &str) {
        self.lock().entry(bucket.to_string()).or_default();
    }

    /// Stores an object (creating the bucket).
    pub fn put(&self, bucket: &str, key: &str, body: impl Into<Vec<u8>>) {
        self.lock()
            .entry(bucket.to_string())
            .or_default()
            .insert(key.to_string(), (body.into(), Utc::now()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Bucket>> {
        self.objects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn no_such_bucket(bucket: &str) -> SourceError {
    SourceError::new(
        "NoSuchBucket",
        format!("The specified bucket does not exist: {bucket}"),
    )
}

#[async_trait::async_trait]
impl ItemSource for InMemoryItemSource {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, SourceError> {
        let objects = self.lock();
        let b = objects.get(bucket).ok_or_else(|| no_such_bucket(bucket))?;
        b.get(key)
            .map(|(body, _)| body.clone())
            .ok_or_else(|| SourceError::new("NoSuchKey", "The specified key does not exist."))
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectSummary>, SourceError> {
        let objects = self.lock();
        let b = objects.get(bucket).ok_or_else(|| no_such_bucket(bucket))?;
        Ok(b.iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, (body, at))| ObjectSummary {
                key: k.clone(),
                etag: format!("\"{}\"", hex::encode(Md5::digest(body))),
                last_modified: *at,
                size: body.len() as u64,
                storage_class: "STANDARD".into(),
            })
            .collect())
    }
}

/// What an `ItemReader` reads, resolved at run time.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRequest {
    /// `Resource` (`arn:aws:states:::s3:getObject` or `...:s3:listObjectsV2`).
    pub resource: String,
    /// Effective `Parameters` (`Bucket`, `Key` / `Prefix`).
    pub parameters: Value,
    /// `ReaderConfig` as written (`InputType`, `CSVHeaderLocation`, `CSVHeaders`, `CSVDelimiter`).
    pub config: Value,
    /// Resolved `MaxItems` (`None` or 0: no limit).
    pub max_items: Option<u64>,
}

fn reader_failed(cause: impl Into<String>) -> Failure {
    Failure::new(names::ITEM_READER_FAILED, cause)
}

fn source_failed(e: &SourceError) -> Failure {
    reader_failed(format!(
        "{} (Service: S3, Error Code: {})",
        e.message, e.code
    ))
}

fn param<'a>(params: &'a Value, name: &str) -> Option<&'a str> {
    params.get(name).and_then(Value::as_str)
}

/// Reads the items a distributed Map iterates over.
pub async fn read_items(source: &dyn ItemSource, req: &ReadRequest) -> Result<Vec<Value>, Failure> {
    let limit = match req.max_items {
        None | Some(0) => usize::MAX,
        Some(n) => usize::try_from(n.min(MAX_ITEMS_LIMIT)).unwrap_or(usize::MAX),
    };
    let action = req
        .resource
        .rsplit_once(":s3:")
        .map(|(_, a)| a)
        .unwrap_or_default();
    let bucket = param(&req.parameters, "Bucket")
        .ok_or_else(|| reader_failed("The ItemReader parameters must include a 'Bucket'"))?;
    match action {
        "listObjectsV2" => {
            let prefix = param(&req.parameters, "Prefix").unwrap_or("");
            let objects = source
                .list_objects(bucket, prefix)
                .await
                .map_err(|e| source_failed(&e))?;
            Ok(objects
                .into_iter()
                .take(limit)
                .map(|o| {
                    json!({
                        "Etag": o.etag,
                        "Key": o.key,
                        "LastModified": o.last_modified.timestamp(),
                        "Size": o.size,
                        "StorageClass": o.storage_class,
                    })
                })
                .collect())
        }
        "getObject" => {
            let key = param(&req.parameters, "Key")
                .ok_or_else(|| reader_failed("The ItemReader parameters must include a 'Key'"))?;
            let body = source
                .get_object(bucket, key)
                .await
                .map_err(|e| source_failed(&e))?;
            let text = String::from_utf8(body)
                .map_err(|_| reader_failed("The object is not valid UTF-8 text"))?;
            let input_type = req
                .config
                .get("InputType")
                .and_then(Value::as_str)
                .unwrap_or("JSON");
            match input_type {
                "JSON" => parse_json_array(&text, limit),
                "JSONL" => parse_json_lines(&text, limit),
                "CSV" => parse_csv_items(&text, &req.config, limit),
                other => Err(reader_failed(format!(
                    "InputType '{other}' is not supported by this executor"
                ))),
            }
        }
        other => Err(reader_failed(format!(
            "Unsupported ItemReader resource action '{other}'"
        ))),
    }
}

/// A JSON object holding an array.
pub fn parse_json_array(text: &str, limit: usize) -> Result<Vec<Value>, Failure> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok(items.into_iter().take(limit).collect()),
        Ok(_) => Err(reader_failed("Attempting to map over non-iterable node.")),
        Err(e) => Err(reader_failed(format!("The object is not valid JSON: {e}"))),
    }
}

/// JSON Lines: one JSON value per non-blank line.
pub fn parse_json_lines(text: &str, limit: usize) -> Result<Vec<Value>, Failure> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(limit)
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| reader_failed(format!("Line {} is not valid JSON: {e}", i + 1)))
        })
        .collect()
}

/// Splits CSV text into rows (RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends).
/// A final line break does not start a row.
pub fn parse_csv_rows(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, Failure> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut row_started = false;
    while let Some(c) = chars.next() {
        row_started = true;
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                row_started = false;
            }
            c if c == delimiter => row.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    if in_quotes {
        return Err(reader_failed(
            "The CSV object has an unterminated quoted field",
        ));
    }
    if row_started {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// CSV items: one object per data row, keyed by the headers, every value a string (a missing
/// trailing value is `""`, extra values are dropped).
pub fn parse_csv_items(text: &str, config: &Value, limit: usize) -> Result<Vec<Value>, Failure> {
    let delimiter = match config.get("CSVDelimiter").and_then(Value::as_str) {
        None | Some("COMMA") => ',',
        Some("PIPE") => '|',
        Some("SEMICOLON") => ';',
        Some("SPACE") => ' ',
        Some("TAB") => '\t',
        Some(other) => return Err(reader_failed(format!("Unknown CSVDelimiter '{other}'"))),
    };
    let mut rows = parse_csv_rows(text, delimiter)?.into_iter();
    let headers: Vec<String> = match config.get("CSVHeaderLocation").and_then(Value::as_str) {
        Some("GIVEN") => config
            .get("CSVHeaders")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|h| h.as_str().map_or_else(|| h.to_string(), str::to_string))
                    .collect()
            })
            .ok_or_else(|| {
                reader_failed("CSVHeaders must be given with CSVHeaderLocation GIVEN")
            })?,
        _ => rows.next().unwrap_or_default(),
    };
    let mut seen = std::collections::HashSet::new();
    if !headers.iter().all(|h| seen.insert(h)) {
        return Err(reader_failed("CSV headers cannot contain duplicates."));
    }
    Ok(rows
        .take(limit)
        .map(|row| {
            let mut m = Map::new();
            for (i, h) in headers.iter().enumerate() {
                m.insert(
                    h.clone(),
                    Value::String(row.get(i).cloned().unwrap_or_default()),
                );
            }
            Value::Object(m)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_follow_rfc4180() {
        let rows = parse_csv_rows("a,b\r\n\"x,1\",\"say \"\"hi\"\"\"\n,\n", ',').unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["a".to_string(), "b".into()],
                vec!["x,1".into(), "say \"hi\"".into()],
                vec![String::new(), String::new()],
            ]
        );
        assert!(parse_csv_rows("\"open", ',').is_err());
        assert_eq!(
            parse_csv_rows("a|b", '|').unwrap(),
            vec![vec!["a".to_string(), "b".into()]]
        );
    }
}
