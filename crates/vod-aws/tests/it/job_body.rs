use vod_aws::mediaconvert::{JobOptions, plan_request_body};
use vod_core::AssetId;
use vod_core::job::JobSpec;
use vod_core::ladder::{LadderPolicy, plan_ladder};
use vod_core::probe::{AudioTrack, ProbeReport, VideoTrack};

fn probe(width: u32, height: u32) -> ProbeReport {
    ProbeReport {
        duration_seconds: Some(300.0),
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
    let plan = plan_ladder(&probe(width, height), &LadderPolicy::default()).unwrap();
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
