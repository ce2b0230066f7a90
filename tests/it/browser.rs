//! The pipeline's own output in Chromium: a clip goes through upload → probe → twin
//! transcode → completion, then the local CDN's player page must play the ladder the record
//! lists, with HLS and DASH, past 3 s, without player errors. Skips (counted by `make test`)
//! only without Chromium; see `vod_testkit::browser`.

use std::path::PathBuf;
use vod_e2e::{Pipeline, clip};
use vod_testkit::browser;

fn player_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/vod-cdn-local/player")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_made_asset_plays_hls_and_dash_in_chromium() {
    const TEST: &str = "a_pipeline_made_asset_plays_hls_and_dash_in_chromium";
    if !browser::can_run(TEST, &player_dir()) {
        return;
    }
    let p = Pipeline::start().await.unwrap();
    let key = "browser/pipeline clip.mp4";
    let id = p
        .upload(key, std::fs::read(clip(1280, 720, 12).unwrap()).unwrap())
        .await
        .unwrap();
    let record = p.wait_final(key).await.unwrap();
    assert_eq!(record["status"], "COMPLETE", "{record:#}");
    assert_eq!(record["assetId"], id.as_str());

    let cdn = p.local.endpoints().cdn.clone();
    let asset = id.to_string();
    let stdout = tokio::task::spawn_blocking(move || {
        browser::run_player_test(
            &player_dir(),
            &[
                ("VOD_PIPELINE_CDN_URL", cdn.as_str()),
                ("VOD_PIPELINE_ASSET_ID", asset.as_str()),
            ],
            &["VOD_CDN_URL", "VOD_ASSET_ID"],
        )
    })
    .await
    .expect("the player test runs");
    assert!(stdout.contains("pass 1"), "{stdout}");
    p.shutdown().await;
}
