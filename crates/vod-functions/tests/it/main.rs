//! The handlers end to end over recording fakes and recorded event fixtures.

// A test that unwraps fails loudly with the error, which is what a test should do.
#![allow(clippy::unwrap_used)]

mod flow;
mod long_sources;
mod queue_keeper;
mod reconciler;
mod reliability;
mod replaced;
mod storyboard;
mod too_large;

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use vod_core::job::CallbackTimeouts;
use vod_core::ladder::LadderPolicy;
use vod_functions::completion_handler::{CompletionDeps, CompletionSettings};
use vod_functions::ingest_probe::IngestProbeDeps;
use vod_functions::job_submit::{JobSubmitDeps, JobSubmitSettings};
use vod_functions::notifier::NotifierDeps;
use vod_testkit::{
    ListedJobQueue, MemoryAssetStore, MemoryMediaReader, MemoryOutputWriter, RecordingNotifier,
    RecordingTaskCallback, RecordingTranscoder, SteppingClock,
};

pub const SOURCE_BUCKET: &str = "vod-source";
pub const OUTPUT_BUCKET: &str = "vod-output";
pub const CDN: &str = "https://cdn.example";

/// Every fake, shared by the four handlers as in one deployed pipeline.
pub struct Pipeline {
    pub store: Arc<MemoryAssetStore>,
    pub reader: Arc<MemoryMediaReader>,
    pub transcoder: Arc<RecordingTranscoder>,
    pub notifier: Arc<RecordingNotifier>,
    pub callback: Arc<RecordingTaskCallback>,
    pub writer: Arc<MemoryOutputWriter>,
    pub queue: Arc<ListedJobQueue>,
    pub probe: IngestProbeDeps,
    pub submit: JobSubmitDeps,
    pub completion: CompletionDeps,
    pub notify: NotifierDeps,
}

impl Default for Pipeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Pipeline {
    pub fn new() -> Self {
        let store = Arc::new(MemoryAssetStore::new());
        let reader = Arc::new(MemoryMediaReader::new());
        let transcoder = Arc::new(RecordingTranscoder::default());
        let notifier = Arc::new(RecordingNotifier::default());
        let callback = Arc::new(RecordingTaskCallback::default());
        let writer = Arc::new(MemoryOutputWriter::default());
        let queue = Arc::new(ListedJobQueue::default());
        let clock = Arc::new(SteppingClock::default());
        Self {
            probe: IngestProbeDeps {
                store: store.clone(),
                reader: reader.clone(),
                probe: Arc::new(vod_probe::RangeProbe::new()),
                clock: clock.clone(),
                heartbeat_seconds: CallbackTimeouts::HEARTBEAT_SECONDS,
            },
            submit: JobSubmitDeps {
                store: store.clone(),
                transcoder: transcoder.clone(),
                clock: clock.clone(),
                settings: JobSubmitSettings {
                    output_bucket: OUTPUT_BUCKET.into(),
                    output_prefix: "assets/".into(),
                    pipeline_name: "vod".into(),
                    ladder_policy: LadderPolicy::default(),
                },
            },
            completion: CompletionDeps {
                store: store.clone(),
                callback: callback.clone(),
                writer: writer.clone(),
                manifests: reader.clone(),
                clock: clock.clone(),
                transcoder: transcoder.clone(),
                queue: queue.clone(),
                settings: CompletionSettings {
                    output_bucket: OUTPUT_BUCKET.into(),
                    output_prefix: "assets/".into(),
                    cdn_base_url: CDN.into(),
                },
            },
            notify: NotifierDeps {
                store: store.clone(),
                reader: reader.clone(),
                notifier: notifier.clone(),
                transcoder: transcoder.clone(),
                clock,
            },
            store,
            reader,
            transcoder,
            notifier,
            callback,
            writer,
            queue,
        }
    }
}

pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A MediaConvert event fixture for `asset_id`.
pub fn job_event(name: &str, asset_id: &str, job_id: &str) -> Value {
    let text = fixture(name).to_string().replace("__ASSET_ID__", asset_id);
    let mut event: Value = serde_json::from_str(&text).unwrap_or_default();
    event["detail"]["jobId"] = job_id.into();
    event
}

/// The S3 fixture with another key (as the event would carry it) and etag.
pub fn s3_event(raw_key: &str, etag: &str) -> Value {
    let mut event = fixture("s3-object-created.json");
    event["detail"]["object"]["key"] = raw_key.into();
    event["detail"]["object"]["etag"] = etag.into();
    event["detail"]["object"]["version-id"] = Value::Null;
    event
}

/// What the state machine hands ingest-probe.
pub fn probe_input(event: Value, execution: &str) -> Value {
    serde_json::json!({ "event": event, "executionId": execution })
}

/// A 2 s 320x240 H.264/AAC MP4 made by ffmpeg (moov at the end), cached per test run.
pub fn small_mp4() -> Vec<u8> {
    static MADE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MADE.lock().unwrap_or_else(|e| e.into_inner());
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vod-functions-small.mp4");
    if !path.exists() {
        let tmp = path.with_extension(format!("{}.mp4", std::process::id()));
        let status = Command::new(vod_testkit::media::ffmpeg())
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args([
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=320x240:rate=25",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440",
            ])
            .args([
                "-t",
                "2",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-c:a",
                "aac",
                "-shortest",
            ])
            .arg(&tmp)
            .status()
            .unwrap_or_else(|e| {
                panic!("ffmpeg is needed for these tests (make test installs it): {e}")
            });
        assert!(status.success(), "ffmpeg failed to make the test clip");
        std::fs::rename(&tmp, &path).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"))
}
