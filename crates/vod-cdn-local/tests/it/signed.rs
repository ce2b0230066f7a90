//! Signed mode: what CloudFront with a trusted key group lets through, and the cookie helper.

use axum::Router;
use axum::http::{Method, StatusCode};
use chrono::{TimeDelta, Utc};
use vod_core::record::Playback;
use vod_signing::{
    CustomPolicy, PlaybackRequest, SignedCookies, SigningKey, cloudfront_b64decode,
    cloudfront_b64encode,
};

use crate::support::{
    BASE_URL, KEY_PAIR_ID, OTHER_PRIVATE_PEM, OUTPUT_BUCKET, PRIVATE_PEM, Reply, Twin, asset_id,
    call, get, signing_config, test_key,
};

const FILES: [&str; 5] = [
    "stream.m3u8",
    "stream_720p.m3u8",
    "stream_720p_init.cmfv",
    "stream_720p_00001.cmfv",
    "thumbs/thumb.0000000.jpg",
];

async fn protected_asset(twin: &Twin, name: &str) -> String {
    let prefix = format!("assets/{}/", asset_id(name));
    for file in FILES {
        twin.put(
            OUTPUT_BUCKET,
            &format!("{prefix}{file}"),
            file.as_bytes().to_vec(),
        )
        .await;
    }
    prefix
}

async fn with_cookies(app: &Router, path: &str, cookies: &SignedCookies) -> Reply {
    get(app, path, &[("cookie", &cookies.cookie_header())]).await
}

fn assert_denied(reply: &Reply, reason: &str, body_says: &str) {
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text());
    assert_eq!(reply.header("x-vod-deny-reason"), Some(reason));
    assert!(
        reply.text().to_lowercase().contains(body_says),
        "body {:?} should name {body_says:?}",
        reply.text()
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
}

fn prefix_policy(prefix: &str, valid_for: TimeDelta) -> CustomPolicy {
    CustomPolicy::new(format!("{BASE_URL}/{prefix}*"), Utc::now() + valid_for)
}

