use vod_aws::mediaconvert::{JobOptions, plan_request_body};
use vod_core::AssetId;
use vod_core::job::JobSpec;
use vod_core::ladder::{LadderError, LadderPolicy, ThumbnailPlan, plan_ladder};
use vod_core::probe::{AudioTrack, ProbeReport, VideoTrack};

fn probe(width: u32, height: u32) -> ProbeReport {
    lasting(width, height, 300.0)
}

fn lasting(width: u32, height: u32, seconds: f64) -> ProbeReport {
    ProbeReport {
        duration_seconds: Some(seconds),
        video: Some(VideoTrack {
            codec: "h264".into(),
            width,
            height,
            frame_rate: Some(29.97),
            ..VideoTrack::default()
        }),
        audio: vec![AudioTrack {
            codec: "aac".into(),
            channels: 2,
            sample_rate: 48_000,
            ..AudioTrack::default()
        }],
        ..ProbeReport::default()
    }
}

/// The wire body the SDK sends for a source of this size.
async fn body_for(width: u32, height: u32) -> serde_json::Value {
    body_of(plan_ladder(&probe(width, height), &LadderPolicy::default()).unwrap()).await
}

async fn body_of(plan: vod_core::ladder::LadderPlan) -> serde_json::Value {
    let id = AssetId::derive("src", "in put+%é.mp4", "etag");
    let spec = JobSpec::new(
        id,
        "s3://src/in put+%é.mp4".into(),
        "out",
        "assets/",
        plan,
        "vod",
    );
    let mut options = JobOptions::new("arn:aws:iam::111122223333:role/vod-mediaconvert");
    options.acceleration = Some("PREFERRED".into());
    plan_request_body(&spec, &options).await.unwrap()
}

fn video_sizes(body: &serde_json::Value) -> Vec<(u64, u64)> {
    body["settings"]["outputGroups"][0]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| {
            let v = &o["videoDescription"];
            Some((v["width"].as_u64()?, v["height"].as_u64()?))
        })
        .collect()
}

#[tokio::test]
async fn the_sdk_body_is_valid_for_botocore_and_never_upscales() {
    for (name, width, height) in [
        ("1080p", 1920, 1080),
        ("720p", 1280, 720),
        ("portrait", 1080, 1920),
    ] {
        let body = body_for(width, height).await;
        // What job-submit sends: QVBR with MaxBitrate, 2 s closed GOP, CMAF with HLS + DASH.
        assert_eq!(
            body["role"],
            "arn:aws:iam::111122223333:role/vod-mediaconvert"
        );
        assert_eq!(body["userMetadata"]["vodPipeline"], "vod");
        let cmaf = &body["settings"]["outputGroups"][0]["outputGroupSettings"]["cmafGroupSettings"];
        assert_eq!(cmaf["writeHlsManifest"], "ENABLED");
        assert_eq!(cmaf["writeDashManifest"], "ENABLED");
        // The storyboard's sprites: 160 px thumbnails every 10 s, 10×10 to a tile image.
        assert_eq!(cmaf["imageBasedTrickPlay"], "ADVANCED");
        let tiles = &cmaf["imageBasedTrickPlaySettings"];
        assert_eq!(tiles["intervalCadence"], "FOLLOW_CUSTOM");
        assert_eq!(tiles["thumbnailInterval"], 10.0);
        assert_eq!(
            (tiles["tileWidth"].as_u64(), tiles["tileHeight"].as_u64()),
            (Some(10), Some(10))
        );
        let (w, h) = (
            tiles["thumbnailWidth"].as_u64().unwrap(),
            tiles["thumbnailHeight"].as_u64().unwrap(),
        );
        assert_eq!(w, 160, "{name}");
        assert_eq!((w % 8, h % 2), (0, 0), "{name}: {w}x{h}");
        assert_eq!(
            w > h,
            width > height,
            "{name}: thumbnails keep the orientation"
        );
        let h264 = &body["settings"]["outputGroups"][0]["outputs"][0]["videoDescription"]["codecSettings"]
            ["h264Settings"];
        assert_eq!(h264["rateControlMode"], "QVBR");
        assert!(h264["maxBitrate"].as_u64().unwrap() > 0);
        assert_eq!(
            (h264["gopSize"].as_f64(), h264["gopClosedCadence"].as_u64()),
            (Some(2.0), Some(1))
        );
        let sizes = video_sizes(&body);
        assert!(!sizes.is_empty());
        for (w, h) in &sizes {
            assert!(
                *w <= u64::from(width) && *h <= u64::from(height),
                "{name}: rung {w}x{h} above the source"
            );
            assert_eq!(w > h, width > height, "{name}: orientation kept");
        }
        vod_testkit::tools::assert_valid_create_job(&body, name);
    }
}

