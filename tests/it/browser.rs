//! The pipeline's own output in Chromium: a clip goes through upload → probe → twin
//! transcode → completion, then the local CDN's player page must play the ladder the record
//! lists, with HLS and DASH, past 3 s, without player errors. Skips (counted by `make test`)
//! only without Chromium; see `vod_testkit::browser`.

use std::path::PathBuf;
use std::time::Duration;
use vod_e2e::{Pipeline, clip};
use vod_testkit::browser::{self, chromium};

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

    let node = tokio::process::Command::new("node")
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg(player_dir().join("test/playback.test.mjs"))
        .current_dir(player_dir())
        .env("VOD_CHROMIUM", chromium())
        .env("VOD_PIPELINE_CDN_URL", p.local.endpoints().cdn.as_str())
        .env("VOD_PIPELINE_ASSET_ID", &id)
        .env_remove("VOD_CDN_URL")
        .env_remove("VOD_ASSET_ID")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(150), node)
        .await
        .expect("the browser test finishes within 150 s")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    assert!(
        output.status.success(),
        "node --test failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("pass 1"), "{stdout}");
    p.shutdown().await;
}
