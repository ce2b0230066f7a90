//! The MediaConvert job: [`job_settings`] turns a [`JobSpec`] into SDK types; the
//! [`MediaConvertTranscoder`] submits it; [`plan_request_body`] shows the exact CreateJob body
//! the SDK would send (captured from its HTTP request, never hand-serialized).
//!
//! Output layout under the asset's prefix (`s3://<out>/<prefix><assetId>/`):
//! - `stream.m3u8`, `stream.mpd`, `stream_<rung>…` — one CMAF segment set for HLS and DASH
//!   (`stream_av1_<rung>…` beside the H.264 rungs when the policy asks for the AV1 tier),
//!   with image-based trick play: tile images of small thumbnails (names MediaConvert's own,
//!   described by the DASH manifest's thumbnail track; the storyboard's sprites);
//! - `thumbs/thumb.0000000.jpg`, … — thumbnails every N seconds (the storyboard's images);
//! - `poster/poster.0000001.jpg` — the poster (the last of two captures: past a black start);
//! - `download/download_<rung>.mp4` — optional progressive download.

use crate::sdk_error::port_error;
use async_trait::async_trait;
use aws_sdk_mediaconvert::Client;
use aws_sdk_mediaconvert::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_mediaconvert::operation::create_job::builders::CreateJobFluentBuilder;
use aws_sdk_mediaconvert::types::*;
use chrono::{DateTime, Utc};
use vod_core::AssetId;
use vod_core::job::{Cancellation, JobSummary};
use vod_core::job::{
    DOWNLOAD_PATH, JobSpec, OUTPUT_BASENAME, POSTER_PATH, THUMBNAILS_PATH, TrickPlayTiles,
};
use vod_core::ladder::{AudioRendition, LadderPlan, Rung};
use vod_core::ports::{JobId, PortError, PortResult, Transcoder};

/// Name of the audio selector every audio description reads from.
pub const AUDIO_SELECTOR: &str = "Audio Selector 1";
/// Output group names; the completion handler finds outputs by these.
pub const GROUP_CMAF: &str = "CMAF";
pub const GROUP_THUMBNAILS: &str = "Thumbnails";
pub const GROUP_POSTER: &str = "Poster";
pub const GROUP_MP4: &str = "MP4";

/// Job-level settings that come from configuration, not from the source.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOptions {
    pub role_arn: String,
    pub queue_arn: Option<String>,
    /// `DISABLED`, `ENABLED` or `PREFERRED`.
    pub acceleration: Option<String>,
    pub status_update_interval: StatusUpdateInterval,
    /// This pipeline's name (`UserMetadata` [`vod_core::job::USER_METADATA_PIPELINE`]): the
    /// job lookups see only this pipeline's jobs when several stacks share an account
    /// (`None`: jobs of any pipeline).
    pub pipeline_name: Option<String>,
}

impl JobOptions {
    pub fn new(role_arn: impl Into<String>) -> Self {
        Self {
            role_arn: role_arn.into(),
            queue_arn: None,
            acceleration: None,
            status_update_interval: StatusUpdateInterval::Seconds60,
            pipeline_name: None,
        }
    }
}

/// The job's `Settings` for a spec.
pub fn job_settings(spec: &JobSpec) -> JobSettings {
    let plan = &spec.plan;
    let dest = spec.destination_uri.trim_end_matches('/');
    let input = Input::builder()
        .file_input(&spec.input_uri)
        .timecode_source(InputTimecodeSource::Zerobased)
        .audio_selectors(
            AUDIO_SELECTOR,
            AudioSelector::builder()
                .default_selection(AudioDefaultSelection::Default)
                .build(),
        )
        .video_selector(VideoSelector::builder().rotate(InputRotate::Auto).build())
        .build();

    let mut groups = vec![cmaf_group(plan, &format!("{dest}/{OUTPUT_BASENAME}"))];
    if let (Some(thumbs), false) = (&plan.thumbnails, plan.rungs.is_empty()) {
        groups.push(frame_capture_group(
            GROUP_THUMBNAILS,
            &format!("{dest}/{THUMBNAILS_PATH}"),
            thumbs.width,
            thumbs.height,
            thumbs.interval_seconds,
            thumbs.max_captures,
        ));
        groups.push(frame_capture_group(
            GROUP_POSTER,
            &format!("{dest}/{POSTER_PATH}"),
            thumbs.poster_width,
            thumbs.poster_height,
            thumbs.poster_seconds,
            2,
        ));
    }
    if let (true, Some(top)) = (plan.mp4_download, plan.rungs.first()) {
        groups.push(mp4_group(plan, top, &format!("{dest}/{DOWNLOAD_PATH}")));
    }

    JobSettings::builder()
        .timecode_config(
            TimecodeConfig::builder()
                .source(TimecodeSource::Zerobased)
                .build(),
        )
        .inputs(input)
        .set_output_groups(Some(groups))
        .build()
}

