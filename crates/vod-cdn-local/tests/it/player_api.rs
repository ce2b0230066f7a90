//! The record API and the player page's own files.

use axum::http::StatusCode;
use vod_core::ports::AssetStore;
use vod_core::record::Playback;

use crate::support::{Twin, asset_id, get};

#[tokio::test]
async fn record_api_and_player_files() {
    let twin = Twin::start().await;
    let id = asset_id("record");
    twin.put_complete_record(
        &id,
        Playback {
            hls_url: Some(format!("http://cdn.test:4568/assets/{id}/stream.m3u8")),
            ..Playback::default()
        },
    )
    .await;
    let app = twin.app(None);

    let reply = get(&app, &format!("/api/assets/{id}"), &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    );
    let served: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    let stored = twin.store.get(&id).await.expect("get").expect("present");
    assert_eq!(served, serde_json::to_value(&stored).expect("json"));
    assert_eq!(served["status"], "COMPLETE");

    let absent = get(&app, &format!("/api/assets/{}", asset_id("absent")), &[]).await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    assert!(absent.text().contains("no asset"), "{}", absent.text());
    assert_eq!(
        get(&app, "/api/assets/not-an-id", &[]).await.status,
        StatusCode::NOT_FOUND
    );

    let page = get(&app, &format!("/player/{id}"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
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