#[tokio::test]
async fn signed_mode_accepts_only_valid_signatures() {
    let twin = Twin::start().await;
    let prefix = protected_asset(&twin, "signed").await;
    let other_prefix = protected_asset(&twin, "other").await;
    let app = twin.app(Some(signing_config()));
    let key = test_key();
    let path = |file: &str| format!("/{prefix}{file}");

    // Cookies from the same call the player helper makes: the playlist and every segment.
    let session = vod_signing::playback(
        &key,
        &PlaybackRequest {
            cdn_base_url: BASE_URL,
            asset_prefix: &prefix,
            hls_manifest: Some("stream.m3u8"),
            dash_manifest: None,
            valid_for: TimeDelta::minutes(10),
            now: Utc::now(),
            client_ip: None,
        },
    )
    .expect("sign");
    for file in FILES {
        let reply = with_cookies(&app, &path(file), &session.cookies).await;
        assert_eq!(reply.status, StatusCode::OK, "{file}: {}", reply.text());
        assert_eq!(reply.text(), file);
    }
    // Cookies spread over several Cookie headers, as HTTP/2 clients send them, also count.
    let pairs: Vec<String> = session
        .cookies
        .pairs()
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    let split: Vec<(&str, &str)> = pairs.iter().map(|p| ("cookie", p.as_str())).collect();
    assert_eq!(
        get(&app, &path(FILES[0]), &split).await.status,
        StatusCode::OK
    );
    // ... but never for another asset's folder.
    let elsewhere = with_cookies(
        &app,
        &format!("/{other_prefix}stream.m3u8"),
        &session.cookies,
    )
    .await;
    assert_denied(&elsewhere, "ResourceMismatch", "resource");

    // Signed URLs: canned for one file, custom with a wildcard for the folder.
    let canned = key
        .signed_url_canned(
            &format!("{BASE_URL}{}", path("stream.m3u8")),
            Utc::now() + TimeDelta::minutes(5),
        )
        .expect("sign url");
    let canned_path = canned.strip_prefix(BASE_URL).expect("on the CDN");
    assert_eq!(get(&app, canned_path, &[]).await.status, StatusCode::OK);
    // The same canned signature on another file does not verify.
    let moved = canned_path.replace("stream.m3u8", "stream_720p.m3u8");
    assert_denied(
        &get(&app, &moved, &[]).await,
        "SignatureMismatch",
        "signature",
    );
    let custom = key
        .signed_url_custom(
            &format!("{BASE_URL}{}", path("stream_720p_00001.cmfv")),
            &prefix_policy(&prefix, TimeDelta::minutes(5)),
        )
        .expect("sign url");
    let custom_path = custom.strip_prefix(BASE_URL).expect("on the CDN");
    assert_eq!(get(&app, custom_path, &[]).await.status, StatusCode::OK);
    let expired_url = key
        .signed_url_canned(
            &format!("{BASE_URL}{}", path("stream.m3u8")),
            Utc::now() - TimeDelta::seconds(5),
        )
        .expect("sign url");
    assert_denied(
        &get(&app, expired_url.strip_prefix(BASE_URL).expect("cdn"), &[]).await,
        "Expired",
        "expired",
    );

    // Each way of getting it wrong is a 403 naming the reason.
    let playlist = path("stream.m3u8");
    let expired = key
        .signed_cookies_custom(&prefix_policy(&prefix, TimeDelta::seconds(-5)))
        .expect("sign");
    assert_denied(
        &with_cookies(&app, &playlist, &expired).await,
        "Expired",
        "expired",
    );

    let wrong_prefix = key
        .signed_cookies_custom(&prefix_policy(&other_prefix, TimeDelta::minutes(5)))
        .expect("sign");
    assert_denied(
        &with_cookies(&app, &playlist, &wrong_prefix).await,
        "ResourceMismatch",
        "resource",
    );

    let mut tampered_policy = session.cookies.clone();
    let policy = cloudfront_b64decode(tampered_policy.policy.as_deref().expect("custom"))
        .expect("policy decodes");
    let policy = String::from_utf8(policy)
        .expect("utf-8")
        .replace(&prefix, "assets/");
    tampered_policy.policy = Some(cloudfront_b64encode(policy.as_bytes()));
    assert_denied(
        &with_cookies(&app, &playlist, &tampered_policy).await,
        "SignatureMismatch",
        "signature",
    );

    let mut tampered_signature = session.cookies.clone();
    let flipped = if tampered_signature.signature.starts_with('A') {
        "B"
    } else {
        "A"
    };
    tampered_signature.signature.replace_range(0..1, flipped);
    assert_denied(
        &with_cookies(&app, &playlist, &tampered_signature).await,
        "SignatureMismatch",
        "signature",
    );

    let unknown_id = SigningKey::from_pem("KUNKNOWNKEYPAIR", PRIVATE_PEM)
        .expect("key")
        .signed_cookies_custom(&prefix_policy(&prefix, TimeDelta::minutes(5)))
        .expect("sign");
    assert_denied(
        &with_cookies(&app, &playlist, &unknown_id).await,
        "UnknownKeyPairId",
        "key-pair id",
    );

    let wrong_key = SigningKey::from_pem(KEY_PAIR_ID, OTHER_PRIVATE_PEM)
        .expect("key")
        .signed_cookies_custom(&prefix_policy(&prefix, TimeDelta::minutes(5)))
        .expect("sign");
    assert_denied(
        &with_cookies(&app, &playlist, &wrong_key).await,
        "SignatureMismatch",
        "signature",
    );

    assert_denied(
        &get(&app, &playlist, &[]).await,
        "MissingCredentials",
        "missing",
    );

    // `AWS:SourceIp` is checked against the socket's address (the test viewer is 198.51.100.7).
    let elsewhere_ip = key
        .signed_cookies_custom(
            &prefix_policy(&prefix, TimeDelta::minutes(5))
                .with_source_ip("203.0.113.0/24")
                .expect("cidr"),
        )
        .expect("sign");
    assert_denied(
        &with_cookies(&app, &playlist, &elsewhere_ip).await,
        "IpNotAllowed",
        "ip",
    );
    let this_ip = key
        .signed_cookies_custom(
            &prefix_policy(&prefix, TimeDelta::minutes(5))
                .with_source_ip("198.51.100.0/24")
                .expect("cidr"),
        )
        .expect("sign");
    assert_eq!(
        with_cookies(&app, &playlist, &this_ip).await.status,
        StatusCode::OK
    );

    // CORS as CloudFront sends it for this distribution: `*` and never credentials, also in
    // signed mode. A page on another origin can read a 403 (and why) or a signed URL, but a
    // browser will not let it read anything with the cookies: cookie playback is same-origin,
    // here as on AWS.
    let origin = [("origin", "http://127.0.0.1:9999")];
    let denied = get(&app, &playlist, &origin).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.header("access-control-allow-origin"), Some("*"));
    assert_eq!(denied.header("access-control-allow-credentials"), None);
    assert_eq!(denied.header("x-content-type-options"), Some("nosniff"));
    let with_cookies_cross_origin = get(
        &app,
        &playlist,
        &[
            ("origin", "http://127.0.0.1:9999"),
            ("cookie", &this_ip.cookie_header()),
        ],
    )
    .await;
    assert_eq!(with_cookies_cross_origin.status, StatusCode::OK);
    assert_eq!(
        with_cookies_cross_origin.header("access-control-allow-credentials"),
        None,
        "without it a browser hides a credentialed cross-origin answer from the page"
    );
    // Preflights carry no cookies and are answered without a signature.
    let preflight = call(
        &app,
        Method::OPTIONS,
        &playlist,
        &[
            ("origin", "http://127.0.0.1:9999"),
            ("access-control-request-method", "GET"),
        ],
    )
    .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(preflight.header("access-control-allow-credentials"), None);
}