fn cmaf_group(plan: &LadderPlan, destination: &str) -> OutputGroup {
    let mut settings = CmafGroupSettings::builder()
        .destination(destination)
        .segment_length(i32::try_from(plan.segment_seconds).unwrap_or(6))
        .fragment_length(gop_whole_seconds(plan))
        .segment_control(CmafSegmentControl::SegmentedFiles)
        .write_hls_manifest(CmafWriteHlsManifest::Enabled)
        .write_dash_manifest(CmafWriteDashManifest::Enabled)
        .codec_specification(CmafCodecSpecification::Rfc6381)
        .stream_inf_resolution(CmafStreamInfResolution::Include)
        .manifest_duration_format(CmafManifestDurationFormat::FloatingPoint)
        .mpd_profile(CmafMpdProfile::MainProfile)
        .client_cache(CmafClientCache::Enabled);
    if let (true, Some(thumbs)) = (plan.trick_play, &plan.thumbnails) {
        let tiles = TrickPlayTiles::for_thumbnails(thumbs);
        settings = settings
            .image_based_trick_play(CmafImageBasedTrickPlay::Advanced)
            .image_based_trick_play_settings(
                CmafImageBasedTrickPlaySettings::builder()
                    .interval_cadence(CmafIntervalCadence::FollowCustom)
                    .thumbnail_interval(f64::from(to_i32(tiles.interval_seconds)))
                    .thumbnail_width(to_i32(tiles.width))
                    .thumbnail_height(to_i32(tiles.height))
                    .tile_width(to_i32(tiles.columns))
                    .tile_height(to_i32(tiles.rows))
                    .build(),
            );
    }
    let mut group = OutputGroup::builder()
        .name(GROUP_CMAF)
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::CmafGroupSettings)
                .cmaf_group_settings(settings.build())
                .build(),
        );
    if plan.automated_abr {
        if let Some(top) = plan.rungs.first() {
            let min = plan
                .rungs
                .last()
                .map_or(top.max_bitrate_bps, |r| r.max_bitrate_bps);
            group = group.automated_encoding_settings(
                AutomatedEncodingSettings::builder()
                    .abr_settings(
                        AutomatedAbrSettings::builder()
                            .max_abr_bitrate(to_i32(top.max_bitrate_bps))
                            .min_abr_bitrate(to_i32(min))
                            .max_renditions(i32::try_from(plan.rungs.len()).unwrap_or(6))
                            .build(),
                    )
                    .build(),
            );
            // Automated ABR takes one video output as the template for every rendition.
            group = group.outputs(video_output(plan, top, ContainerType::Cmfc, false));
        }
    } else {
        for rung in &plan.rungs {
            group = group.outputs(video_output(plan, rung, ContainerType::Cmfc, true));
        }
        // AV1 beside H.264 in the same group: one master, players pick by CODECS.
        if let Some(tier) = &plan.av1 {
            for rung in &tier.rungs {
                group = group.outputs(av1_output(plan, rung, tier.gop_frames));
            }
        }
    }
    for audio in &plan.audio {
        group = group.outputs(
            Output::builder()
                .name_modifier(&audio.name)
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Cmfc)
                        .build(),
                )
                .audio_descriptions(audio_description(audio))
                .build(),
        );
    }
    group.build()
}

