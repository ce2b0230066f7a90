//! End-to-end tests of the MediaConvert twin: the real `aws-sdk-mediaconvert` client against
//! the twin's router, moto for S3/EventBridge/SQS, ffmpeg for the transcodes. Job events are
//! read back through an EventBridge rule (the pipeline's own pattern) → SQS target.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_mediaconvert::types as mc;
use serde_json::Value;
use vod_mediaconvert_local::{MediaConvertTwin, TwinConfig};
use vod_testkit::MotoServer;

mod plan;

const PIPELINE: &str = "it-pipeline";
const SRC: &str = "src-bucket";
const OUT: &str = "out-bucket";

/// Transcoding tests share two cores: run them one at a time.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

use vod_testkit::moto::repo_root;

/// Runs `ffmpeg -hide_banner -loglevel error -y <args> <out>`, writing through a temp name so
/// an interrupted run never leaves a half-made file behind.
fn make_media(args: &[&str], out: &Path) {
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
fn test_clip() -> PathBuf {
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
fn assert_valid_mpd(mpd: &[u8]) {
    vod_testkit::tools::assert_valid_mpd(mpd, "twin manifest");
}

struct Env {
    _moto: MotoServer,
    state: tempfile::TempDir,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    mc: aws_sdk_mediaconvert::Client,
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
    async fn start() -> Self {
        let moto = MotoServer::start().expect("moto starts");
        let state = tempfile::tempdir().expect("state dir");
        Self::start_with(moto, state).await
    }

    async fn start_with(moto: MotoServer, state: tempfile::TempDir) -> Self {
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

    async fn stop(self) -> (MotoServer, tempfile::TempDir) {
        self.twin.shutdown().await;
        self.server.abort();
        (self._moto, self.state)
    }

    async fn put_source(&self, key: &str, body: Vec<u8>) {
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
    async fn wait_for_event(&self, job_id: &str, status: &str, seen: &mut Vec<Value>) -> Value {
        self.wait_until(seen, |e| {
            e["detail"]["jobId"] == job_id && e["detail"]["status"] == status
        })
        .await
    }

    /// Collects job events from SQS until one matches `want` (or times out).
    async fn wait_until(&self, seen: &mut Vec<Value>, want: impl Fn(&Value) -> bool) -> Value {
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

    async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
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

// ---- job fixtures, as the job builder emits them ----------------------------------------

fn video_rung(modifier: &str, width: i32, height: i32, max_bitrate: i32) -> mc::Output {
    mc::Output::builder()
        .name_modifier(modifier)
        .container_settings(
            mc::ContainerSettings::builder()
                .container(mc::ContainerType::Cmfc)
                .build(),
        )
        .video_description(
            mc::VideoDescription::builder()
                .width(width)
                .height(height)
                .scaling_behavior(mc::ScalingBehavior::Default)
                .codec_settings(
                    mc::VideoCodecSettings::builder()
                        .codec(mc::VideoCodec::H264)
                        .h264_settings(
                            mc::H264Settings::builder()
                                .rate_control_mode(mc::H264RateControlMode::Qvbr)
                                .qvbr_settings(
                                    mc::H264QvbrSettings::builder()
                                        .qvbr_quality_level(7)
                                        .build(),
                                )
                                .max_bitrate(max_bitrate)
                                .gop_size(2.0)
                                .gop_size_units(mc::H264GopSizeUnits::Seconds)
                                .gop_closed_cadence(1)
                                .scene_change_detect(mc::H264SceneChangeDetect::TransitionDetection)
                                .codec_profile(mc::H264CodecProfile::High)
                                .codec_level(mc::H264CodecLevel::Auto)
                                .number_b_frames_between_reference_frames(2)
                                .framerate_control(mc::H264FramerateControl::InitializeFromSource)
                                .quality_tuning_level(mc::H264QualityTuningLevel::SinglePassHq)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build()
}

fn audio_output(modifier: &str) -> mc::Output {
    mc::Output::builder()
        .name_modifier(modifier)
        .container_settings(
            mc::ContainerSettings::builder()
                .container(mc::ContainerType::Cmfc)
                .build(),
        )
        .audio_descriptions(
            mc::AudioDescription::builder()
                .audio_source_name("Audio Selector 1")
                .codec_settings(
                    mc::AudioCodecSettings::builder()
                        .codec(mc::AudioCodec::Aac)
                        .aac_settings(
                            mc::AacSettings::builder()
                                .bitrate(128_000)
                                .coding_mode(mc::AacCodingMode::CodingMode20)
                                .sample_rate(48_000)
                                .codec_profile(mc::AacCodecProfile::Lc)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build()
}

fn frame_capture_group(
    name: &str,
    destination: &str,
    width: i32,
    height: i32,
    den: i32,
    max: i32,
) -> mc::OutputGroup {
    mc::OutputGroup::builder()
        .name(name)
        .output_group_settings(
            mc::OutputGroupSettings::builder()
                .r#type(mc::OutputGroupType::FileGroupSettings)
                .file_group_settings(
                    mc::FileGroupSettings::builder()
                        .destination(destination)
                        .build(),
                )
                .build(),
        )
        .outputs(
            mc::Output::builder()
                .extension("jpg")
                .container_settings(
                    mc::ContainerSettings::builder()
                        .container(mc::ContainerType::Raw)
                        .build(),
                )
                .video_description(
                    mc::VideoDescription::builder()
                        .width(width)
                        .height(height)
                        .codec_settings(
                            mc::VideoCodecSettings::builder()
                                .codec(mc::VideoCodec::FrameCapture)
                                .frame_capture_settings(
                                    mc::FrameCaptureSettings::builder()
                                        .framerate_numerator(1)
                                        .framerate_denominator(den)
                                        .max_captures(max)
                                        .quality(80)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build()
}

fn cmaf_group(destination: &str, outputs: Vec<mc::Output>) -> mc::OutputGroup {
    mc::OutputGroup::builder()
        .name("CMAF")
        .output_group_settings(
            mc::OutputGroupSettings::builder()
                .r#type(mc::OutputGroupType::CmafGroupSettings)
                .cmaf_group_settings(
                    mc::CmafGroupSettings::builder()
                        .destination(destination)
                        .segment_length(6)
                        .fragment_length(2)
                        .segment_control(mc::CmafSegmentControl::SegmentedFiles)
                        .write_hls_manifest(mc::CmafWriteHlsManifest::Enabled)
                        .write_dash_manifest(mc::CmafWriteDashManifest::Enabled)
                        .codec_specification(mc::CmafCodecSpecification::Rfc6381)
                        .stream_inf_resolution(mc::CmafStreamInfResolution::Include)
                        .manifest_duration_format(mc::CmafManifestDurationFormat::FloatingPoint)
                        .mpd_profile(mc::CmafMpdProfile::MainProfile)
                        .image_based_trick_play(mc::CmafImageBasedTrickPlay::None)
                        .build(),
                )
                .build(),
        )
        .set_outputs(Some(outputs))
        .build()
}

fn settings(input_key: &str, groups: Vec<mc::OutputGroup>) -> mc::JobSettings {
    mc::JobSettings::builder()
        .timecode_config(
            mc::TimecodeConfig::builder()
                .source(mc::TimecodeSource::Zerobased)
                .build(),
        )
        .inputs(
            mc::Input::builder()
                .file_input(format!("s3://{SRC}/{input_key}"))
                .timecode_source(mc::InputTimecodeSource::Zerobased)
                .audio_selectors(
                    "Audio Selector 1",
                    mc::AudioSelector::builder()
                        .default_selection(mc::AudioDefaultSelection::Default)
                        .build(),
                )
                .video_selector(
                    mc::VideoSelector::builder()
                        .rotate(mc::InputRotate::Auto)
                        .build(),
                )
                .build(),
        )
        .set_output_groups(Some(groups))
        .build()
}

async fn submit(env: &Env, settings: mc::JobSettings, asset: &str) -> String {
    env.mc
        .create_job()
        .role("arn:aws:iam::000000000000:role/MediaConvertRole")
        .status_update_interval(mc::StatusUpdateInterval::Seconds10)
        .acceleration_settings(
            mc::AccelerationSettings::builder()
                .mode(mc::AccelerationMode::Disabled)
                .build(),
        )
        .user_metadata("vodAssetId", asset)
        .user_metadata("vodPipeline", PIPELINE)
        .settings(settings)
        .send()
        .await
        .expect("CreateJob accepted")
        .job()
        .and_then(|j| j.id())
        .expect("job id")
        .to_owned()
}

/// A small, fast job: one 320x180 rung + audio.
fn small_job(input_key: &str, asset: &str) -> mc::JobSettings {
    settings(
        input_key,
        vec![cmaf_group(
            &format!("s3://{OUT}/assets/{asset}/stream"),
            vec![
                video_rung("_180p", 320, 180, 400_000),
                audio_output("_audio"),
            ],
        )],
    )
}

/// The first video stream's size, as the project's ffmpeg reads the file.
fn video_size(path: &Path) -> Option<(u32, u32)> {
    let video = vod_mediaconvert_local::parse_probe(&vod_testkit::media::describe(path)).video?;
    Some((video.width, video.height))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ladder_job_writes_hls_dash_and_frame_captures_and_reports_complete() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    let clip = test_clip();
    let key = "uploads/my clip+1%.mp4";
    env.put_source(key, std::fs::read(&clip).expect("clip"))
        .await;
    let asset = "0123456789abcdef0123456789abcdef";
    let job = settings(
        key,
        vec![
            cmaf_group(
                &format!("s3://{OUT}/assets/{asset}/stream"),
                vec![
                    video_rung("_1080p", 1920, 1080, 6_000_000),
                    video_rung("_720p", 1280, 720, 3_000_000),
                    video_rung("_360p", 640, 360, 800_000),
                    audio_output("_audio"),
                ],
            ),
            frame_capture_group(
                "Thumbnails",
                &format!("s3://{OUT}/assets/{asset}/thumbs/thumb"),
                320,
                180,
                4,
                3,
            ),
            frame_capture_group(
                "Poster",
                &format!("s3://{OUT}/assets/{asset}/poster/poster"),
                1280,
                720,
                5,
                2,
            ),
        ],
    );
    let started = Instant::now();
    let id = submit(&env, job, asset).await;
    let mut seen = Vec::new();
    let progressing = env.wait_for_event(&id, "PROGRESSING", &mut seen).await;
    assert_eq!(progressing["source"], "aws.mediaconvert");
    assert_eq!(progressing["detail-type"], "MediaConvert Job State Change");
    let complete = env.wait_for_event(&id, "COMPLETE", &mut seen).await;
    eprintln!("job {id} complete in {:?}", started.elapsed());
    let detail = &complete["detail"];
    assert_eq!(detail["userMetadata"]["vodAssetId"], asset);
    assert_eq!(detail["jobId"], id.as_str());
    assert_eq!(detail["accountId"], "000000000000");
    assert_eq!(
        complete["resources"][0],
        format!("arn:aws:mediaconvert:us-east-1:000000000000:jobs/{id}")
    );
    assert!(
        detail["queue"]
            .as_str()
            .is_some_and(|q| q.ends_with(":queues/Default"))
    );

    // Every path the event names exists.
    let groups = detail["outputGroupDetails"]
        .as_array()
        .expect("outputGroupDetails");
    assert_eq!(groups.len(), 3);
    let mut paths: Vec<String> = Vec::new();
    for g in groups {
        for p in g["playlistFilePaths"].as_array().into_iter().flatten() {
            paths.push(p.as_str().expect("path").to_owned());
        }
        for o in g["outputDetails"].as_array().expect("outputDetails") {
            assert_eq!(o["durationInMs"], 10_000, "{o}");
            for p in o["outputFilePaths"].as_array().into_iter().flatten() {
                paths.push(p.as_str().expect("path").to_owned());
            }
        }
    }
    let cmaf = &groups[0];
    assert_eq!(cmaf["type"], "CMAF_GROUP");
    let playlists: Vec<&str> = cmaf["playlistFilePaths"]
        .as_array()
        .expect("playlists")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let prefix = format!("s3://{OUT}/assets/{asset}/stream");
    assert_eq!(
        playlists,
        vec![format!("{prefix}.mpd"), format!("{prefix}.m3u8")]
    );
    let sizes: Vec<(i64, i64)> = cmaf["outputDetails"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|o| {
            Some((
                o["videoDetails"]["widthInPx"].as_i64()?,
                o["videoDetails"]["heightInPx"].as_i64()?,
            ))
        })
        .collect();
    assert_eq!(sizes, vec![(1920, 1080), (1280, 720), (640, 360)]);
    assert_eq!(groups[1]["type"], "FILE_GROUP");
    assert_eq!(
        groups[1]["outputDetails"][0]["outputFilePaths"][0],
        format!("s3://{OUT}/assets/{asset}/thumbs/thumb.0000002.jpg")
    );
    assert_eq!(
        groups[2]["outputDetails"][0]["outputFilePaths"][0],
        format!("s3://{OUT}/assets/{asset}/poster/poster.0000001.jpg")
    );
    for p in &paths {
        let (b, k) = split_s3(p);
        env.s3
            .head_object()
            .bucket(&b)
            .key(&k)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{p} missing: {e:?}"));
    }
    for n in 0..3 {
        env.get(OUT, &format!("assets/{asset}/thumbs/thumb.000000{n}.jpg"))
            .await;
    }

    // The master lists every rung with CODECS and RESOLUTION.
    let master = String::from_utf8(env.get(OUT, &format!("assets/{asset}/stream.m3u8")).await)
        .expect("utf8");
    for (m, res) in [
        ("_1080p", "1920x1080"),
        ("_720p", "1280x720"),
        ("_360p", "640x360"),
    ] {
        let line = master
            .lines()
            .zip(master.lines().skip(1))
            .find(|(_, uri)| *uri == format!("stream{m}.m3u8"))
            .map(|(inf, _)| inf)
            .unwrap_or_else(|| panic!("{m} missing from master:\n{master}"));
        assert!(line.starts_with("#EXT-X-STREAM-INF:"), "{line}");
        assert!(line.contains(&format!("RESOLUTION={res}")), "{line}");
        assert!(line.contains("CODECS=\"avc1.64"), "{line}");
        assert!(line.contains(",mp4a.40.2\""), "{line}");
        assert!(line.contains("AVERAGE-BANDWIDTH="), "{line}");
    }
    assert!(master.contains("#EXT-X-MEDIA:TYPE=AUDIO"), "{master}");

    // Each rung's init segment decodes at the promised size.
    let work = tempfile::tempdir().expect("tmp");
    for (m, size) in [
        ("_1080p", (1920, 1080)),
        ("_720p", (1280, 720)),
        ("_360p", (640, 360)),
    ] {
        let media = String::from_utf8(
            env.get(OUT, &format!("assets/{asset}/stream{m}.m3u8"))
                .await,
        )
        .expect("utf8");
        assert!(media.contains("#EXT-X-ENDLIST"), "{media}");
        let init = env
            .get(OUT, &format!("assets/{asset}/stream{m}_init.cmfv"))
            .await;
        let first = env
            .get(OUT, &format!("assets/{asset}/stream{m}_00001.cmfv"))
            .await;
        let file = work.path().join(format!("{m}.mp4"));
        std::fs::write(&file, [init, first].concat()).expect("write");
        assert_eq!(video_size(&file), Some(size), "{m}");
    }

    // The MPD is schema-valid.
    let mpd = env.get(OUT, &format!("assets/{asset}/stream.mpd")).await;
    let mpd_text = String::from_utf8_lossy(&mpd);
    assert!(
        mpd_text.contains("media=\"stream_720p_$Number%05d$.cmfv\""),
        "{mpd_text}"
    );
    assert_valid_mpd(&mpd);

    // GetJob agrees; the request body is kept and valid for botocore's model.
    let got = env.mc.get_job().id(&id).send().await.expect("GetJob");
    let job = got.job().expect("job");
    assert_eq!(job.status(), Some(&mc::JobStatus::Complete));
    assert_eq!(job.output_group_details().len(), 3);
    let listed = env
        .mc
        .list_jobs()
        .status(mc::JobStatus::Complete)
        .send()
        .await
        .expect("ListJobs");
    assert!(listed.jobs().iter().any(|j| j.id() == Some(id.as_str())));
    let request = env
        .state
        .path()
        .join(format!("mediaconvert/requests/{id}.json"));
    assert!(request.exists());
    validate_wire(&request);
    env.stop().await;
}

fn validate_wire(request: &Path) {
    if let Err(report) = vod_testkit::tools::check_create_job(request, true) {
        panic!("request body invalid: {report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_settings_are_rejected_naming_the_setting() {
    let env = Env::start().await;
    let mut hevc = video_rung("_hevc", 640, 360, 800_000);
    if let Some(vd) = hevc.video_description.as_mut()
        && let Some(cs) = vd.codec_settings.as_mut()
    {
        cs.codec = Some(mc::VideoCodec::H265);
    }
    let job = settings(
        "in.mp4",
        vec![cmaf_group(
            &format!("s3://{OUT}/x/stream"),
            vec![
                video_rung("_360p", 640, 360, 800_000),
                hevc,
                audio_output("_audio"),
            ],
        )],
    );
    let err = env
        .mc
        .create_job()
        .role("arn:aws:iam::000000000000:role/R")
        .settings(job)
        .send()
        .await
        .expect_err("H_265 is rejected");
    let service = err.into_service_error();
    assert!(service.is_bad_request_exception(), "{service:?}");
    let message = service.meta().message().unwrap_or_default().to_owned();
    assert!(
        message.contains("/outputGroups/0/outputs/1/videoDescription/codecSettings/codec"),
        "{message}"
    );

    // A non-S3 input.
    let mut job = small_job("in.mp4", "a");
    if let Some(input) = job.inputs.as_mut().and_then(|i| i.first_mut()) {
        input.file_input = Some("https://example.com/in.mp4".to_owned());
    }
    let err = env
        .mc
        .create_job()
        .role("arn:aws:iam::000000000000:role/R")
        .settings(job)
        .send()
        .await
        .expect_err("https input is rejected");
    let message = err
        .into_service_error()
        .meta()
        .message()
        .unwrap_or_default()
        .to_owned();
    assert!(message.starts_with("/inputs/0/fileInput:"), "{message}");

    // No role.
    let err = env
        .mc
        .create_job()
        .settings(small_job("in.mp4", "a"))
        .send()
        .await
        .expect_err("a job without a role is rejected");
    let service = err.into_service_error();
    assert!(service.is_bad_request_exception(), "{service:?}");
    assert!(
        service
            .meta()
            .message()
            .unwrap_or_default()
            .starts_with("/role"),
        "{service:?}"
    );

    // DescribeEndpoints answers with the twin's own address (deprecated in the SDK, but older
    // clients and tools still call it first).
    #[allow(deprecated)]
    let endpoints = env
        .mc
        .describe_endpoints()
        .send()
        .await
        .expect("DescribeEndpoints");
    assert!(
        endpoints
            .endpoints()
            .first()
            .and_then(|e| e.url())
            .is_some_and(|u| u.starts_with("http://127.0.0.1:"))
    );

    // Unknown job.
    let err = env
        .mc
        .get_job()
        .id("1700000000000-nosuch")
        .send()
        .await
        .expect_err("404");
    assert!(err.into_service_error().is_not_found_exception());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_and_cancel_emit_events_and_the_queue_keeps_serving() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    let clip = std::fs::read(test_clip()).expect("clip");
    env.put_source("good.mp4", clip).await;
    env.put_source(
        "corrupt.mp4",
        b"this is not a video file at all".repeat(100),
    )
    .await;
    let mut seen = Vec::new();

    let missing = submit(&env, small_job("no/such key.mp4", "missing"), "missing").await;
    let corrupt = submit(&env, small_job("corrupt.mp4", "corrupt"), "corrupt").await;
    // A 1080p ladder, canceled while ffmpeg runs.
    let ladder = settings(
        "good.mp4",
        vec![cmaf_group(
            &format!("s3://{OUT}/assets/running/stream"),
            vec![
                video_rung("_1080p", 1920, 1080, 6_000_000),
                video_rung("_720p", 1280, 720, 3_000_000),
                audio_output("_audio"),
            ],
        )],
    );
    let running = submit(&env, ladder, "running").await;
    let queued = submit(&env, small_job("good.mp4", "queued"), "queued").await;
    // Cancel the queued job before it starts (max 1 job at a time).
    env.mc
        .cancel_job()
        .id(&queued)
        .send()
        .await
        .expect("cancel queued");

    let e = env.wait_for_event(&missing, "ERROR", &mut seen).await;
    assert_eq!(e["detail"]["errorCode"], 1010);
    assert!(
        e["detail"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("s3://src-bucket/no/such key.mp4")),
        "{e}"
    );
    assert_eq!(e["detail"]["userMetadata"]["vodPipeline"], PIPELINE);
    let e = env.wait_for_event(&corrupt, "ERROR", &mut seen).await;
    assert_eq!(e["detail"]["errorCode"], 1010, "{e}");
    env.wait_for_event(&queued, "CANCELED", &mut seen).await;

    let transcoding = env
        .wait_until(&mut seen, |e| {
            e["detail"]["jobId"] == running.as_str()
                && e["detail"]["jobProgress"]["currentPhase"] == "TRANSCODING"
        })
        .await;
    assert_eq!(
        transcoding["detail"]["jobProgress"]["phaseProgress"]["PROBING"]["status"],
        "COMPLETE"
    );
    env.mc
        .cancel_job()
        .id(&running)
        .send()
        .await
        .expect("cancel running");
    env.wait_for_event(&running, "CANCELED", &mut seen).await;
    let got = env.mc.get_job().id(&running).send().await.expect("GetJob");
    assert_eq!(
        got.job().and_then(|j| j.status()),
        Some(&mc::JobStatus::Canceled)
    );
    // Canceling a finished job is refused.
    assert!(env.mc.cancel_job().id(&running).send().await.is_err());

    // The queue still serves the next job.
    let good = submit(&env, small_job("good.mp4", "good"), "good").await;
    let done = env.wait_for_event(&good, "COMPLETE", &mut seen).await;
    assert_eq!(
        done["detail"]["outputGroupDetails"][0]["type"],
        "CMAF_GROUP"
    );
    let updates = seen
        .iter()
        .filter(|e| {
            e["detail"]["jobId"] == good.as_str() && e["detail"]["status"] == "STATUS_UPDATE"
        })
        .count();
    eprintln!("{updates} STATUS_UPDATE events for {good}");
    if let Some(update) = seen
        .iter()
        .find(|e| e["detail"]["status"] == "STATUS_UPDATE")
    {
        let progress = &update["detail"]["jobProgress"];
        assert!(progress["jobPercentComplete"].is_number(), "{update}");
        assert!(progress["currentPhase"].is_string(), "{update}");
        assert!(
            progress["phaseProgress"]["TRANSCODING"]["status"].is_string(),
            "{update}"
        );
    }

    let listed = env
        .mc
        .list_jobs()
        .order(mc::Order::Ascending)
        .max_results(2)
        .send()
        .await
        .expect("ListJobs");
    assert_eq!(listed.jobs().len(), 2);
    assert_eq!(listed.jobs()[0].id(), Some(missing.as_str()));
    assert!(listed.next_token().is_some());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_reports_old_jobs_and_fails_jobs_that_were_in_flight() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    env.put_source("good.mp4", std::fs::read(test_clip()).expect("clip"))
        .await;
    let mut seen = Vec::new();
    let failed = submit(&env, small_job("missing.mp4", "f"), "f").await;
    env.wait_for_event(&failed, "ERROR", &mut seen).await;
    let inflight = submit(&env, small_job("good.mp4", "i"), "i").await;
    env.wait_for_event(&inflight, "PROGRESSING", &mut seen)
        .await;
    let (moto, state) = env.stop().await;

    let env = Env::start_with(moto, state).await;
    let old = env.mc.get_job().id(&failed).send().await.expect("old job");
    assert_eq!(old.job().and_then(|j| j.error_code()), Some(1010));
    let job = env
        .mc
        .get_job()
        .id(&inflight)
        .send()
        .await
        .expect("in-flight job");
    let job = job.job().expect("job");
    assert_eq!(job.status(), Some(&mc::JobStatus::Error));
    assert!(
        job.error_message()
            .unwrap_or_default()
            .contains("restarted"),
        "{job:?}"
    );
    env.wait_for_event(&inflight, "ERROR", &mut seen).await;
    env.stop().await;
}

/// A ladder whose even sizes miss the top rung's display aspect (854×480 under 1280×720, as a
/// 1080/720/480/360 policy gives) still completes, with every rung in one DASH adaptation set,
/// the odd one out showing the same 16:9 picture through its sample aspect ratio.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rungs_that_round_off_the_aspect_stay_in_one_adaptation_set() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    let clip = test_clip();
    env.put_source("sd/clip.mp4", std::fs::read(&clip).expect("clip"))
        .await;
    let job = settings(
        "sd/clip.mp4",
        vec![cmaf_group(
            &format!("s3://{OUT}/assets/sd/stream"),
            vec![
                video_rung("_720p", 1280, 720, 3_000_000),
                video_rung("_480p", 854, 480, 1_400_000),
                audio_output("_audio"),
            ],
        )],
    );
    let id = submit(&env, job, "sd").await;
    let mut seen = Vec::new();
    let done = env.wait_for_event(&id, "COMPLETE", &mut seen).await;
    let mpd = String::from_utf8(env.get(OUT, "assets/sd/stream.mpd").await).expect("utf8");
    let video_sets = mpd.matches("contentType=\"video\"").count();
    assert_eq!(video_sets, 1, "one video adaptation set: {mpd}\n{done:#}");
    assert!(mpd.contains("width=\"854\""), "{mpd}");
    assert!(mpd.contains("sar=\"1280:1281\""), "{mpd}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_only_source_gets_an_audio_only_cmaf_group() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let audio = dir.path().join("tone.m4a");
    make_media(
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=8",
            "-c:a",
            "aac",
        ],
        &audio,
    );
    env.put_source("podcast/tone.m4a", std::fs::read(&audio).expect("audio"))
        .await;
    let job = settings(
        "podcast/tone.m4a",
        vec![cmaf_group(
            &format!("s3://{OUT}/assets/tone/stream"),
            vec![audio_output("_audio")],
        )],
    );
    let id = submit(&env, job, "tone").await;
    let mut seen = Vec::new();
    let done = env.wait_for_event(&id, "COMPLETE", &mut seen).await;
    let group = &done["detail"]["outputGroupDetails"][0];
    assert_eq!(group["outputDetails"][0]["durationInMs"], 8_000, "{group}");
    assert!(
        group["outputDetails"][0].get("videoDetails").is_none(),
        "{group}"
    );
    let master = String::from_utf8(env.get(OUT, "assets/tone/stream.m3u8").await).expect("utf8");
    assert!(
        master.contains("CODECS=\"mp4a.40.2\"\nstream_audio.m3u8"),
        "{master}"
    );
    // Video outputs from an audio-only source: ERROR 1040, and the queue moves on.
    let video = submit(
        &env,
        small_job("podcast/tone.m4a", "tone-video"),
        "tone-video",
    )
    .await;
    let e = env.wait_for_event(&video, "ERROR", &mut seen).await;
    assert_eq!(e["detail"]["errorCode"], 1040, "{e}");
    assert!(
        e["detail"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("no video stream")),
        "{e}"
    );
    let mpd = env.get(OUT, "assets/tone/stream.mpd").await;
    assert_valid_mpd(&mpd);
    env.stop().await;
}

/// A clip shorter than the capture interval still gets its first frame (MediaConvert captures
/// at t = 0, then every interval): a 4 s clip with a 10 s poster interval and 1.5 s
/// thumbnails yields 1 poster and 3 thumbnails (0, 1.5, 3 s), and the job completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_of_a_clip_shorter_than_the_interval_start_at_the_first_frame() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let clip = dir.path().join("short.mp4");
    make_media(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
        ],
        &clip,
    );
    env.put_source("short/clip.mp4", std::fs::read(&clip).expect("clip"))
        .await;
    let mut job = small_job("short/clip.mp4", "short");
    job.output_groups.get_or_insert_with(Vec::new).extend([
        frame_capture_group(
            "Poster",
            &format!("s3://{OUT}/assets/short/poster/"),
            320,
            180,
            10,
            1,
        ),
        frame_capture_group(
            "Thumbs",
            &format!("s3://{OUT}/assets/short/thumbs/"),
            160,
            90,
            3,
            100,
        ),
    ]);
    // 1.5 s: framerate 2/3.
    if let Some(groups) = job.output_groups.as_mut() {
        let thumbs = groups
            .last_mut()
            .and_then(|g| g.outputs.as_mut())
            .and_then(|o| o.first_mut());
        let fc = thumbs
            .and_then(|o| o.video_description.as_mut())
            .and_then(|v| v.codec_settings.as_mut())
            .and_then(|c| c.frame_capture_settings.as_mut())
            .expect("frame capture settings");
        fc.framerate_numerator = Some(2);
    }
    let id = submit(&env, job, "short").await;
    let mut seen = Vec::new();
    let done = env.wait_for_event(&id, "COMPLETE", &mut seen).await;
    // As on MediaConvert, a frame-capture output reports only its last file; list them all.
    let listed = |prefix: &'static str| {
        let s3 = env.s3.clone();
        async move {
            let listed = s3
                .list_objects_v2()
                .bucket(OUT)
                .prefix(prefix)
                .send()
                .await
                .expect("list");
            let mut keys: Vec<String> = listed
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned))
                .collect();
            keys.sort();
            keys
        }
    };
    let poster = listed("assets/short/poster/").await;
    let thumbs = listed("assets/short/thumbs/").await;
    assert_eq!(poster.len(), 1, "{poster:?} {done:#}");
    assert!(poster[0].ends_with(".0000000.jpg"), "{poster:?}");
    assert_eq!(
        thumbs.len(),
        3,
        "one thumbnail at 0, 1.5 and 3 s: {thumbs:?}"
    );
    for key in poster.iter().chain(&thumbs) {
        let jpeg = env.get(OUT, key).await;
        assert!(jpeg.starts_with(&[0xFF, 0xD8]), "{key} is not a JPEG");
    }
    env.stop().await;
}

/// The job exactly as job-submit builds it (vod-aws's builder over vod-core's default ladder)
/// for the 10 s 1080p clip: the twin honours it and every promised output exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_our_builder_emits_completes_with_every_promised_output() {
    use vod_core::job::JobSpec;
    use vod_core::ladder::{LadderPolicy, plan_ladder};
    use vod_core::probe::{AudioTrack, ProbeReport, VideoTrack};

    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    let key = "uploads/built by job-submit+é.mp4";
    env.put_source(key, std::fs::read(test_clip()).expect("clip"))
        .await;
    let report = ProbeReport {
        duration_seconds: Some(10.0),
        video: Some(VideoTrack {
            codec: "h264".into(),
            width: 1920,
            height: 1080,
            frame_rate: Some(30.0),
            ..VideoTrack::default()
        }),
        audio: vec![AudioTrack {
            codec: "aac".into(),
            channels: 1,
            sample_rate: 44_100,
            ..AudioTrack::default()
        }],
        ..ProbeReport::default()
    };
    let plan = plan_ladder(&report, &LadderPolicy::default()).expect("ladder");
    let asset = vod_core::AssetId::derive(SRC, key, "etag");
    let spec = JobSpec::new(
        asset.clone(),
        format!("s3://{SRC}/{key}"),
        OUT,
        "assets/",
        plan.clone(),
        "vod",
    );
    let id = submit(
        &env,
        vod_aws::mediaconvert::job_settings(&spec),
        asset.as_str(),
    )
    .await;
    let mut seen = Vec::new();
    let complete = env.wait_for_event(&id, "COMPLETE", &mut seen).await;
    let groups = complete["detail"]["outputGroupDetails"]
        .as_array()
        .expect("groups")
        .clone();
    for g in &groups {
        let files = g["playlistFilePaths"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(
                g["outputDetails"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|o| o["outputFilePaths"].as_array().into_iter().flatten()),
            );
        for p in files {
            let (b, k) = split_s3(p.as_str().expect("path"));
            env.s3
                .head_object()
                .bucket(&b)
                .key(&k)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{p} missing: {e:?}"));
        }
    }
    let master = String::from_utf8(env.get(OUT, &format!("assets/{asset}/stream.m3u8")).await)
        .expect("utf8");
    for rung in &plan.rungs {
        let uri = format!("stream{}.m3u8", rung.name);
        let inf = master
            .lines()
            .zip(master.lines().skip(1))
            .find(|(_, u)| *u == uri)
            .map(|(inf, _)| inf)
            .unwrap_or_else(|| panic!("{uri} missing from master:\n{master}"));
        assert!(
            inf.contains(&format!("RESOLUTION={}x{}", rung.width, rung.height)),
            "{inf}"
        );
        assert!(inf.contains("CODECS="), "{inf}");
    }
    let mpd = env.get(OUT, &format!("assets/{asset}/stream.mpd")).await;
    assert_valid_mpd(&mpd);
}
