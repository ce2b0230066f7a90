//! CreateJob wire bodies → validation and the ffmpeg command (no moto, no ffmpeg run).

use std::path::Path;

use aws_sdk_mediaconvert::types::StatusUpdateInterval;
use serde_json::{Value, json};
use vod_aws::mediaconvert::{JobOptions, plan_request_body};
use vod_core::AssetId;
use vod_core::ladder::ThumbnailPlan;
use vod_core::probe::Container;
use vod_mediaconvert_local::plan::VideoStreamInfo;
use vod_mediaconvert_local::{CreateJobRequest, EncoderOptions, Input, SourceInfo, ffmpeg_plan};

use crate::jobs::{ladder, rung, spec};

/// The CreateJob body our job builder emits (wire form, captured from the SDK request vod-aws
/// builds) for a 1080/720 ladder, stereo audio, thumbnails and a poster every 10 s, trick
/// play and an MP4 download.
async fn builder_job() -> Value {
    let mut plan = ladder(vec![
        rung("_1080p", 1920, 1080, 6_000_000),
        rung("_720p", 1280, 720, 3_000_000),
    ]);
    plan.rungs[0].qvbr_quality_level = 8;
    plan.thumbnails = Some(ThumbnailPlan {
        interval_seconds: 10,
        width: 320,
        height: 180,
        max_captures: 3,
        poster_seconds: 10,
        poster_width: 1280,
        poster_height: 720,
    });
    plan.trick_play = true;
    plan.mp4_download = true;
    let asset = AssetId::parse("0123456789abcdef0123456789abcdef").expect("asset id");
    let spec = spec("any key with spaces+plus%.mp4", &asset, plan);
    let mut options = JobOptions::new("arn:aws:iam::123456789012:role/MediaConvert");
    options.acceleration = Some("DISABLED".to_owned());
    options.status_update_interval = StatusUpdateInterval::Seconds10;
    plan_request_body(&spec, &options)
        .await
        .expect("the SDK's request body")
}

fn source() -> SourceInfo {
    SourceInfo {
        duration_secs: Some(10.0),
        video: Some(VideoStreamInfo {
            width: 1920,
            height: 1080,
            fps: Some(30.0),
        }),
        audio_streams: 1,
    }
}

fn plan_args(body: &Value) -> Vec<String> {
    let req = CreateJobRequest::from_wire(body).expect("valid request");
    ffmpeg_plan(
        &req,
        &source(),
        &Input::new("/in/src.mp4", Container::Mp4),
        Path::new("/out"),
        &EncoderOptions::default(),
    )
    .expect("plan")
    .args
}

fn reject(body: &Value) -> String {
    let req = match CreateJobRequest::from_wire(body) {
        Ok(r) => r,
        Err(e) => return e.to_string(),
    };
    vod_mediaconvert_local::JobPlan::from_request(&req)
        .expect_err("rejected")
        .to_string()
}

#[tokio::test]
async fn one_ffmpeg_decodes_once_and_splits_to_every_rung() {
    let args = plan_args(&builder_job().await);
    assert_eq!(args.iter().filter(|a| *a == "-i").count(), 1, "{args:?}");
    // The one input: its demuxer named, nothing but local files for ffmpeg to open.
    let input = args.iter().position(|a| a == "-i").expect("-i");
    assert_eq!(
        args[input - 4..=input + 1],
        [
            "-protocol_whitelist",
            "file",
            "-f",
            "mov",
            "-i",
            "file:/in/src.mp4"
        ],
        "{args:?}"
    );
    let graph = args
        .iter()
        .skip_while(|a| *a != "-filter_complex")
        .nth(1)
        .expect("filter graph");
    // 2 CMAF rungs + trick-play tiles + thumbnails + poster + MP4 video.
    assert!(graph.starts_with("[0:v]split=6"), "{graph}");
    assert!(graph.contains("scale=1920:1080"), "{graph}");
    assert!(graph.contains("scale=1280:720"), "{graph}");
    assert!(
        graph.contains("select='gte(t,selected_n*10)',scale=320:180"),
        "{graph}"
    );
    let joined = args.join(" ");
    // QVBR 8 → CRF 21, QVBR 7 → CRF 23, with the cap from maxBitrate.
    assert!(
        joined.contains("-crf:v:0 21 -maxrate:v:0 6000000 -bufsize:v:0 12000000"),
        "{joined}"
    );
    assert!(
        joined.contains("-crf:v:1 23 -maxrate:v:1 3000000"),
        "{joined}"
    );
    // The configured preset (veryfast) for 1080p; 720p goes two presets slower.
    assert!(joined.contains("-preset:v:0 veryfast"), "{joined}");
    assert!(joined.contains("-preset:v:1 fast"), "{joined}");
    // 2 s closed GOPs aligned across rungs.
    assert!(joined.contains("-g:v:0 60 -keyint_min:v:0 60 -sc_threshold:v:0 0 -force_key_frames:v:0 expr:gte(t,n_forced*2)"), "{joined}");
    assert!(joined.contains("-profile:v:1 high"), "{joined}");
    assert!(
        joined.contains("-c:a:0 aac -b:a:0 128000 -ac:a:0 2 -ar:a:0 48000"),
        "{joined}"
    );
    assert!(joined.contains("-f dash"), "{joined}");
    assert!(
        joined.contains("-seg_duration 6 -frag_duration 2"),
        "{joined}"
    );
    assert!(
        joined.contains("-adaptation_sets id=0,streams=v id=1,streams=a"),
        "{joined}"
    );
    assert!(
        joined.contains("-frames:v 3 -start_number 0 -f image2"),
        "{joined}"
    );
    assert!(joined.contains("-f mp4"), "{joined}");
}