fn video_output(plan: &LadderPlan, rung: &Rung, container: ContainerType, sized: bool) -> Output {
    let mut video = VideoDescription::builder()
        .scaling_behavior(ScalingBehavior::Default)
        .codec_settings(
            VideoCodecSettings::builder()
                .codec(VideoCodec::H264)
                .h264_settings(h264_settings(plan, rung))
                .build(),
        );
    if sized {
        video = video.width(to_i32(rung.width)).height(to_i32(rung.height));
    }
    Output::builder()
        .name_modifier(&rung.name)
        .container_settings(ContainerSettings::builder().container(container).build())
        .video_description(video.build())
        .build()
}

/// An AV1 CMAF rung: QVBR (the only rate control MediaConvert has for AV1), the GOP in frames
/// (AV1 takes no seconds), 8-bit, 7 B-frames as MediaConvert recommends.
fn av1_output(plan: &LadderPlan, rung: &Rung, gop_frames: u32) -> Output {
    let mut av1 = Av1Settings::builder()
        .rate_control_mode(Av1RateControlMode::Qvbr)
        .qvbr_settings(
            Av1QvbrSettings::builder()
                .qvbr_quality_level(i32::from(rung.qvbr_quality_level))
                .build(),
        )
        .max_bitrate(to_i32(rung.max_bitrate_bps))
        .gop_size(f64::from(gop_frames.max(1)))
        .number_b_frames_between_reference_frames(7)
        .bit_depth(Av1BitDepth::Bit8)
        .spatial_adaptive_quantization(Av1SpatialAdaptiveQuantization::Enabled);
    av1 = match plan.frame_rate {
        Some(rate) => av1
            .framerate_control(Av1FramerateControl::Specified)
            .framerate_numerator(to_i32(rate.numerator))
            .framerate_denominator(to_i32(rate.denominator)),
        None => av1.framerate_control(Av1FramerateControl::InitializeFromSource),
    };
    Output::builder()
        .name_modifier(&rung.name)
        .container_settings(
            ContainerSettings::builder()
                .container(ContainerType::Cmfc)
                .build(),
        )
        .video_description(
            VideoDescription::builder()
                .scaling_behavior(ScalingBehavior::Default)
                .width(to_i32(rung.width))
                .height(to_i32(rung.height))
                .codec_settings(
                    VideoCodecSettings::builder()
                        .codec(VideoCodec::Av1)
                        .av1_settings(av1.build())
                        .build(),
                )
                .build(),
        )
        .build()
}

fn h264_settings(plan: &LadderPlan, rung: &Rung) -> H264Settings {
    let mut h264 = H264Settings::builder()
        .rate_control_mode(H264RateControlMode::Qvbr)
        .qvbr_settings(
            H264QvbrSettings::builder()
                .qvbr_quality_level(i32::from(rung.qvbr_quality_level))
                .build(),
        )
        .max_bitrate(to_i32(rung.max_bitrate_bps))
        .gop_size(plan.gop_seconds)
        .gop_size_units(H264GopSizeUnits::Seconds)
        .gop_closed_cadence(1)
        .scene_change_detect(H264SceneChangeDetect::TransitionDetection)
        .codec_profile(H264CodecProfile::High)
        .codec_level(H264CodecLevel::Auto)
        .number_b_frames_between_reference_frames(2)
        .quality_tuning_level(H264QualityTuningLevel::MultiPassHq);
    h264 = match plan.frame_rate {
        Some(rate) => h264
            .framerate_control(H264FramerateControl::Specified)
            .framerate_numerator(to_i32(rate.numerator))
            .framerate_denominator(to_i32(rate.denominator)),
        None => h264.framerate_control(H264FramerateControl::InitializeFromSource),
    };
    h264.build()
}

fn audio_description(audio: &AudioRendition) -> AudioDescription {
    let mode = if audio.channels >= 6 {
        AacCodingMode::CodingMode51
    } else {
        AacCodingMode::CodingMode20
    };
    AudioDescription::builder()
        .audio_source_name(AUDIO_SELECTOR)
        .codec_settings(
            AudioCodecSettings::builder()
                .codec(AudioCodec::Aac)
                .aac_settings(
                    AacSettings::builder()
                        .bitrate(to_i32(audio.bitrate_bps))
                        .coding_mode(mode)
                        .sample_rate(to_i32(audio.sample_rate))
                        .codec_profile(AacCodecProfile::Lc)
                        .build(),
                )
                .build(),
        )
        .build()
}

