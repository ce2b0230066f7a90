//! The player page, its files, and the two JSON endpoints it reads. None of these are signed:
//! they are how a viewer gets credentials in the first place.

use std::io::ErrorKind;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use vod_core::AssetId;
use vod_core::record::AssetRecord;
use vod_signing::{CookieAttributes, PlaybackRequest, SameSite};

use crate::Cdn;
use crate::record_view::PlayerRecord;

/// What to run when the players are missing.
pub const NPM_INSTALL_HINT: &str = "npm ci --prefix crates/vod-cdn-local/player";

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn json_error(status: StatusCode, message: String) -> Response {
    no_store((status, Json(json!({ "error": message }))).into_response())
}

async fn load(cdn: &Cdn, text: &str) -> Result<AssetRecord, Response> {
    let id = AssetId::parse(text).map_err(|e| json_error(StatusCode::NOT_FOUND, e.to_string()))?;
    match cdn.store.get(&id).await {
        Ok(Some(record)) => Ok(record),
        Ok(None) => Err(json_error(
            StatusCode::NOT_FOUND,
            format!("no asset {id} in the asset table"),
        )),
        Err(error) => {
            tracing::warn!(%id, %error, "reading the asset record failed");
            Err(json_error(
                StatusCode::BAD_GATEWAY,
                format!("reading the record of {id} failed: {error}"),
            ))
        }
    }
}

/// `GET /player/<assetId>`.
pub(crate) async fn page(State(cdn): State<Arc<Cdn>>, Path(asset_id): Path<String>) -> Response {
    let id = match AssetId::parse(&asset_id) {
        Ok(id) => id,
        Err(e) => return no_store((StatusCode::NOT_FOUND, e.to_string()).into_response()),
    };
    // `id` is 32 lower-case hex characters, safe to put in HTML as is.
    let signed = cdn.signing.is_some();
    let mode = if signed { "signed" } else { "open" };
    no_store(Html(format!(r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Asset {id} · local CDN player</title>
<link rel="stylesheet" href="/player-assets/static/player.css">
</head>
<body data-asset-id="{id}" data-signed="{signed}">
<header>
  <h1>Asset <code>{id}</code></h1>
  <span class="badge" id="mode">{mode} distribution</span>
  <span id="asset-status"></span>
</header>
<div class="error" id="page-error" hidden></div>
<main>
  <section class="player" id="hls">
    <h2>HLS <small>hls.js</small></h2>
    <video id="hls-video" controls muted playsinline></video>
    <label>Quality <select id="hls-quality" disabled><option value="-1">Auto</option></select></label>
    <div class="info" id="hls-info"></div>
    <div class="error" id="hls-error" hidden></div>
  </section>
  <section class="player" id="dash">
    <h2>DASH <small>dash.js</small></h2>
    <video id="dash-video" controls muted playsinline></video>
    <label>Quality <select id="dash-quality" disabled><option value="-1">Auto</option></select></label>
    <div class="info" id="dash-info"></div>
    <div class="error" id="dash-error" hidden></div>
  </section>
  <section id="poster-section">
    <h2>Poster</h2>
    <img id="poster" alt="poster frame" hidden>
    <p class="muted" id="poster-none" hidden>No poster in the record.</p>
  </section>
  <section id="storyboard-section">
    <h2>Storyboard</h2>
    <div id="storyboard"></div>
  </section>
  <section id="record-section">
    <h2>Asset record</h2>
    <pre id="record">loading…</pre>
  </section>
</main>
<script src="/player-assets/vendor/hls.min.js"></script>
<script src="/player-assets/vendor/dash.all.min.js"></script>
<script src="/player-assets/static/player.js"></script>
</body>
</html>
"#)).into_response())
}

/// The file behind `/player-assets/<file>`: a fixed list of vendor files, or a plain file name
/// in `static/`.
fn asset_path(cdn: &Cdn, file: &str) -> Option<std::path::PathBuf> {
    let dir = &cdn.player_dir;
    match file {
        "vendor/hls.min.js" => Some(dir.join("node_modules/hls.js/dist/hls.min.js")),
        "vendor/dash.all.min.js" => Some(dir.join("node_modules/dashjs/dist/dash.all.min.js")),
        _ => {
            let name = file.strip_prefix("static/")?;
            let plain = !name.is_empty()
                && !name.starts_with('.')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
            plain.then(|| dir.join("static").join(name))
        }
    }
}

fn asset_type(file: &str) -> &'static str {
    match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("map") | Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// `GET /player-assets/<file>`.
pub(crate) async fn asset(State(cdn): State<Arc<Cdn>>, Path(file): Path<String>) -> Response {
    let Some(path) = asset_path(&cdn, &file) else {
        return no_store((StatusCode::NOT_FOUND, "404 Not Found\n").into_response());
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset_type(&file)),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let hint = if file.starts_with("vendor/") {
                format!(
                    "404: {} is missing; install the players with `{NPM_INSTALL_HINT}`\n",
                    path.display()
                )
            } else {
                "404 Not Found\n".to_owned()
            };
            no_store((StatusCode::NOT_FOUND, hint).into_response())
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "reading a player file failed");
            no_store((StatusCode::INTERNAL_SERVER_ERROR, "500\n").into_response())
        }
    }
}