#[tokio::test]
async fn trick_play_tiles_are_planned_and_only_the_hls_image_playlist_is_warned_about() {
    let req = CreateJobRequest::from_wire(&builder_job().await).expect("valid");
    let plan = vod_mediaconvert_local::JobPlan::from_request(&req).expect("plan");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("DASH manifest only (no HLS image playlist)")),
        "{:?}",
        plan.warnings
    );
    let joined = plan_args(&builder_job().await).join(" ");
    assert!(
        joined.contains("select='gte(t,selected_n*10)',scale=160:90,setsar=1,tile=10x10"),
        "{joined}"
    );
    assert!(joined.contains("/tiles/tile.%05d.jpg"), "{joined}");

    let mut body = builder_job().await;
    let cmaf = &mut body["settings"]["outputGroups"][0]["outputGroupSettings"]["cmafGroupSettings"];
    cmaf["imageBasedTrickPlaySettings"]["intervalCadence"] = json!("FOLLOW_IFRAME");
    assert!(
        reject(&body).contains("intervalCadence: FOLLOW_IFRAME"),
        "{}",
        reject(&body)
    );
    let mut body = builder_job().await;
    let cmaf = &mut body["settings"]["outputGroups"][0]["outputGroupSettings"]["cmafGroupSettings"];
    cmaf["imageBasedTrickPlaySettings"]["thumbnailWidth"] = json!(100);
    assert!(
        reject(&body).contains("thumbnailWidth"),
        "{}",
        reject(&body)
    );
}

#[tokio::test]
async fn rejections_name_the_setting() {
    let mut body = builder_job().await;
    body["settings"]["outputGroups"][0]["outputs"][1]["videoDescription"]["codecSettings"]["codec"] =
        json!("H_265");
    assert!(
        reject(&body)
            .starts_with("/outputGroups/0/outputs/1/videoDescription/codecSettings/codec: H_265"),
        "{}",
        reject(&body)
    );

    let mut body = builder_job().await;
    body.as_object_mut().map(|o| o.remove("role"));
    assert!(reject(&body).starts_with("/role:"), "{}", reject(&body));

    let mut body = builder_job().await;
    body["settings"]["inputs"] = json!([]);
    assert!(reject(&body).starts_with("/inputs:"), "{}", reject(&body));

    let mut body = builder_job().await;
    body["settings"]["inputs"][0]["fileInput"] = json!("/local/file.mp4");
    assert!(
        reject(&body).starts_with("/inputs/0/fileInput:"),
        "{}",
        reject(&body)
    );

    let mut body = builder_job().await;
    body["settings"]["outputGroups"][0]["outputGroupSettings"]["type"] =
        json!("HLS_GROUP_SETTINGS");
    assert!(
        reject(&body).starts_with("/outputGroups/0/outputGroupSettings/type:"),
        "{}",
        reject(&body)
    );

    let mut body = builder_job().await;
    body["settings"]["outputGroups"][0]["outputs"][2]["audioDescriptions"][0]["codecSettings"]["aacSettings"]
        ["codecProfile"] = json!("HEV2");
    assert!(
        reject(&body).starts_with(
            "/outputGroups/0/outputs/2/audioDescriptions/0/codecSettings/aacSettings/codecProfile:"
        ),
        "{}",
        reject(&body)
    );

    let mut body = builder_job().await;
    body["settings"]["outputGroups"][0]["automatedEncodingSettings"] =
        json!({"abrSettings": {"maxRenditions": 4}});
    assert!(
        reject(&body).starts_with("/outputGroups/0/automatedEncodingSettings:"),
        "{}",
        reject(&body)
    );

    let mut body = builder_job().await;
    body["settings"]["outputGroups"][0]["outputs"][1]["nameModifier"] = json!("_1080p");
    assert!(
        reject(&body).starts_with("/outputGroups/0/outputs/1/nameModifier:"),
        "{}",
        reject(&body)
    );

    let mut body = builder_job().await;
    body["settings"]["outputGroups"][0]["outputGroupSettings"]["cmafGroupSettings"]["segmentControl"] =
        json!("SINGLE_FILE");
    assert!(
        reject(&body).contains("segmentControl"),
        "{}",
        reject(&body)
    );
}