/// A file group (frame captures, the MP4 download): plain files written under `destination`.
fn file_group_settings(destination: &str) -> OutputGroupSettings {
    OutputGroupSettings::builder()
        .r#type(OutputGroupType::FileGroupSettings)
        .file_group_settings(
            FileGroupSettings::builder()
                .destination(destination)
                .build(),
        )
        .build()
}

fn frame_capture_group(
    name: &str,
    destination: &str,
    width: u32,
    height: u32,
    every_seconds: u32,
    max_captures: u32,
) -> OutputGroup {
    OutputGroup::builder()
        .name(name)
        .output_group_settings(file_group_settings(destination))
        .outputs(
            Output::builder()
                .extension("jpg")
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Raw)
                        .build(),
                )
                .video_description(
                    VideoDescription::builder()
                        .width(to_i32(width))
                        .height(to_i32(height))
                        .codec_settings(
                            VideoCodecSettings::builder()
                                .codec(VideoCodec::FrameCapture)
                                .frame_capture_settings(
                                    FrameCaptureSettings::builder()
                                        .framerate_numerator(1)
                                        .framerate_denominator(to_i32(every_seconds.max(1)))
                                        .max_captures(to_i32(max_captures.clamp(1, 10_000_000)))
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

fn mp4_group(plan: &LadderPlan, top: &Rung, destination: &str) -> OutputGroup {
    let mut output = Output::builder()
        .name_modifier(&top.name)
        .extension("mp4")
        .container_settings(
            ContainerSettings::builder()
                .container(ContainerType::Mp4)
                .build(),
        )
        .video_description(
            VideoDescription::builder()
                .width(to_i32(top.width))
                .height(to_i32(top.height))
                .codec_settings(
                    VideoCodecSettings::builder()
                        .codec(VideoCodec::H264)
                        .h264_settings(h264_settings(plan, top))
                        .build(),
                )
                .build(),
        );
    if let Some(stereo) = plan.audio.first() {
        output = output.audio_descriptions(audio_description(stereo));
    }
    OutputGroup::builder()
        .name(GROUP_MP4)
        .output_group_settings(file_group_settings(destination))
        .outputs(output.build())
        .build()
}

/// CMAF fragments are whole seconds: the GOP rounded, at least one.
fn gop_whole_seconds(plan: &LadderPlan) -> i32 {
    (plan.gop_seconds.round() as i32).max(1)
}

/// A count or size for an SDK `i32`, saturating at `i32::MAX` (every MediaConvert integer range
/// tops out there or lower, and the callers clamp to the lower ones).
fn to_i32<T: TryInto<i32>>(value: T) -> i32 {
    value.try_into().unwrap_or(i32::MAX)
}

/// A CreateJob call for `spec`, ready to `send()`.
pub fn create_job_request(
    client: &Client,
    spec: &JobSpec,
    options: &JobOptions,
) -> CreateJobFluentBuilder {
    let mut request = client
        .create_job()
        .role(&options.role_arn)
        .settings(job_settings(spec))
        .status_update_interval(options.status_update_interval.clone())
        .set_user_metadata(Some(spec.user_metadata.clone().into_iter().collect()));
    if let Some(queue) = &options.queue_arn {
        request = request.queue(queue);
    }
    if let Some(token) = &spec.client_request_token {
        request = request.client_request_token(token);
    }
    if let Some(mode) = &options.acceleration {
        request = request.acceleration_settings(
            AccelerationSettings::builder()
                .mode(AccelerationMode::from(mode.as_str()))
                .build(),
        );
    }
    request
}

/// The CreateJob body exactly as the SDK serializes it, captured from an HTTP request that is
/// never sent anywhere (for `vod job plan` and the validator tests).
pub async fn plan_request_body(
    spec: &JobSpec,
    options: &JobOptions,
) -> Result<serde_json::Value, PlanError> {
    let capture = CaptureBody::default();
    let config = aws_sdk_mediaconvert::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("PLAN", "PLAN", None, None, "vod-job-plan"))
        .endpoint_url("https://mediaconvert.us-east-1.amazonaws.com")
        .http_client(capture.clone())
        .build();
    let client = Client::from_conf(config);
    // The "response" is an empty 200, which the SDK may fail to parse: irrelevant.
    let _ = create_job_request(&client, spec, options).send().await;
    let body = capture.body().ok_or(PlanError::NoBody)?;
    serde_json::from_slice(&body).map_err(PlanError::NotJson)
}

/// An HTTP client that keeps the body of the request it is handed and answers `200 {}`,
/// without sending anything. Hand-written on the public `HttpClient` trait rather than
/// aws-smithy-runtime's `test-util` capture, which would link a second HTTP/TLS stack
/// (hyper 0.14, rustls 0.21, ring) into every Lambda.
#[derive(Debug, Clone, Default)]
struct CaptureBody(std::sync::Arc<std::sync::Mutex<Option<Vec<u8>>>>);

impl CaptureBody {
    fn body(&self) -> Option<Vec<u8>> {
        self.0.lock().ok().and_then(|b| b.clone())
    }
}

impl aws_smithy_runtime_api::client::http::HttpConnector for CaptureBody {
    fn call(
        &self,
        request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
    ) -> aws_smithy_runtime_api::client::http::HttpConnectorFuture {
        if let (Ok(mut slot), Some(bytes)) = (self.0.lock(), request.body().bytes()) {
            *slot = Some(bytes.to_vec());
        }
        let response = aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(200_u16)
                .unwrap_or_else(|_| unreachable!("200 is a status code")),
            aws_smithy_types::body::SdkBody::from("{}"),
        );
        aws_smithy_runtime_api::client::http::HttpConnectorFuture::ready(Ok(response))
    }
}

impl aws_smithy_runtime_api::client::http::HttpClient for CaptureBody {
    fn http_connector(
        &self,
        _settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        aws_smithy_runtime_api::client::http::SharedHttpConnector::new(self.clone())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("the SDK produced no request body")]
    NoBody,
    #[error("the SDK's request body is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
}

/// [`Transcoder`] on MediaConvert (or its local twin, selected by the SDK's endpoint settings).
#[derive(Debug, Clone)]
pub struct MediaConvertTranscoder {
    client: Client,
    options: JobOptions,
}

impl MediaConvertTranscoder {
    pub fn new(client: Client, options: JobOptions) -> Self {
        Self { client, options }
    }

    /// For a function that finds and cancels jobs but never creates one (the notifier, the
    /// completion handler): it has no MediaConvert role to pass, and `submit` refuses.
    pub fn control_only(client: Client, pipeline_name: Option<String>) -> Self {
        let mut options = JobOptions::new("");
        options.pipeline_name = pipeline_name;
        Self { client, options }
    }
}

#[async_trait]
impl Transcoder for MediaConvertTranscoder {
    async fn submit(&self, job: &JobSpec) -> PortResult<JobId> {
        if self.options.role_arn.is_empty() {
            return Err(PortError::permanent(
                "this function has no MediaConvert role: it may cancel jobs, not create them",
            ));
        }
        let out = create_job_request(&self.client, job, &self.options)
            .send()
            .await
            .map_err(|e| port_error("creating the MediaConvert job", e))?;
        out.job()
            .and_then(|j| j.id())
            .map(str::to_owned)
            .ok_or_else(|| {
                PortError::permanent("MediaConvert accepted the job but returned no job id")
            })
    }

    async fn jobs_for(&self, asset: &AssetId, since: DateTime<Utc>) -> PortResult<Vec<JobSummary>> {
        crate::mediaconvert_jobs::jobs_for(
            &self.client,
            self.options.queue_arn.as_deref(),
            self.options.pipeline_name.as_deref(),
            asset,
            since,
        )
        .await
    }

    async fn job(&self, job_id: &str) -> PortResult<Option<JobSummary>> {
        crate::mediaconvert_jobs::job(&self.client, job_id).await
    }

    async fn cancel(&self, job_id: &str) -> PortResult<Cancellation> {
        crate::mediaconvert_jobs::cancel(&self.client, job_id).await
    }
}
