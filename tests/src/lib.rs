//! Harness for the end-to-end tests: a moto per test, vod-local in-process on free ports, the
//! real AWS SDK clients pointed at both, an SQS subscriber on the lifecycle topic, test media
//! made with ffmpeg, and a tiny HTTP client for the CDN.

use anyhow::{Context as _, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use vod_local::subscribe::{QueueOptions, queue_to_topic};
use vod_local::{LambdaHost, LocalConfig, TwinFile, VodLocal};
use vod_testkit::MotoServer;

/// Long enough for a slow CI box; only there so a broken pipeline fails instead of hanging.
pub const TIMEOUT: Duration = Duration::from_secs(300);

/// What outlives one vod-local: moto, its state directory and the topic's subscriber queue.
#[derive(Debug)]
pub struct Leftovers {
    pub moto: Arc<MotoServer>,
    pub state_dir: Arc<tempfile::TempDir>,
    /// `None`: subscribe a new queue.
    pub events_queue_url: Option<String>,
}

/// One pipeline: moto (shared across restarts) + vod-local + clients.
pub struct Pipeline {
    pub moto: Arc<MotoServer>,
    pub state_dir: Arc<tempfile::TempDir>,
    pub local: VodLocal,
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub mediaconvert: aws_sdk_mediaconvert::Client,
    /// SQS queue subscribed to the lifecycle topic (raw delivery).
    pub events_queue_url: String,
    events: Mutex<Vec<Value>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A fresh moto and a vod-local on it.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}, |host| host).await
    }

    /// A fresh moto and a vod-local on it, its configuration changed by `adjust` and its
    /// Lambdas wrapped by `wrap` (to watch what they answer).
    pub async fn start_with(
        adjust: impl FnOnce(&mut LocalConfig),
        wrap: impl FnOnce(Arc<dyn LambdaHost>) -> Arc<dyn LambdaHost>,
    ) -> anyhow::Result<Self> {
        let moto = tokio::task::spawn_blocking(MotoServer::start)
            .await?
            .map_err(anyhow::Error::msg)?;
        let left = Leftovers {
            moto: Arc::new(moto),
            state_dir: Arc::new(tempfile::tempdir()?),
            events_queue_url: None,
        };
        Self::start_on_with(left, adjust, wrap).await
    }

    /// A vod-local on what an earlier one left: moto, state directory, event subscriber (what a
    /// restart sees).
    pub async fn start_on(left: Leftovers) -> anyhow::Result<Self> {
        Self::start_on_with(left, |_| {}, |host| host).await
    }

    async fn start_on_with(
        left: Leftovers,
        adjust: impl FnOnce(&mut LocalConfig),
        wrap: impl FnOnce(Arc<dyn LambdaHost>) -> Arc<dyn LambdaHost>,
    ) -> anyhow::Result<Self> {
        let Leftovers {
            moto,
            state_dir,
            events_queue_url,
        } = left;
        let mut config = LocalConfig {
            twin: TwinFile::embedded().with_free_ports(),
            state_dir: state_dir.path().to_path_buf(),
            aws_endpoint: Some(moto.endpoint()),
            max_concurrent_jobs: 2,
            pump_wait_seconds: 1,
            pump_retry_seconds: 1,
            ..LocalConfig::default()
        };
        adjust(&mut config);
        let local = VodLocal::start_with(config, |clients, lookup| {
            let host = vod_functions::FunctionHost::new(clients, lookup)?;
            Ok(wrap(Arc::new(host)))
        })
        .await?;
        let sdk = local.sdk_config().clone();
        let e = local.endpoints().clone();
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let sns = aws_sdk_sns::Client::new(&sdk);
        let sfn = aws_sdk_sfn::Client::from_conf(
            aws_sdk_sfn::config::Builder::from(&sdk)
                .endpoint_url(&e.step_functions)
                .build(),
        );
        let mediaconvert = aws_sdk_mediaconvert::Client::from_conf(
            aws_sdk_mediaconvert::config::Builder::from(&sdk)
                .endpoint_url(&e.mediaconvert)
                .build(),
        );
        let events_queue_url = match events_queue_url {
            Some(url) => url,
            None => {
                // A subscriber, as any consumer of the topic would be.
                let queue = format!("e2e-subscriber-{}", uuid_like());
                let raw = QueueOptions {
                    raw_delivery: true,
                    ..QueueOptions::default()
                };
                queue_to_topic(&sqs, &sns, &e.topic_arn, &queue, &raw)
                    .await?
                    .queue_url
            }
        };
        Ok(Self {
            moto,
            state_dir,
            s3,
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            sqs,
            sfn,
            mediaconvert,
            events_queue_url,
            events: Mutex::new(Vec::new()),
            local,
        })
    }

    pub fn twin(&self) -> &TwinFile {
        &self.local.endpoints().twin
    }

    /// Uploads `body` as `key` and returns the asset id the uploader predicts from its own key
    /// and PutObject's answer (what `vod upload` does); the pipeline must agree.
    pub async fn upload(&self, key: &str, body: Vec<u8>) -> anyhow::Result<String> {
        let bucket = &self.twin().source_bucket;
        let put = self
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .with_context(|| format!("uploading {key}"))?;
        let revision = vod_core::asset_id::object_revision(put.version_id(), put.e_tag())
            .with_context(|| format!("PutObject of {key} returned no ETag"))?;
        Ok(vod_core::AssetId::derive(bucket, key, revision).to_string())
    }

    /// The record of the asset uploaded as `key`: the one whose object key (the key the
    /// pipeline found the object under) is `key`.
    pub async fn record_for_key(&self, key: &str) -> anyhow::Result<Option<Value>> {
        Ok(self.all_records().await?.into_iter().find(|r| {
            let source = &r["source"];
            source["resolvedKey"]
                .as_str()
                .or_else(|| source["key"]["decoded"].as_str())
                == Some(key)
        }))
    }

    /// Every record in the table.
    pub async fn all_records(&self) -> anyhow::Result<Vec<Value>> {
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .dynamodb
                .scan()
                .table_name(&self.twin().asset_table)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            for item in out.items() {
                records.push(serde_dynamo::from_item(item.clone())?);
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(records);
            }
        }
    }

    /// Waits until the record for `key` satisfies `done`.
    pub async fn wait_for_record(
        &self,
        key: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        let deadline = Instant::now() + TIMEOUT;
        let mut last = None;
        while Instant::now() < deadline {
            if let Some(r) = self.record_for_key(key).await? {
                if done(&r) {
                    return Ok(r);
                }
                last = Some(r);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let records: Vec<String> = self
            .all_records()
            .await?
            .iter()
            .map(|r| format!("{} {} {}", r["assetId"], r["status"], r["source"]["key"]))
            .collect();
        let executions = self.local.step_functions().engine().list_executions();
        let executions: Vec<String> = executions
            .iter()
            .map(|e| format!("{} {:?} {:?} {:?}", e.name, e.status, e.error, e.cause))
            .collect();
        bail!(
            "timed out waiting for {what} of {key}; last record: {last:?}\nrecords: {records:#?}\nexecutions: {executions:#?}"
        )
    }

    /// Waits for COMPLETE, REJECTED or FAILED.
    pub async fn wait_final(&self, key: &str) -> anyhow::Result<Value> {
        self.wait_for_record(key, "a final status", |r| {
            matches!(
                r["status"].as_str(),
                Some("COMPLETE" | "REJECTED" | "FAILED")
            )
        })
        .await
    }

    /// All lifecycle events received so far.
    pub async fn events(&self) -> anyhow::Result<Vec<Value>> {
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.events_queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await?;
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for m in messages {
                let body: Value = serde_json::from_str(m.body().unwrap_or_default())?;
                // Raw delivery gives the event itself; tolerate the SNS envelope too.
                let event = match body.get("Message").and_then(Value::as_str) {
                    Some(inner) if body.get("Type").is_some() => serde_json::from_str(inner)?,
                    _ => body,
                };
                self.events
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .push(event);
                if let Some(r) = m.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.events_queue_url)
                        .receipt_handle(r)
                        .send()
                        .await?;
                }
            }
        }
        Ok(self
            .events
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clone())
    }

    /// Events of `event_type` for `asset_id` received so far.
    pub async fn events_for(&self, asset_id: &str, event_type: &str) -> anyhow::Result<Vec<Value>> {
        Ok(self
            .events()
            .await?
            .into_iter()
            .filter(|e| e["assetId"] == asset_id && e["eventType"] == event_type)
            .collect())
    }

    pub async fn wait_for_event(&self, asset_id: &str, event_type: &str) -> anyhow::Result<Value> {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if let Some(e) = self
                .events_for(asset_id, event_type)
                .await?
                .into_iter()
                .next()
            {
                return Ok(e);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        bail!(
            "no {event_type} event for {asset_id}; got {:?}",
            self.events().await?
        )
    }

    /// Waits until no execution is RUNNING; returns every execution's status.
    pub async fn wait_executions_settled(&self) -> anyhow::Result<Vec<(String, String)>> {
        let arn = self.local.endpoints().state_machine_arn.clone();
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let out = self
                .sfn
                .list_executions()
                .state_machine_arn(&arn)
                .send()
                .await?;
            let all: Vec<(String, String)> = out
                .executions()
                .iter()
                .map(|e| (e.name().to_owned(), e.status().as_str().to_owned()))
                .collect();
            if all.iter().all(|(_, s)| s != "RUNNING") || Instant::now() > deadline {
                return Ok(all);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub async fn shutdown(self) -> Leftovers {
        self.local.shutdown().await;
        Leftovers {
            moto: self.moto,
            state_dir: self.state_dir,
            events_queue_url: Some(self.events_queue_url),
        }
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

static CLIPS: Mutex<()> = Mutex::new(());

/// A clip made with ffmpeg (moving `testsrc2` + a tone), cached by its parameters.
pub fn clip(width: u32, height: u32, seconds: u32) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join("vod-e2e-clips");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("clip-{width}x{height}-{seconds}s.mp4"));
    let _guard = CLIPS.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    if path.exists() {
        return Ok(path);
    }
    let tmp = dir.join(format!(
        "tmp-{}-{width}x{height}-{seconds}.mp4",
        std::process::id()
    ));
    let status = Command::new(vod_testkit::media::ffmpeg())
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("testsrc2=size={width}x{height}:rate=25"))
        .args([
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
        ])
        .arg(seconds.to_string())
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "50",
            "-pix_fmt",
            "yuv420p",
        ])
        .args([
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-movflags",
            "+faststart",
            "-shortest",
        ])
        .arg(&tmp)
        .status()
        .context("running ffmpeg")?;
    if !status.success() {
        bail!("ffmpeg failed making a test clip: {status}");
    }
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// `clip` with every byte of its `mdat` payload replaced by deterministic garbage: headers (and
/// so the probe) are intact, the frames cannot be decoded.
pub fn corrupt_mdat(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut data = std::fs::read(path)?;
    let at = data
        .windows(4)
        .position(|w| w == b"mdat")
        .context("no mdat box")?;
    let size_bytes: [u8; 4] = data[at - 4..at].try_into()?;
    let size = u32::from_be_bytes(size_bytes) as usize;
    let end = (at - 4 + size).min(data.len());
    let mut x: u32 = 0x9E37_79B9;
    for b in &mut data[at + 4..end] {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = (x >> 24) as u8;
    }
    Ok(data)
}

