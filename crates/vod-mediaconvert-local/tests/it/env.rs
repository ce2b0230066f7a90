//! The harness: moto for S3/EventBridge/SQS, the twin served on a local port, the real SDK
//! clients, job events read back through the pipeline's EventBridge rule → SQS, and the media
//! the tests transcode.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use vod_mediaconvert_local::{MediaConvertTwin, TwinConfig};
use vod_testkit::MotoServer;
use vod_testkit::repo_root;

pub const PIPELINE: &str = "it-pipeline";
pub const SRC: &str = "src-bucket";
pub const OUT: &str = "out-bucket";

/// Transcoding tests share two cores: run them one at a time.
pub static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `ffmpeg -hide_banner -loglevel error -y <args> <out>`, writing through a temp name so
/// an interrupted run never leaves a half-made file behind.
pub fn make_media(args: &[&str], out: &Path) {
    let tmp = out.with_extension(format!(
        "part.{}",
        out.extension().and_then(|e| e.to_str()).unwrap_or("mp4")
    ));
    let status = Command::new(vod_testkit::media::ffmpeg())
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(&tmp)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?} failed");
    std::fs::rename(&tmp, out).expect("rename");
}

/// The 10 s 1080p test clip (testsrc2 + 440 Hz sine), made once and kept in the target's
/// test tmp dir.
pub fn test_clip() -> PathBuf {
    static CLIP: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CLIP.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vod-mediaconvert-local");
        std::fs::create_dir_all(&dir).expect("tmp dir");
        let path = dir.join("clip 1080p+test%.mp4");
        if !path.exists() {
            make_media(
                &[
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc2=size=1920x1080:rate=30",
                    "-f",
                    "lavfi",
                    "-i",
                    "sine=frequency=440",
                    "-t",
                    "10",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-crf",
                    "28",
                    "-pix_fmt",
                    "yuv420p",
                    "-c:a",
                    "aac",
                    "-shortest",
                ],
                &path,
            );
        }
        path
    })
    .clone()
}

/// Validates an MPD against the DASH schema (the project's own validator).
pub fn assert_valid_mpd(mpd: &[u8]) {
    vod_testkit::tools::assert_valid_mpd(mpd, "twin manifest");
}

/// moto (S3, EventBridge, SQS), the twin on a local port, and the SDK clients of a test.
pub struct Env {
    _moto: MotoServer,
    pub state: tempfile::TempDir,
    pub s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    pub mc: aws_sdk_mediaconvert::Client,
    twin: MediaConvertTwin,
    server: tokio::task::JoinHandle<()>,
}

fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
            aws_sdk_s3::config::Credentials::new("test", "test", None, None, "it"),
        ))
        .endpoint_url(endpoint)
        .build()
}

impl Env {
    pub async fn start() -> Self {
        let moto = MotoServer::start().expect("moto starts");
        let state = tempfile::tempdir().expect("state dir");
        Self::start_with(moto, state).await
    }

    pub async fn start_with(moto: MotoServer, state: tempfile::TempDir) -> Self {
        let sdk = sdk_config(&moto.endpoint());
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let eb = aws_sdk_eventbridge::Client::new(&sdk);
        for bucket in [SRC, OUT] {
            let _ = s3.create_bucket().bucket(bucket).send().await;
        }
        let queue_url = sqs
            .create_queue()
            .queue_name("mc-events")
            .send()
            .await
            .expect("queue")
            .queue_url
            .expect("queue url");
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes");
        let queue_arn = attrs
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .expect("queue arn")
            .clone();
        let pattern = std::fs::read_to_string(
            repo_root().join("statemachine/events/mediaconvert-job-state-change.json"),
        )
        .expect("event pattern file")
        .replace("${PipelineName}", PIPELINE);
        eb.put_rule()
            .name("mc-job-state")
            .event_pattern(pattern)
            .send()
            .await
            .expect("rule");
        eb.put_targets()
            .rule("mc-job-state")
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("sqs")
                    .arn(queue_arn)
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("targets");

        let config = TwinConfig {
            state_dir: state.path().to_path_buf(),
            sdk_config: Some(sdk.clone()),
            status_update_interval: Duration::from_secs(1),
            ..TwinConfig::default()
        };
        let (router, twin) = MediaConvertTwin::new(config).await.expect("twin starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let mc = aws_sdk_mediaconvert::Client::from_conf(
            aws_sdk_mediaconvert::config::Builder::from(&sdk)
                .endpoint_url(format!("http://{addr}"))
                .build(),
        );
        Self {
            _moto: moto,
            state,
            s3,
            sqs,
            queue_url,
            mc,
            twin,
            server,
        }
    }

    pub async fn stop(self) -> (MotoServer, tempfile::TempDir) {
        self.twin.shutdown().await;
        self.server.abort();
        (self._moto, self.state)
    }

    pub async fn put_source(&self, key: &str, body: Vec<u8>) {
        self.s3
            .put_object()
            .bucket(SRC)
            .key(key)
            .body(body.into())
            .send()
            .await
            .expect("put source");
    }

    /// Collects job events from SQS until `job_id` reaches `status` (or times out).
    pub async fn wait_for_event(&self, job_id: &str, status: &str, seen: &mut Vec<Value>) -> Value {
        self.wait_until(seen, |e| {
            e["detail"]["jobId"] == job_id && e["detail"]["status"] == status
        })
        .await
    }

    /// Collects job events from SQS until one matches `want` (or times out).
    pub async fn wait_until(&self, seen: &mut Vec<Value>, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            if let Some(e) = seen.iter().find(|e| want(e)) {
                return e.clone();
            }
            assert!(
                Instant::now() < deadline,
                "the awaited event never came; saw {seen:#?}"
            );
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("receive");
            for m in out.messages() {
                let body: Value =
                    serde_json::from_str(m.body().unwrap_or("{}")).expect("event json");
                seen.push(body);
                if let Some(h) = m.receipt_handle() {
                    let _ = self
                        .sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(h)
                        .send()
                        .await;
                }
            }
        }
    }

    /// HEADs an `s3://` URI; panics naming it when the object is missing.
    pub async fn head(&self, uri: &str) {
        let (bucket, key) = split_s3(uri);
        self.s3
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{uri} missing: {e:?}"));
    }

    pub async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        self.s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("s3://{bucket}/{key}: {e:?}"))
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec()
    }
}

fn split_s3(uri: &str) -> (String, String) {
    let rest = uri.strip_prefix("s3://").expect("s3 uri");
    let (b, k) = rest.split_once('/').expect("bucket/key");
    (b.to_owned(), k.to_owned())
}

/// The `#EXT-X-STREAM-INF` line of the variant `uri` in an HLS master; panics when absent.
pub fn stream_inf<'m>(master: &'m str, uri: &str) -> &'m str {
    master
        .lines()
        .zip(master.lines().skip(1))
        .find(|(_, u)| *u == uri)
        .map(|(inf, _)| inf)
        .unwrap_or_else(|| panic!("{uri} missing from master:\n{master}"))
}

/// The first video stream's size, as the project's ffmpeg reads the file.
pub fn video_size(path: &Path) -> Option<(u32, u32)> {
    let video = vod_mediaconvert_local::parse_probe(&vod_testkit::media::describe(path)).video?;
    Some((video.width, video.height))
}

/// Checks a stored CreateJob body against botocore's model.
pub fn validate_wire(request: &Path) {
    if let Err(report) = vod_testkit::tools::check_create_job(request, true) {
        panic!("request body invalid: {report}");
    }
}