fn set_cookies(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

#[tokio::test]
async fn playback_helper_sets_cookies_that_open_the_asset() {
    let twin = Twin::start().await;
    let prefix = protected_asset(&twin, "helper").await;
    let other_prefix = protected_asset(&twin, "not-mine").await;
    let id = asset_id("helper");
    twin.put_complete_record(
        &id,
        Playback {
            hls_url: Some(format!("{BASE_URL}/{prefix}stream.m3u8")),
            dash_url: Some(format!("{BASE_URL}/{prefix}stream.mpd")),
            poster_url: Some(format!("{BASE_URL}/{prefix}thumbs/thumb.0000000.jpg")),
            ..Playback::default()
        },
    )
    .await;
    let app = twin.app(Some(signing_config()));

    // The page, the record and the helper need no credentials.
    assert_eq!(
        get(&app, &format!("/player/{id}"), &[]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &format!("/api/assets/{id}"), &[]).await.status,
        StatusCode::OK
    );
    let reply = get(&app, &format!("/api/playback/{id}"), &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    assert_eq!(body["signed"], true);
    assert_eq!(body["hlsUrl"], format!("{BASE_URL}/{prefix}stream.m3u8"));
    assert_eq!(body["resource"], format!("{BASE_URL}/{prefix}*"));
    assert!(
        !reply.text().contains("CloudFront-Signature"),
        "HttpOnly cookies stay out of the body"
    );

    let lines = set_cookies(&reply);
    assert_eq!(lines.len(), 3, "{lines:?}");
    for line in &lines {
        assert!(line.starts_with("CloudFront-"), "{line}");
        assert!(line.contains(&format!("; Path=/{prefix};")), "{line}");
        assert!(line.contains("; HttpOnly"), "{line}");
        assert!(line.contains("; SameSite=Lax"), "{line}");
        assert!(
            !line.contains("Secure"),
            "an http origin cannot use Secure cookies: {line}"
        );
    }
    let cookie_header = lines
        .iter()
        .map(|l| l.split(';').next().expect("name=value"))
        .collect::<Vec<_>>()
        .join("; ");
    for file in FILES {
        let reply = get(
            &app,
            &format!("/{prefix}{file}"),
            &[("cookie", &cookie_header)],
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{file}: {}", reply.text());
    }
    let other = get(
        &app,
        &format!("/{other_prefix}stream.m3u8"),
        &[("cookie", &cookie_header)],
    )
    .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);

    // Unknown asset: 404, no cookies.
    let missing = get(&app, &format!("/api/playback/{}", asset_id("missing")), &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(set_cookies(&missing).is_empty());

    // Signed mode without a private key: the helper says so instead of handing out URLs
    // that would 403.
    let mut keyless = signing_config();
    keyless.cookie_key = None;
    let reply = get(
        &twin.app(Some(keyless)),
        &format!("/api/playback/{id}"),
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.text().contains("private key"), "{}", reply.text());

    // Open distribution: same URLs, no cookies.
    let open = get(&twin.app(None), &format!("/api/playback/{id}"), &[]).await;
    assert_eq!(open.status, StatusCode::OK);
    assert!(set_cookies(&open).is_empty());
    let body: serde_json::Value = serde_json::from_slice(&open.body).expect("json");
    assert_eq!(body["signed"], false);
    assert_eq!(body["dashUrl"], format!("{BASE_URL}/{prefix}stream.mpd"));
}
