//! Job fixtures, as the job builder emits them, and submitting them.

use aws_sdk_mediaconvert::types as mc;

use crate::env::{Env, OUT, PIPELINE, SRC};

pub fn video_rung(modifier: &str, width: i32, height: i32, max_bitrate: i32) -> mc::Output {
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

pub fn audio_output(modifier: &str) -> mc::Output {
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

pub fn frame_capture_group(
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

pub fn cmaf_group(destination: &str, outputs: Vec<mc::Output>) -> mc::OutputGroup {
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

pub fn settings(input_key: &str, groups: Vec<mc::OutputGroup>) -> mc::JobSettings {
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

pub async fn submit(env: &Env, settings: mc::JobSettings, asset: &str) -> String {
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
pub fn small_job(input_key: &str, asset: &str) -> mc::JobSettings {
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