/// Values of the wrong JSON type, and the audio codec, are refused with the setting's path and
/// what it must be.
#[tokio::test]
async fn wrong_types_and_audio_codecs_are_refused_naming_the_setting() {
    let cmaf = "/outputGroups/0/outputGroupSettings/cmafGroupSettings";
    for (key, value, must_be) in [
        ("destination", json!(6), "must be a string"),
        ("segmentLength", json!("6"), "must be a number"),
    ] {
        let mut body = builder_job().await;
        body["settings"]["outputGroups"][0]["outputGroupSettings"]["cmafGroupSettings"][key] =
            value;
        assert_eq!(reject(&body), format!("{cmaf}/{key}: {must_be}"));
    }

    let mut body = builder_job().await;
    body["priority"] = json!(1.5);
    assert_eq!(reject(&body), "/priority: must be an integer");

    let mut body = builder_job().await;
    body["settings"]["outputGroups"][0]["outputs"][0]["videoDescription"]["codecSettings"]["h264Settings"]
        ["maxBitrate"] = json!(-1);
    assert!(
        reject(&body).ends_with("/h264Settings/maxBitrate: must be a non-negative integer"),
        "{}",
        reject(&body)
    );

    let mut body = builder_job().await;
    body["settings"]["outputGroups"][0]["outputs"][2]["audioDescriptions"][0]["codecSettings"]["codec"] =
        json!("MP3");
    assert_eq!(
        reject(&body),
        "/outputGroups/0/outputs/2/audioDescriptions/0/codecSettings/codec: \
         MP3 is not supported by the local twin (AAC is)"
    );
}

#[tokio::test]
async fn audio_only_jobs_have_no_filter_graph() {
    let mut body = builder_job().await;
    let groups = body["settings"]["outputGroups"]
        .as_array_mut()
        .expect("groups");
    groups.truncate(1);
    let outputs = groups[0]["outputs"].as_array_mut().expect("outputs");
    outputs.drain(0..2);
    let req = CreateJobRequest::from_wire(&body).expect("valid");
    let audio_only = SourceInfo {
        duration_secs: Some(60.0),
        video: None,
        audio_streams: 1,
    };
    let plan = ffmpeg_plan(
        &req,
        &audio_only,
        &Input::new("/in.mp3", Container::Mp3),
        Path::new("/out"),
        &EncoderOptions::default(),
    )
    .expect("plan");
    assert!(
        !plan.args.iter().any(|a| a == "-filter_complex"),
        "{:?}",
        plan.args
    );
    assert!(
        plan.args
            .join(" ")
            .contains("-adaptation_sets id=0,streams=a")
    );

    // The full ladder against an audio-only source is a source error, not a panic.
    let req = CreateJobRequest::from_wire(&builder_job().await).expect("valid");
    assert!(
        ffmpeg_plan(
            &req,
            &audio_only,
            &Input::new("/in.mp3", Container::Mp3),
            Path::new("/out"),
            &EncoderOptions::default()
        )
        .is_err()
    );
}

/// The bench fixture (`make bench` runs `vod-mediaconvert-local plan` on it) is a job the
/// twin accepts and botocore's model calls valid.
#[test]
fn bench_fixture_is_a_valid_job() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ladder-1080p.json");
    let body: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("json");
    let args = plan_args(&body);
    assert!(
        args.iter().any(|a| a.starts_with("[0:v]split=5")),
        "{args:?}"
    );
    crate::env::validate_wire(&path);
}

#[test]
fn qvbr_levels_map_to_the_documented_crf_scale() {
    use vod_mediaconvert_local::qvbr_to_crf;
    // 7 = x264's default CRF (broadcast-good), 8–9 high, 10 visually lossless.
    let crfs: Vec<f64> = [1.0, 6.0, 7.0, 8.0, 9.0, 10.0]
        .into_iter()
        .map(qvbr_to_crf)
        .collect();
    assert_eq!(crfs, vec![35.0, 25.0, 23.0, 21.0, 19.0, 17.0]);
    // Fine-tune moves between whole levels; higher levels never get a higher CRF.
    assert!((qvbr_to_crf(7.33) - 22.34).abs() < 1e-9);
    assert!((1..10).all(|l| qvbr_to_crf(f64::from(l)) > qvbr_to_crf(f64::from(l + 1))));
}