/// A small real PDF.
pub fn pdf_bytes() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        .repeat(20)
}

/// `GET url` over HTTP/1.0 (so the body is not chunked): status and body.
pub async fn http_get(url: &str) -> anyhow::Result<(u16, Vec<u8>)> {
    let rest = url.strip_prefix("http://").context("only http:// URLs")?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
        .await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw)).await??;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no header end")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status")?;
    Ok((status, raw[split + 4..].to_vec()))
}

/// Resolves a playlist entry against the playlist's URL.
pub fn resolve(base: &str, reference: &str) -> String {
    if reference.starts_with("http://") || reference.starts_with("https://") {
        return reference.to_owned();
    }
    if let Some(abs) = reference.strip_prefix('/') {
        let origin_end = base["http://".len()..]
            .find('/')
            .map_or(base.len(), |i| i + "http://".len());
        return format!("{}/{abs}", &base[..origin_end]);
    }
    let dir = &base[..base.rfind('/').map_or(base.len(), |i| i + 1)];
    format!("{dir}{reference}")
}

/// Every URI an HLS playlist references (lines that are not tags, and `URI="..."` attributes).
pub fn playlist_uris(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            if let Some(i) = line.find("URI=\"") {
                let rest = &line[i + 5..];
                if let Some(end) = rest.find('"') {
                    out.push(rest[..end].to_owned());
                }
            }
        } else {
            out.push(line.to_owned());
        }
    }
    out
}
