//! Jobs that complete: what the twin writes for a ladder (HLS + DASH from one CMAF segment
//! set, frame captures), for audio-only sources and short clips, and for the job our builder
//! emits from vod-core's default ladder.

use std::time::Instant;

use aws_sdk_mediaconvert::types as mc;
use serde_json::Value;
use vod_aws::mediaconvert::GROUP_THUMBNAILS;
use vod_core::AssetId;
use vod_core::ladder::ThumbnailPlan;

use crate::env::{
    Env, HEAVY, OUT, SRC, assert_valid_mpd, make_media, stream_inf, test_clip, validate_wire,
    video_size,
};
use crate::jobs::{
    asset_id, create_changed_job, ladder, rung, small_job, spec, submit, submitted_id,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ladder_job_writes_hls_dash_and_frame_captures_and_reports_complete() {
    let _heavy = HEAVY.lock().await;
    let env = Env::start().await;
    let clip = test_clip();
    let key = "uploads/my clip+1%.mp4";
    env.put_source(key, std::fs::read(&clip).expect("clip"))
        .await;
    let asset = AssetId::parse("0123456789abcdef0123456789abcdef").expect("asset id");
    let mut plan = ladder(vec![
        rung("_1080p", 1920, 1080, 6_000_000),
        rung("_720p", 1280, 720, 3_000_000),
        rung("_360p", 640, 360, 800_000),
    ]);
    // Thumbnails every 4 s (at most 3), the poster from 5 s in.
    plan.thumbnails = Some(ThumbnailPlan {
        interval_seconds: 4,
        width: 320,
        height: 180,
        max_captures: 3,
        poster_seconds: 5,
        poster_width: 1280,
        poster_height: 720,
    });
    let started = Instant::now();
    let id = submit(&env, &spec(key, &asset, plan)).await;
    let mut seen = Vec::new();
    let progressing = env.wait_for_event(&id, "PROGRESSING", &mut seen).await;
    assert_eq!(progressing["source"], "aws.mediaconvert");
    assert_eq!(progressing["detail-type"], "MediaConvert Job State Change");
    let complete = env.wait_for_event(&id, "COMPLETE", &mut seen).await;
    eprintln!("job {id} complete in {:?}", started.elapsed());
    let detail = &complete["detail"];
    assert_eq!(detail["userMetadata"]["vodAssetId"], asset.as_str());
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
        env.head(p).await;
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
        let line = stream_inf(&master, &format!("stream{m}.m3u8"));
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
    let sd = asset_id("sd/clip.mp4");
    let plan = ladder(vec![
        rung("_720p", 1280, 720, 3_000_000),
        rung("_480p", 854, 480, 1_400_000),
    ]);
    let id = submit(&env, &spec("sd/clip.mp4", &sd, plan)).await;
    let mut seen = Vec::new();
    let done = env.wait_for_event(&id, "COMPLETE", &mut seen).await;
    let mpd =
        String::from_utf8(env.get(OUT, &format!("assets/{sd}/stream.mpd")).await).expect("utf8");
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
    let tone = asset_id("podcast/tone.m4a");
    let id = submit(&env, &spec("podcast/tone.m4a", &tone, ladder(Vec::new()))).await;
    let mut seen = Vec::new();
    let done = env.wait_for_event(&id, "COMPLETE", &mut seen).await;
    let group = &done["detail"]["outputGroupDetails"][0];
    assert_eq!(group["outputDetails"][0]["durationInMs"], 8_000, "{group}");
    assert!(
        group["outputDetails"][0].get("videoDetails").is_none(),
        "{group}"
    );
    let master =
        String::from_utf8(env.get(OUT, &format!("assets/{tone}/stream.m3u8")).await).expect("utf8");
    assert!(
        master.contains("CODECS=\"mp4a.40.2\"\nstream_audio.m3u8"),
        "{master}"
    );
    // Video outputs from an audio-only source: ERROR 1040, and the queue moves on.
    let tone_video = asset_id("tone-video");
    let video = submit(&env, &small_job("podcast/tone.m4a", &tone_video)).await;
    let e = env.wait_for_event(&video, "ERROR", &mut seen).await;
    assert_eq!(e["detail"]["errorCode"], 1040, "{e}");
    assert!(
        e["detail"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("no video stream")),
        "{e}"
    );
    let mpd = env.get(OUT, &format!("assets/{tone}/stream.mpd")).await;
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
    let short = asset_id("short/clip.mp4");
    let mut plan = ladder(vec![rung("_180p", 320, 180, 400_000)]);
    plan.thumbnails = Some(ThumbnailPlan {
        interval_seconds: 3,
        width: 160,
        height: 90,
        max_captures: 100,
        poster_seconds: 10,
        poster_width: 320,
        poster_height: 180,
    });
    let job = spec("short/clip.mp4", &short, plan);
    // Thumbnails every 1.5 s: framerate 2/3, which whole-second intervals cannot say.
    let request = create_changed_job(&env, &job, |settings| {
        let thumbs = settings
            .output_groups
            .iter_mut()
            .flatten()
            .find(|g| g.name.as_deref() == Some(GROUP_THUMBNAILS))
            .and_then(|g| g.outputs.as_mut())
            .and_then(|o| o.first_mut());
        let fc = thumbs
            .and_then(|o| o.video_description.as_mut())
            .and_then(|v| v.codec_settings.as_mut())
            .and_then(|c| c.frame_capture_settings.as_mut())
            .expect("frame capture settings");
        fc.framerate_numerator = Some(2);
    });
    let id = submitted_id(request).await;
    let mut seen = Vec::new();
    let done = env.wait_for_event(&id, "COMPLETE", &mut seen).await;
    // As on MediaConvert, a frame-capture output reports only its last file; list them all.
    let listed = |prefix: String| {
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
    let poster = listed(format!("assets/{short}/poster/")).await;
    let thumbs = listed(format!("assets/{short}/thumbs/")).await;
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
    let asset = AssetId::derive(SRC, key, "etag");
    let id = submit(&env, &spec(key, &asset, plan.clone())).await;
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
            env.head(p.as_str().expect("path")).await;
        }
    }
    let master = String::from_utf8(env.get(OUT, &format!("assets/{asset}/stream.m3u8")).await)
        .expect("utf8");
    for rung in &plan.rungs {
        let inf = stream_inf(&master, &format!("stream{}.m3u8", rung.name));
        assert!(
            inf.contains(&format!("RESOLUTION={}x{}", rung.width, rung.height)),
            "{inf}"
        );
        assert!(inf.contains("CODECS="), "{inf}");
    }
    let mpd = env.get(OUT, &format!("assets/{asset}/stream.mpd")).await;
    assert_valid_mpd(&mpd);

    // Trick play: the MPD's thumbnail track names tiles that exist, each as large as the grid
    // of thumbnails the track promises (what a storyboard crops from).
    let text = String::from_utf8(mpd).expect("utf8");
    let base = format!("https://cdn.example/assets/{asset}/");
    let tiles = vod_core::storyboard::ThumbnailTiles::from_mpd(&text, &format!("{base}stream.mpd"))
        .expect("a readable thumbnail track")
        .expect("a thumbnail track");
    assert_eq!(
        (tiles.columns, tiles.rows, tiles.width, tiles.height),
        (10, 10, 160, 90),
        "{text}"
    );
    assert_eq!(tiles.thumbnail_ms(), 10_000);
    let cues = tiles.cues(10.0);
    assert_eq!(cues.len(), 1, "{cues:?}");
    let url = tiles.tile_url(0).expect("tile 1");
    let key = url.strip_prefix(&base).expect("beside the manifest");
    let jpeg = env.get(OUT, &format!("assets/{asset}/{key}")).await;
    assert_eq!(
        vod_testkit::media::jpeg_size(&jpeg),
        Some((1600, 900)),
        "{key}"
    );
    if std::env::var_os("VOD_BLESS").is_some() {
        let fixture =
            vod_testkit::repo_root().join("crates/vod-core/tests/fixtures/twin-stream.mpd");
        std::fs::write(fixture, text.replace(asset.as_str(), "ASSET")).expect("fixture");
    }
}
