//! Serving the output bucket: types, cache rules, CORS, ranges, HEAD, 404, traversal.

use axum::http::{Method, StatusCode};

use crate::support::{OUTPUT_BUCKET, Twin, call, get};

const MASTER: &str = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.64001e,mp4a.40.2\"\nstream_360p.m3u8\n";

fn segment() -> Vec<u8> {
    (0..1000u32).map(|i| (i % 251) as u8).collect()
}

/// A small fake HLS/DASH set under `assets/<id>/`.
async fn fake_asset(twin: &Twin) -> String {
    let prefix = format!("assets/{}/", crate::support::asset_id("objects"));
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("stream.m3u8", MASTER.as_bytes().to_vec()),
        ("stream_360p.m3u8", b"#EXTM3U\n#EXT-X-ENDLIST\n".to_vec()),
        ("stream.mpd", b"<MPD/>".to_vec()),
        ("stream_360p_init.cmfv", segment()),
        ("stream_360p_00001.cmfv", segment()),
        ("stream_audio_00001.cmfa", segment()),
        ("chunk-stream0-00001.m4s", segment()),
        ("thumbs/thumb.0000000.jpg", vec![0xff, 0xd8, 0xff, 0xd9]),
        ("storyboard.vtt", b"WEBVTT\n".to_vec()),
        ("download/download_360p.mp4", segment()),
        ("name with space+plus.jpg", vec![1, 2, 3]),
        ("a%41.jpg", vec![4, 5]),
    ];
    for (name, body) in files {
        twin.put(OUTPUT_BUCKET, &format!("{prefix}{name}"), body)
            .await;
    }
    prefix
}