#[test]
fn small_rungs_get_a_slower_preset() {
    use vod_mediaconvert_local::plan::preset_for_rung;
    assert_eq!(preset_for_rung("faster", Some(1920 * 1080)), "faster");
    assert_eq!(preset_for_rung("faster", None), "faster");
    assert_eq!(preset_for_rung("faster", Some(1280 * 720)), "medium");
    assert_eq!(preset_for_rung("faster", Some(640 * 360)), "medium");
    assert_eq!(preset_for_rung("slower", Some(640 * 360)), "veryslow");
    assert_eq!(preset_for_rung("placebo", Some(640 * 360)), "placebo");
    // Unknown names are passed through unchanged.
    assert_eq!(preset_for_rung("custom", Some(640 * 360)), "custom");
}

/// Rungs whose even sizes miss the group's display aspect (854×480 under 16:9) get the sample
/// aspect that restores it, so ffmpeg's DASH muxer keeps them in one adaptation set; exact
/// rungs keep square pixels.
#[tokio::test]
async fn rungs_share_one_display_aspect() {
    let mut body = builder_job().await;
    let outputs = body["settings"]["outputGroups"][0]["outputs"]
        .as_array_mut()
        .expect("cmaf outputs");
    let mut sd = outputs[1].clone();
    sd["nameModifier"] = json!("_480p");
    sd["videoDescription"]["width"] = json!(854);
    sd["videoDescription"]["height"] = json!(480);
    outputs.insert(2, sd);
    let args = plan_args(&body);
    let graph = args
        .iter()
        .skip_while(|a| *a != "-filter_complex")
        .nth(1)
        .expect("filter graph");
    assert!(graph.contains("scale=1920:1080,setsar=1,"), "{graph}");
    assert!(graph.contains("scale=1280:720,setsar=1,"), "{graph}");
    assert!(
        graph.contains("scale=854:480,setsar=1280/1281:max=1281,"),
        "{graph}"
    );
}

/// The AV1 tier's rungs: SVT-AV1 at the level's CRF with the cap, key frames forced at the
/// H.264 rungs' instants, each codec in a DASH adaptation set of its own; AV1 only in CMAF.
#[tokio::test]
async fn av1_rungs_get_svtav1_aligned_key_frames_and_their_own_adaptation_set() {
    let mut plan = ladder(vec![
        rung("_1080p", 1920, 1080, 6_000_000),
        rung("_720p", 1280, 720, 3_000_000),
    ]);
    plan.av1 = Some(vod_core::pertitle::Av1Tier {
        rungs: vec![
            rung("_av1_1080p", 1920, 1080, 3_600_000),
            rung("_av1_720p", 1280, 720, 1_800_000),
        ],
        gop_frames: 60,
    });
    let body = plan_request_body(
        &spec("uploads/a.mp4", &AssetId::derive("s", "a", "e"), plan),
        &JobOptions::new("arn:aws:iam::000000000000:role/R"),
    )
    .await
    .expect("body");
    let joined = plan_args(&body).join(" ");
    assert!(
        joined.contains("-c:v:2 libsvtav1 -preset:v:2 10 -g:v:2 60"),
        "{joined}"
    );
    // QVBR level 7 → SVT-AV1 CRF 34, capped.
    assert!(
        joined.contains("-crf:v:2 34 -maxrate:v:2 3600000"),
        "{joined}"
    );
    assert!(
        joined.contains("-force_key_frames:v:3 expr:gte(t,n_forced*2)"),
        "{joined}"
    );
    assert!(
        joined.contains("-adaptation_sets id=0,streams=0,1 id=1,streams=2,3 id=2,streams=a"),
        "{joined}"
    );

    // An AV1 MP4 download is refused, naming the setting.
    let mut mp4 = builder_job().await;
    let groups = mp4["settings"]["outputGroups"]
        .as_array()
        .expect("groups")
        .len();
    let download = &mut mp4["settings"]["outputGroups"][groups - 1]["outputs"][0]["videoDescription"]
        ["codecSettings"];
    download["codec"] = json!("AV1");
    assert!(
        reject(&mp4).contains("codecSettings/codec: AV1"),
        "{}",
        reject(&mp4)
    );
}
