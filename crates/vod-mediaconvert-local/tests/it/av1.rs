//! The AV1 tier on the twin: AV1 CMAF rungs beside the H.264 ones in one group, encoded by
//! SVT-AV1, listed in the HLS master with an `av01` CODECS entry and in the MPD as an adaptation
//! set of their own; and the quality search (QVBR as a VMAF target on sampled chunks).

use vod_core::AssetId;
use vod_core::ladder::Rung;
use vod_core::pertitle::Av1Tier;
use vod_mediaconvert_local::plan::{CmafMedia, EncoderOptions, JobPlan, OutputGroup, RateControl};
use vod_mediaconvert_local::quality::{MAX_PROBES, Samples, search_crfs};
use vod_mediaconvert_local::{CreateJobRequest, identify, probe};

use crate::env::{Env, HEAVY, OUT, assert_valid_mpd, stream_inf, test_clip, video_size};
use crate::jobs::{ladder, rung, spec, submit};

fn av1(r: &Rung) -> Rung {
    Rung {
        name: format!("_av1{}", r.name),
        max_bitrate_bps: r.max_bitrate_bps * 6 / 10,
        ..r.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_av1_tier_is_listed_with_av01_codecs_beside_h264_and_decodes() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    let key = "uploads/av1 tier.mp4";
    env.put_source(key, std::fs::read(test_clip()).expect("clip"))
        .await;
    let asset = AssetId::parse("0123456789abcdef0123456789abcde1").expect("asset id");
    let h264 = vec![
        rung("_360p", 640, 360, 800_000),
        rung("_180p", 320, 180, 400_000),
    ];
    let mut plan = ladder(h264.clone());
    plan.av1 = Some(Av1Tier {
        rungs: h264.iter().map(av1).collect(),
        gop_frames: 60,
    });
    let id = submit(&env, &spec(key, &asset, plan)).await;
    let mut seen = Vec::new();
    env.wait_for_event(&id, "COMPLETE", &mut seen).await;

    let master = String::from_utf8(env.get(OUT, &format!("assets/{asset}/stream.m3u8")).await)
        .expect("utf8");
    for (m, res) in [("_360p", "640x360"), ("_180p", "320x180")] {
        let h = stream_inf(&master, &format!("stream{m}.m3u8"));
        assert!(h.contains("CODECS=\"avc1.64"), "{h}");
        let a = stream_inf(&master, &format!("stream_av1{m}.m3u8"));
        assert!(a.contains("CODECS=\"av01.0."), "{a}");
        assert!(a.contains(",mp4a.40.2\""), "{a}");
        assert!(a.contains(&format!("RESOLUTION={res}")), "{a}");
        assert!(a.contains("AUDIO=\"audio\""), "{a}");
    }

    // The AV1 rungs are an adaptation set of their own, and the MPD stays schema-valid.
    let mpd = env.get(OUT, &format!("assets/{asset}/stream.mpd")).await;
    let text = String::from_utf8_lossy(&mpd);
    assert_eq!(text.matches("<AdaptationSet").count(), 3, "{text}");
    assert!(text.contains("codecs=\"av01.0."), "{text}");
    assert_valid_mpd(&mpd);

    // Each AV1 rung's first segment decodes at its size.
    let work = tempfile::tempdir().expect("tmp");
    for (m, size) in [("_av1_360p", (640, 360)), ("_av1_180p", (320, 180))] {
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
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quality_search_picks_a_crf_that_meets_each_levels_vmaf_on_the_samples() {
    let _heavy = HEAVY.lock().await;
    let h264 = vec![rung("_180p", 320, 180, 400_000)];
    let mut plan = ladder(h264.clone());
    plan.av1 = Some(Av1Tier {
        rungs: h264.iter().map(av1).collect(),
        gop_frames: 60,
    });
    let body = vod_aws::mediaconvert::plan_request_body(
        &spec("uploads/search.mp4", &AssetId::derive("s", "k", "e"), plan),
        &vod_aws::mediaconvert::JobOptions::new("arn:aws:iam::000000000000:role/R"),
    )
    .await
    .expect("body");
    let mut job = JobPlan::from_request(&CreateJobRequest::from_wire(&body).expect("request"))
        .expect("valid job");
    let ffmpeg = vod_mediaconvert_local::find_ffmpeg().expect("ffmpeg");
    let input = identify(&test_clip()).await.expect("identify");
    let source = probe(&ffmpeg, &input).await.expect("probe");
    let samples = Samples::cut(&ffmpeg, &input, &source, 0.5).expect("samples");
    let results =
        search_crfs(&ffmpeg, &samples, &mut job, &EncoderOptions::default()).expect("search");
    assert_eq!(
        results.iter().map(|r| r.codec).collect::<Vec<_>>(),
        vec!["h264", "av1"]
    );
    for r in &results {
        assert!(r.vmaf >= r.target_vmaf, "{r:?}");
        assert!(r.probes.len() <= MAX_PROBES, "{r:?}");
    }
    // The job now carries the CRFs found.
    let OutputGroup::Cmaf(cmaf) = &job.groups[0] else {
        panic!("CMAF first")
    };
    let crfs: Vec<f64> = cmaf
        .outputs
        .iter()
        .filter_map(|o| match &o.media {
            CmafMedia::Video(v) => match v.rate {
                RateControl::Qvbr { crf, .. } => Some(crf),
                _ => None,
            },
            CmafMedia::Audio(_) => None,
        })
        .collect();
    assert_eq!(crfs, results.iter().map(|r| r.crf).collect::<Vec<_>>());
}