#[tokio::test]
async fn output_bucket_is_served_with_cloudfront_headers() {
    let twin = Twin::start().await;
    let prefix = fake_asset(&twin).await;
    let app = twin.app(None);
    let url = |name: &str| format!("/{prefix}{name}");

    // Content types and cache rules per kind of file.
    let cases = [
        (
            "stream.m3u8",
            "application/vnd.apple.mpegurl",
            "public, max-age=5",
        ),
        (
            "stream_360p.m3u8",
            "application/vnd.apple.mpegurl",
            "public, max-age=5",
        ),
        ("stream.mpd", "application/dash+xml", "public, max-age=5"),
        (
            "stream_360p_init.cmfv",
            "video/mp4",
            vod_cdn_local::CACHE_IMMUTABLE,
        ),
        (
            "stream_360p_00001.cmfv",
            "video/mp4",
            vod_cdn_local::CACHE_IMMUTABLE,
        ),
        (
            "stream_audio_00001.cmfa",
            "audio/mp4",
            vod_cdn_local::CACHE_IMMUTABLE,
        ),
        (
            "chunk-stream0-00001.m4s",
            "video/iso.segment",
            vod_cdn_local::CACHE_IMMUTABLE,
        ),
        (
            "thumbs/thumb.0000000.jpg",
            "image/jpeg",
            vod_cdn_local::CACHE_IMMUTABLE,
        ),
        (
            "download/download_360p.mp4",
            "video/mp4",
            vod_cdn_local::CACHE_IMMUTABLE,
        ),
        ("storyboard.vtt", "text/vtt", "public, max-age=60"),
    ];
    for (name, content_type, cache) in cases {
        let reply = get(&app, &url(name), &[("origin", "http://player.example")]).await;
        assert_eq!(reply.status, StatusCode::OK, "{name}: {}", reply.text());
        assert_eq!(reply.header("content-type"), Some(content_type), "{name}");
        assert_eq!(reply.header("cache-control"), Some(cache), "{name}");
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some("*"),
            "{name}"
        );
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{name}"
        );
        assert_eq!(reply.header("accept-ranges"), Some("bytes"), "{name}");
        assert!(
            reply.header("etag").is_some_and(|e| e.starts_with('"')),
            "{name}"
        );
        assert!(
            reply
                .header("last-modified")
                .is_some_and(|d| d.ends_with("GMT")),
            "{name}"
        );
    }
    let master = get(&app, &url("stream.m3u8"), &[]).await;
    assert_eq!(master.text(), MASTER);
    assert_eq!(
        master.header("content-length"),
        Some(MASTER.len().to_string().as_str())
    );

    // Keys are percent-decoded exactly once.
    let spaced = get(&app, &url("name%20with%20space%2Bplus.jpg"), &[]).await;
    assert_eq!(
        (spaced.status, &spaced.body[..]),
        (StatusCode::OK, &[1u8, 2, 3][..])
    );
    let percent = get(&app, &url("a%2541.jpg"), &[]).await;
    assert_eq!(
        (percent.status, &percent.body[..]),
        (StatusCode::OK, &[4u8, 5][..])
    );
    assert_eq!(
        get(&app, &url("aA.jpg"), &[]).await.status,
        StatusCode::NOT_FOUND
    );

    // Conditional GET with the ETag.
    let etag = master.header("etag").expect("etag").to_owned();
    let again = get(&app, &url("stream.m3u8"), &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    // Missing keys.
    let missing = get(&app, &url("nope.m3u8"), &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("cache-control"), Some("no-store"));
    assert_eq!(get(&app, "/", &[]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ranges_head_cors_and_traversal() {
    let twin = Twin::start().await;
    let prefix = fake_asset(&twin).await;
    let app = twin.app(None);
    let seg = format!("/{prefix}stream_360p_00001.cmfv");
    let whole = segment();

    // Byte ranges go to S3 and come back as 206.
    let first = get(&app, &seg, &[("range", "bytes=0-99")]).await;
    assert_eq!(first.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(first.header("content-range"), Some("bytes 0-99/1000"));
    assert_eq!(first.header("content-length"), Some("100"));
    assert_eq!(&first.body[..], &whole[..100]);
    let tail = get(&app, &seg, &[("range", "bytes=990-")]).await;
    assert_eq!(tail.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.header("content-range"), Some("bytes 990-999/1000"));
    assert_eq!(&tail.body[..], &whole[990..]);
    let suffix = get(&app, &seg, &[("range", "bytes=-10")]).await;
    assert_eq!(suffix.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(&suffix.body[..], &whole[990..]);
    let beyond = get(&app, &seg, &[("range", "bytes=5000-6000")]).await;
    assert_eq!(
        beyond.status,
        StatusCode::RANGE_NOT_SATISFIABLE,
        "{}",
        beyond.text()
    );
    assert_eq!(beyond.header("content-range"), Some("bytes */1000"));
    // A range we do not support is ignored: the whole object.
    let multi = get(&app, &seg, &[("range", "bytes=0-1,5-6")]).await;
    assert_eq!((multi.status, multi.body.len()), (StatusCode::OK, 1000));

    // HEAD: the headers of GET, no body.
    let head = call(&app, Method::HEAD, &seg, &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("content-length"), Some("1000"));
    assert_eq!(head.header("content-type"), Some("video/mp4"));
    assert_eq!(
        head.header("cache-control"),
        Some(vod_cdn_local::CACHE_IMMUTABLE)
    );
    assert!(head.body.is_empty());
    let head_missing = call(&app, Method::HEAD, &format!("/{prefix}nope.cmfv"), &[]).await;
    assert_eq!(head_missing.status, StatusCode::NOT_FOUND);

    // CORS as the distribution's policy sends it: only on CORS requests, `*`, no credentials;
    // the preflight lists the allowed headers instead of echoing the request's.
    let cors = get(&app, &seg, &[("origin", "http://player.example")]).await;
    assert_eq!(cors.header("access-control-allow-origin"), Some("*"));
    assert_eq!(cors.header("access-control-allow-credentials"), None);
    assert_eq!(
        cors.header("access-control-expose-headers"),
        Some("Content-Length, Content-Range, ETag")
    );
    let no_origin = get(&app, &seg, &[]).await;
    assert_eq!(no_origin.header("access-control-allow-origin"), None);
    assert_eq!(no_origin.header("x-content-type-options"), Some("nosniff"));
    let preflight = call(
        &app,
        Method::OPTIONS,
        &seg,
        &[
            ("origin", "http://player.example"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "range, x-anything"),
        ],
    )
    .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("Range, Origin, Accept")
    );
    assert_eq!(preflight.header("access-control-max-age"), Some("86400"));
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("GET"))
    );
    assert_eq!(
        call(&app, Method::POST, &seg, &[]).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );

    // Nothing outside the output bucket, however the dots are spelled.
    twin.clients
        .s3()
        .create_bucket()
        .bucket("secret")
        .send()
        .await
        .expect("bucket");
    twin.put("secret", "key.txt", b"secret".to_vec()).await;
    twin.put(OUTPUT_BUCKET, "secret/key.txt", b"decoy".to_vec())
        .await;
    for path in [
        "/..%2fsecret%2fkey.txt",
        "/../secret/key.txt",
        "/%2e%2e/secret/key.txt",
        "/assets/..%2f..%2fsecret/key.txt",
        "/x/%2E%2E%2F%2E%2E%2Fsecret/key.txt",
        "/..%5csecret%5ckey.txt",
    ] {
        let reply = get(&app, path, &[]).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.text()
        );
        assert!(!reply.text().contains("secret\n") && !reply.body.starts_with(b"secret"));
    }
    // The key `secret/key.txt` *inside* the output bucket is an ordinary object.
    assert_eq!(get(&app, "/secret/key.txt", &[]).await.text(), "decoy");
}