/// `GET /api/assets/<assetId>`: the player's view of the record ([`PlayerRecord`]).
pub(crate) async fn record(State(cdn): State<Arc<Cdn>>, Path(asset_id): Path<String>) -> Response {
    match load(&cdn, &asset_id).await {
        Ok(record) => no_store(Json(PlayerRecord::from(&record)).into_response()),
        Err(response) => response,
    }
}

/// What the player page plays.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PlaybackResponse {
    asset_id: AssetId,
    status: vod_core::AssetStatus,
    /// Whether the URLs need the cookies this response set.
    signed: bool,
    hls_url: Option<String>,
    dash_url: Option<String>,
    poster_url: Option<String>,
    storyboard_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbnail_series: Option<vod_core::record::ThumbnailSeries>,
    /// When the cookies stop working (signed mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<DateTime<Utc>>,
    /// The policy resource the cookies cover (signed mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<String>,
}

/// `GET /api/playback/<assetId>`: the record's playback URLs; in signed mode also
/// `Set-Cookie: CloudFront-*` for `<base>/<prefix><assetId>/*` (`HttpOnly`, `SameSite=Lax`,
/// `Path=/<prefix><assetId>/`, `Secure` only on an https origin).
pub(crate) async fn playback(
    State(cdn): State<Arc<Cdn>>,
    Path(asset_id): Path<String>,
) -> Response {
    let record = match load(&cdn, &asset_id).await {
        Ok(record) => record,
        Err(response) => return response,
    };
    let urls = record.playback.clone().unwrap_or_default();
    let mut body = PlaybackResponse {
        asset_id: record.asset_id.clone(),
        status: record.status,
        signed: false,
        hls_url: urls.hls_url,
        dash_url: urls.dash_url,
        poster_url: urls.poster_url,
        storyboard_url: urls.storyboard_url,
        thumbnail_series: urls.thumbnail_series,
        expires_at: None,
        resource: None,
    };
    let Some(signing) = &cdn.signing else {
        return no_store(Json(body).into_response());
    };
    let Some(key) = &signing.cookie_key else {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "this distribution requires signed requests but the CDN has no private key to sign playback cookies with".into(),
        );
    };

    let asset_prefix = format!("{}{}/", cdn.asset_prefix, record.asset_id);
    let asset_base = format!("{}/{asset_prefix}", cdn.base_url);
    // Manifests outside the asset's folder keep their URL; the cookies will not cover them.
    let relative = |url: &Option<String>| -> Option<String> {
        url.as_deref()
            .and_then(|u| u.strip_prefix(&asset_base))
            .map(str::to_owned)
    };
    let (hls_rel, dash_rel) = (relative(&body.hls_url), relative(&body.dash_url));
    let now = Utc::now();
    let session = vod_signing::playback(
        key,
        &PlaybackRequest {
            cdn_base_url: &cdn.base_url,
            asset_prefix: &asset_prefix,
            hls_manifest: hls_rel.as_deref(),
            dash_manifest: dash_rel.as_deref(),
            valid_for: signing.cookie_lifetime,
            now,
            client_ip: None,
        },
    );
    let session = match session {
        Ok(session) => session,
        Err(error) => {
            tracing::warn!(id = %record.asset_id, %error, "signing playback cookies failed");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("signing playback cookies failed: {error}"),
            );
        }
    };
    let attributes = CookieAttributes {
        path: Some(session.cookie_path.clone()),
        secure: cdn.scheme == "https",
        http_only: true,
        same_site: Some(SameSite::Lax),
        max_age: Some((session.expires_at - now).num_seconds().max(0)),
        ..CookieAttributes::default()
    };
    let cookies = match session.cookies.set_cookie_headers(&attributes) {
        Ok(cookies) => cookies,
        Err(error) => {
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("rendering playback cookies failed: {error}"),
            );
        }
    };
    body.signed = true;
    body.hls_url = session.hls_url.or(body.hls_url);
    body.dash_url = session.dash_url.or(body.dash_url);
    body.expires_at = Some(session.expires_at);
    body.resource = Some(session.resource);
    tracing::info!(id = %record.asset_id, key_pair_id = key.key_pair_id(), "playback cookies issued");
    let mut response = no_store(Json(body).into_response());
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
