//! The player page plays the AV1 tier in Chromium: an asset whose HLS master lists an H.264
//! and an AV1 (`av01`) rendition of the same size, the AV1 one in a DASH adaptation set of its
//! own, as the twin packages the AV1 tier. hls.js lists both; picking the AV1 level plays it.
//! (Debian's Chromium decodes AV1 with dav1d.) Skips only when Chromium is missing.

use std::path::PathBuf;
use std::process::Command;

use vod_cdn_local::default_player_dir;
use vod_core::record::Playback;

use crate::browser::{listener, run, serve};
use crate::support::{Twin, asset_id};
use vod_testkit::browser;

/// Bump when the generated media changes, so a cached copy is not reused.
const MEDIA_VERSION: &str = "v1";

/// 8 s of 640×360 as H.264 and AV1 (SVT-AV1) + AAC, 2 s aligned GOPs, one fMP4 packaging.
fn av1_asset() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cdn-player-av1-asset-{MEDIA_VERSION}"));
    if dir.join("complete").exists() {
        return dir;
    }
    let work = dir.with_extension("partial");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("mkdir");
    run(Command::new(vod_testkit::media::ffmpeg())
        .current_dir(&work)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args([
            "-f",
            "lavfi",
            "-t",
            "8",
            "-i",
            "testsrc2=size=640x360:rate=30",
        ])
        .args([
            "-f",
            "lavfi",
            "-t",
            "8",
            "-i",
            "sine=frequency=440:sample_rate=48000",
        ])
        .args([
            "-map", "0:v", "-map", "0:v", "-map", "1:a", "-pix_fmt", "yuv420p",
        ])
        .args([
            "-c:v:0",
            "libx264",
            "-preset:v:0",
            "ultrafast",
            "-b:v:0",
            "600k",
        ])
        .args(["-c:v:1", "libsvtav1", "-preset:v:1", "12", "-crf:v:1", "40"])
        .args(["-g", "60", "-force_key_frames", "expr:gte(t,n_forced*2)"])
        .args(["-c:a", "aac", "-b:a", "96k", "-ac", "2"])
        .args([
            "-f",
            "dash",
            "-seg_duration",
            "2",
            "-use_template",
            "1",
            "-use_timeline",
            "0",
        ])
        .args(["-hls_playlist", "1", "-hls_master_name", "stream.m3u8"])
        .args([
            "-adaptation_sets",
            "id=0,streams=0 id=1,streams=1 id=2,streams=a",
        ])
        .args(["-init_seg_name", "init_$RepresentationID$.m4s"])
        .args([
            "-media_seg_name",
            "chunk_$RepresentationID$_$Number%05d$.m4s",
        ])
        .arg("stream.mpd"));
    let master = std::fs::read_to_string(work.join("stream.m3u8")).expect("master");
    assert!(
        master.contains("av01."),
        "no av01 variant in the master:\n{master}"
    );
    std::fs::write(work.join("complete"), "").expect("marker");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&work, &dir).expect("publish the asset");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn player_page_plays_the_av1_tier_in_chromium() {
    if !browser::can_run(
        "player_page_plays_the_av1_tier_in_chromium",
        &default_player_dir(),
    ) {
        return;
    }
    let media = tokio::task::spawn_blocking(av1_asset)
        .await
        .expect("ffmpeg task");
    let twin = Twin::start().await;
    let (cdn_listener, base) = listener().await;
    let id = asset_id("browser-av1");
    let uploaded = twin.upload_dir(&media, &format!("assets/{id}/")).await;
    assert!(uploaded > 10, "{uploaded} files");
    let at = |rel: &str| format!("{base}/assets/{id}/{rel}");
    twin.put_complete_record(
        &id,
        Playback {
            hls_url: Some(at("stream.m3u8")),
            dash_url: Some(at("stream.mpd")),
            poster_url: None,
            thumbnail_series: None,
            storyboard_url: None,
            mp4_url: None,
        },
    )
    .await;
    serve(cdn_listener, twin.config(&base, None)).await;
    let env = [
        ("VOD_AV1_CDN_URL", base),
        ("VOD_AV1_ASSET_ID", id.to_string()),
    ];
    let stdout = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        browser::run_player_test(&default_player_dir(), &env, &[])
    })
    .await
    .expect("the player test runs");
    assert!(
        stdout.contains("pass 1") && stdout.contains("fail 0"),
        "{stdout}"
    );
}