fn group<'a>(body: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    body["settings"]["outputGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no {name} group"))
}

fn frame_capture(body: &serde_json::Value, name: &str) -> serde_json::Value {
    group(body, name)["outputs"][0]["videoDescription"]["codecSettings"]["frameCaptureSettings"]
        .clone()
}

#[tokio::test]
async fn a_twelve_hour_source_and_an_absurd_stored_plan_both_build_valid_jobs() {
    let twelve_hours = plan_ladder(&lasting(1920, 1080, 43_200.0), &LadderPolicy::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let body = body_of(twelve_hours.clone()).await;
    let captures = frame_capture(&body, vod_aws::mediaconvert::GROUP_THUMBNAILS);
    assert_eq!(captures["maxCaptures"], 4321);
    assert_eq!(captures["framerateDenominator"], 10);
    vod_testkit::tools::assert_valid_create_job(&body, "twelve hours");

    // 10^12 s never gets a plan ...
    let absurd = plan_ladder(&lasting(1920, 1080, 1e12), &LadderPolicy::default());
    assert!(
        matches!(absurd, Err(LadderError::TooLong { .. })),
        "{absurd:?}"
    );
    // ... and a plan stored with the largest numbers its types hold still builds a job
    // MediaConvert takes: each one clamped to the setting's range.
    let mut plan = twelve_hours;
    plan.thumbnails = Some(ThumbnailPlan {
        interval_seconds: u32::MAX,
        max_captures: u32::MAX,
        poster_seconds: u32::MAX,
        ..plan.thumbnails.unwrap()
    });
    let body = body_of(plan).await;
    let captures = frame_capture(&body, vod_aws::mediaconvert::GROUP_THUMBNAILS);
    assert_eq!(captures["maxCaptures"], 10_000_000);
    assert_eq!(captures["framerateDenominator"], i64::from(i32::MAX));
    let trick_play = &group(&body, vod_aws::mediaconvert::GROUP_CMAF)["outputGroupSettings"]["cmafGroupSettings"]
        ["imageBasedTrickPlaySettings"];
    assert_eq!(trick_play["thumbnailInterval"], f64::from(i32::MAX));
    vod_testkit::tools::assert_valid_create_job(&body, "largest stored numbers");
}

#[tokio::test]
async fn the_av1_tier_adds_cmaf_av1_rungs_beside_h264_and_the_body_is_valid_for_botocore() {
    let mut policy = LadderPolicy {
        av1_tier: true,
        ..LadderPolicy::default()
    };
    policy.target_quality = Some(vod_core::pertitle::TargetQuality {
        top_vmaf: 94.0,
        step_vmaf: 1.0,
    });
    let body = body_of(plan_ladder(&probe(1920, 1080), &policy).unwrap()).await;
    vod_testkit::tools::assert_valid_create_job(&body, "av1 tier");
    let outputs = body["settings"]["outputGroups"][0]["outputs"]
        .as_array()
        .unwrap();
    let codec = |o: &serde_json::Value| o["videoDescription"]["codecSettings"]["codec"].clone();
    let h264: Vec<_> = outputs.iter().filter(|o| codec(o) == "H_264").collect();
    let av1: Vec<_> = outputs.iter().filter(|o| codec(o) == "AV1").collect();
    assert_eq!(h264.len(), av1.len(), "one AV1 rung per H.264 rung");
    assert!(!av1.is_empty());
    for (a, h) in av1.iter().zip(&h264) {
        assert_eq!(
            a["nameModifier"].as_str().unwrap(),
            format!("_av1{}", h["nameModifier"].as_str().unwrap())
        );
        let s = &a["videoDescription"]["codecSettings"]["av1Settings"];
        assert_eq!(s["rateControlMode"], "QVBR");
        assert_eq!(s["qvbrSettings"]["qvbrQualityLevel"], 8);
        // 2 s at 29.97 fps, in frames: AV1 has no GOP in seconds.
        assert_eq!(s["gopSize"], 60.0);
        assert!(
            s["maxBitrate"].as_u64().unwrap()
                < h["videoDescription"]["codecSettings"]["h264Settings"]["maxBitrate"]
                    .as_u64()
                    .unwrap()
        );
        assert_eq!(a["containerSettings"]["container"], "CMFC");
    }
}
