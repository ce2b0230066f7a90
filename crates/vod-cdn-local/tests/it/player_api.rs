//! The record API (the player's view of a record, nothing the pipeline keeps for itself) and
//! the player page's own files.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use chrono::Utc;
use serde_json::json;
use vod_core::ports::AssetStore;
use vod_core::record::{JobRef, Playback, Rendition};

use crate::support::{Twin, asset_id, complete_record, get};

#[tokio::test]
async fn record_api_and_player_files() {
    let twin = Twin::start().await;
    let id = asset_id("record");
    let mut record = complete_record(
        &id,
        Playback {
            hls_url: Some(format!("http://cdn.test:4568/assets/{id}/stream.m3u8")),
            ..Playback::default()
        },
    );
    // What the pipeline keeps for itself: none of it may reach a viewer.
    record.claimed_by = Some("arn:aws:states:us-east-1:1:execution:vod:SECRET-EXECUTION".into());
    record.job = Some(JobRef {
        job_id: "SECRET-JOB-ID".into(),
        submitted_at: Utc::now(),
        task_token: "SECRET-TASK-TOKEN".into(),
    });
    record.renditions = vec![Rendition {
        kind: vod_core::record::RenditionKind::Video,
        width: Some(1280),
        height: Some(720),
        max_bitrate_bps: Some(3_000_000),
        duration_ms: Some(12_000),
        files: vec!["s3://secret-output/assets/x/stream_720p.m3u8".into()],
    }];
    record.outputs = vec!["s3://secret-output/assets/x/stream.m3u8".into()];
    twin.store.claim(&record).await.expect("store the record");
    let app = twin.app(None);

    let reply = get(&app, &format!("/api/assets/{id}"), &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    );
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    let served: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    let keys: BTreeSet<&str> = served
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "assetId",
            "status",
            "progressPercent",
            "durationSeconds",
            "renditions",
            "playback",
            "updatedAt"
        ])
    );
    assert_eq!(served["assetId"], id.as_str());
    assert_eq!(served["status"], "COMPLETE");
    assert_eq!(served["durationSeconds"], 12.0);
    assert_eq!(
        served["renditions"],
        json!([{ "kind": "video", "width": 1280, "height": 720, "maxBitrateBps": 3_000_000 }])
    );
    assert_eq!(
        served["playback"],
        serde_json::to_value(record.playback.as_ref()).expect("json")
    );
    for secret in [
        "SECRET-TASK-TOKEN",
        "SECRET-JOB-ID",
        "SECRET-EXECUTION",
        "s3://",
        "vod-source",
    ] {
        assert!(!reply.text().contains(secret), "{secret}: {}", reply.text());
    }

    let absent = get(&app, &format!("/api/assets/{}", asset_id("absent")), &[]).await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    assert!(absent.text().contains("no asset"), "{}", absent.text());
    assert_eq!(
        get(&app, "/api/assets/not-an-id", &[]).await.status,
        StatusCode::NOT_FOUND
    );

    let page = get(&app, &format!("/player/{id}"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let html = page.text();
    assert!(html.contains(&format!("data-asset-id=\"{id}\"")), "{html}");
    assert!(!html.contains("https://"), "no CDN links in the page");
    for script in [
        "/player-assets/vendor/hls.min.js",
        "/player-assets/vendor/dash.all.min.js",
        "/player-assets/static/player.js",
    ] {
        assert!(html.contains(script), "{script}");
    }
    assert_eq!(
        get(&app, "/player/..%2f..%2fCargo.toml", &[]).await.status,
        StatusCode::NOT_FOUND
    );

    let js = get(&app, "/player-assets/static/player.js", &[]).await;
    assert_eq!(js.status, StatusCode::OK);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(js.text().contains("vodPlayerState"));
    for refused in [
        "/player-assets/static/..%2f..%2fCargo.toml",
        "/player-assets/static/../package.json",
        "/player-assets/vendor/playwright-core.js",
        "/player-assets/package.json",
    ] {
        assert_eq!(
            get(&app, refused, &[]).await.status,
            StatusCode::NOT_FOUND,
            "{refused}"
        );
    }
    let hls = get(&app, "/player-assets/vendor/hls.min.js", &[]).await;
    if vod_cdn_local::default_player_dir()
        .join("node_modules")
        .exists()
    {
        assert_eq!(hls.status, StatusCode::OK);
    } else {
        assert_eq!(hls.status, StatusCode::NOT_FOUND);
        assert!(hls.text().contains("npm ci"), "{}", hls.text());
    }
}

/// The CORS and security headers are written once ([`vod_cdn_local::RESPONSE_HEADERS`]) and
/// checked in as `docs/contracts/cdn-response-headers.json`, which the CDK app builds its
/// response headers policy from (`VOD_BLESS=1 cargo test -p vod-cdn-local` rewrites it).
#[test]
fn the_cdk_reads_the_same_response_headers() {
    let relative = "docs/contracts/cdn-response-headers.json";
    let path = vod_testkit::repo_root().join(relative);
    let generated = vod_cdn_local::response_headers::contract_json();
    if std::env::var_os("VOD_BLESS").is_some() {
        let text = format!(
            "{}\n",
            serde_json::to_string_pretty(&generated).expect("json")
        );
        std::fs::write(&path, text).expect("write the contract");
        return;
    }
    let on_disk: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    assert!(
        on_disk == generated,
        "{relative} is out of date: run `VOD_BLESS=1 cargo test -p vod-cdn-local` and commit it\n{generated:#}"
    );
    assert_eq!(generated["cors"]["allowCredentials"], false);
    assert_eq!(generated["security"]["contentTypeOptions"], true);
}
