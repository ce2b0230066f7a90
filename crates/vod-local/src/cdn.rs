//! Placeholder CDN until `vod-cdn-local` is in the workspace: objects of the output bucket by
//! key, and a bare player page. Replaced by `vod_cdn_local::router` (cache rules, ranges,
//! signed URLs, the real player).

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use vod_core::ports::AssetStore;

struct Cdn {
    s3: aws_sdk_s3::Client,
    bucket: String,
    store: Arc<dyn AssetStore>,
}

pub fn router(s3: aws_sdk_s3::Client, bucket: String, store: Arc<dyn AssetStore>) -> axum::Router {
    axum::Router::new()
        .route("/player/{asset_id}", get(player))
        .fallback(object)
        .with_state(Arc::new(Cdn { s3, bucket, store }))
}

fn content_type(key: &str) -> &'static str {
    match key.rsplit('.').next().unwrap_or_default() {
        "m3u8" => "application/vnd.apple.mpegurl",
        "mpd" => "application/dash+xml",
        "mp4" | "cmfv" | "m4s" => "video/mp4",
        "cmfa" | "m4a" => "audio/mp4",
        "ts" => "video/mp2t",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "vtt" => "text/vtt",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

async fn object(State(cdn): State<Arc<Cdn>>, uri: Uri) -> Response {
    let raw = uri.path().trim_start_matches('/');
    let key = percent_encoding::percent_decode_str(raw).decode_utf8_lossy().into_owned();
    if key.is_empty() || key.split('/').any(|s| s == ".." || s == ".") {
        return StatusCode::NOT_FOUND.into_response();
    }
    match cdn.s3.get_object().bucket(&cdn.bucket).key(&key).send().await {
        Ok(out) => match out.body.collect().await {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, content_type(&key)),
                    (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                ],
                bytes.into_bytes(),
            )
                .into_response(),
            Err(_) => StatusCode::BAD_GATEWAY.into_response(),
        },
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

async fn player(State(cdn): State<Arc<Cdn>>, Path(asset_id): Path<String>) -> Response {
    let Ok(id) = vod_core::AssetId::parse(&asset_id) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let record = match cdn.store.get(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let hls = record.playback.as_ref().and_then(|p| p.hls_url.clone()).unwrap_or_default();
    let json = serde_json::to_string_pretty(&record).unwrap_or_default().replace('<', "\\u003c");
    Html(format!(
        r#"<!doctype html><meta charset="utf-8"><title>{id}</title>
<script src="https://cdn.jsdelivr.net/npm/hls.js@1"></script>
<h1>{id} — {status}</h1><video id="v" controls width="960"></video>
<pre id="r"></pre>
<script>
const record = {json};
document.getElementById('r').textContent = JSON.stringify(record, null, 2);
const v = document.getElementById('v'), src = "{hls}";
if (src && v.canPlayType('application/vnd.apple.mpegurl')) v.src = src;
else if (src && window.Hls) {{ const h = new Hls(); h.loadSource(src); h.attachMedia(v); }}
</script>"#,
        status = record.status.as_str()
    ))
    .into_response()
}
