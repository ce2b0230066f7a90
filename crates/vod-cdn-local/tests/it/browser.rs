//! The player page in Chromium (playwright-core via `node --test`) for a real asset: ffmpeg
//! makes a 12 s clip as two H.264 rungs + AAC in fMP4 with an HLS master and a DASH MPD,
//! uploaded to moto with a COMPLETE record, served by two CDNs (open and signed).
//!
//! Skips (counted by `make test`) only when Chromium is missing; see `vod_testkit::browser`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use vod_cdn_local::{CdnConfig, default_player_dir};
use vod_core::AssetId;
use vod_core::record::{Playback, ThumbnailSeries};

use crate::support::{Twin, asset_id, signing_config};
use vod_testkit::browser;

/// Bump when the generated media changes, so a cached copy is not reused.
const MEDIA_VERSION: &str = "v1";
pub(crate) fn run(command: &mut Command) {
    let output = command.output().expect("spawn");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// HLS (`stream.m3u8` master with CODECS/RESOLUTION) + DASH (`stream.mpd`) over the same fMP4
/// segments, 720p and 360p with 2 s aligned GOPs, AAC audio; thumbnails every 2 s, a poster
/// and a WebVTT storyboard. Cached under the target dir.
fn real_asset() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cdn-player-asset-{MEDIA_VERSION}"));
    if dir.join("complete").exists() {
        return dir;
    }
    let work = dir.with_extension("partial");
    let _ = std::fs::remove_dir_all(&work);
    for sub in ["thumbs", "poster"] {
        std::fs::create_dir_all(work.join(sub)).expect("mkdir");
    }
    run(Command::new(vod_testkit::media::ffmpeg())
        .current_dir(&work)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        // Input durations, so every output (also the thumbnails) ends at 12 s.
        .args([
            "-f",
            "lavfi",
            "-t",
            "12",
            "-i",
            "testsrc2=size=1280x720:rate=30",
        ])
        .args([
            "-f",
            "lavfi",
            "-t",
            "12",
            "-i",
            "sine=frequency=440:sample_rate=48000",
        ])
        // Two video rungs + audio into one DASH/HLS packaging.
        .args(["-map", "0:v", "-map", "0:v", "-map", "1:a"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-profile:v",
            "main",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-filter:v:1", "scale=640:360"])
        .args([
            "-b:v:0",
            "1800k",
            "-maxrate:v:0",
            "2000k",
            "-bufsize:v:0",
            "4000k",
        ])
        .args([
            "-b:v:1",
            "500k",
            "-maxrate:v:1",
            "600k",
            "-bufsize:v:1",
            "1200k",
        ])
        .args(["-g", "60", "-keyint_min", "60", "-sc_threshold", "0"])
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
        .args(["-adaptation_sets", "id=0,streams=v id=1,streams=a"])
        .args(["-init_seg_name", "init_$RepresentationID$.m4s"])
        .args([
            "-media_seg_name",
            "chunk_$RepresentationID$_$Number%05d$.m4s",
        ])
        .arg("stream.mpd")
        // Thumbnails every 2 s and a poster, from the same decode.
        .args([
            "-map",
            "0:v",
            "-vf",
            "fps=1/2,scale=160:90",
            "-start_number",
            "0",
        ])
        .arg("thumbs/thumb.%07d.jpg")
        .args([
            "-map",
            "0:v",
            "-vf",
            "select=eq(n\\,45),scale=640:360",
            "-frames:v",
            "1",
            "-update",
            "1",
        ])
        .arg("poster/poster.0000001.jpg"));
    let mut vtt = String::from("WEBVTT\n\n");
    for i in 0..6 {
        let t = |s: u32| format!("00:00:{s:02}.000");
        vtt.push_str(&format!(
            "{} --> {}\nthumbs/thumb.{i:07}.jpg#xywh=0,0,160,90\n\n",
            t(i * 2),
            t(i * 2 + 2)
        ));
    }
    std::fs::write(work.join("storyboard.vtt"), vtt).expect("write vtt");
    let master = std::fs::read_to_string(work.join("stream.m3u8")).expect("master");
    assert!(
        master.contains("RESOLUTION=1280x720") && master.contains("CODECS="),
        "{master}"
    );
    std::fs::write(work.join("complete"), "").expect("marker");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&work, &dir).expect("publish the asset");
    dir
}

/// Serves `config` on a fresh 127.0.0.1 port with connect info, like vod-local does.
pub(crate) async fn serve(listener: tokio::net::TcpListener, config: CdnConfig) {
    let app = vod_cdn_local::router(config);
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
}

pub(crate) async fn listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    (listener, base)
}

fn playback_urls(base: &str, id: &AssetId) -> Playback {
    let at = |rel: &str| format!("{base}/assets/{id}/{rel}");
    Playback {
        hls_url: Some(at("stream.m3u8")),
        dash_url: Some(at("stream.mpd")),
        poster_url: Some(at("poster/poster.0000001.jpg")),
        thumbnail_series: Some(ThumbnailSeries {
            url_template: at("thumbs/thumb.$Number%07d$.jpg"),
            count: 6,
            interval_seconds: 2,
            width: None,
            height: None,
        }),
        storyboard_url: Some(at("storyboard.vtt")),
        mp4_url: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn player_page_plays_hls_and_dash_in_chromium() {
    if !browser::can_run(
        "player_page_plays_hls_and_dash_in_chromium",
        &default_player_dir(),
    ) {
        return;
    }
    let media = tokio::task::spawn_blocking(real_asset)
        .await
        .expect("ffmpeg task");
    let twin = Twin::start().await;

    let (open_listener, open_base) = listener().await;
    let (signed_listener, signed_base) = listener().await;
    let open_id = asset_id("browser-open");
    let signed_id = asset_id("browser-signed");
    let broken_id = asset_id("browser-broken");
    for id in [&open_id, &signed_id] {
        let uploaded = twin.upload_dir(&media, &format!("assets/{id}/")).await;
        assert!(uploaded > 20, "{uploaded} files");
    }
    twin.put_complete_record(&open_id, playback_urls(&open_base, &open_id))
        .await;
    twin.put_complete_record(&signed_id, playback_urls(&signed_base, &signed_id))
        .await;
    // A record whose manifests were never written: the page must say 404, not spin.
    twin.put_complete_record(&broken_id, playback_urls(&open_base, &broken_id))
        .await;

    serve(open_listener, twin.config(&open_base, None)).await;
    serve(
        signed_listener,
        twin.config(&signed_base, Some(signing_config())),
    )
    .await;

    let env = [
        ("VOD_CDN_URL", open_base.clone()),
        ("VOD_ASSET_ID", open_id.to_string()),
        ("VOD_BROKEN_ASSET_ID", broken_id.to_string()),
        ("VOD_SIGNED_CDN_URL", signed_base.clone()),
        ("VOD_SIGNED_ASSET_ID", signed_id.to_string()),
    ];
    let stdout = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        browser::run_player_test(&default_player_dir(), &env, &[])
    })
    .await
    .expect("the player test runs");
    assert!(
        stdout.contains("# pass 3") || stdout.contains("pass 3"),
        "{stdout}"
    );
}
