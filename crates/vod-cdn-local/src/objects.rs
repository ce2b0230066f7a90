//! `GET`/`HEAD`/`OPTIONS /<key>`: objects of the output bucket with CloudFront's headers
//! (content type, cache rules, ranges; CORS and security headers are added to every response by
//! [`crate::response_headers`]).

use std::sync::Arc;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::{ByteStream, DateTime, DateTimeFormat};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use vod_signing::Decision;

use crate::Cdn;
use crate::media_types::{cache_control, content_type};
use crate::signed;

/// Why a request path cannot name an object.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BadKey {
    NotUtf8,
    DotSegment,
    ForbiddenCharacter,
}

/// The object key of a raw request path: percent-decoded exactly once. `.`/`..` segments
/// (also when encoded, e.g. `/..%2f..`), backslashes and control characters are refused, so a
/// path can never climb out of the bucket through the S3 client's URL handling.
pub(crate) fn object_key(raw_path: &str) -> Result<String, BadKey> {
    let decoded = percent_decode_str(raw_path.trim_start_matches('/'))
        .decode_utf8()
        .map_err(|_| BadKey::NotUtf8)?;
    if decoded.chars().any(|c| c == '\\' || c.is_control()) {
        return Err(BadKey::ForbiddenCharacter);
    }
    if decoded.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(BadKey::DotSegment);
    }
    Ok(decoded.into_owned())
}

/// A short plain-text answer (errors), never cached. (CORS and security headers come from
/// [`crate::response_headers`], on every response.)
fn text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A single `bytes=` range worth passing to S3; anything else is ignored (a full `200`), as
/// HTTP allows for range headers a server does not support.
fn single_range(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::RANGE)?.to_str().ok()?.trim();
    let spec = value.strip_prefix("bytes=")?.trim();
    let (start, end) = spec.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let valid = match (start.is_empty(), end.is_empty()) {
        (false, true) => digits(start),
        (true, false) => digits(end),
        (false, false) => {
            digits(start) && digits(end) && start.parse::<u64>().ok()? <= end.parse::<u64>().ok()?
        }
        (true, true) => false,
    };
    valid.then(|| format!("bytes={start}-{end}"))
}

fn put(headers: &mut HeaderMap, name: HeaderName, value: Option<&str>) {
    if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(name, value);
    }
}

fn http_date(time: Option<&DateTime>) -> Option<String> {
    time.and_then(|t| t.fmt(DateTimeFormat::HttpDate).ok())
}

/// Object metadata common to GET and HEAD.
struct ObjectHeaders<'a> {
    key: &'a str,
    stored_type: Option<&'a str>,
    length: Option<i64>,
    etag: Option<&'a str>,
    last_modified: Option<&'a DateTime>,
}

fn object_headers(object: &ObjectHeaders<'_>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let kind = content_type(object.key)
        .or(object.stored_type)
        .unwrap_or("application/octet-stream");
    put(&mut headers, header::CONTENT_TYPE, Some(kind));
    put(
        &mut headers,
        header::CONTENT_LENGTH,
        object.length.map(|n| n.to_string()).as_deref(),
    );
    put(&mut headers, header::ETAG, object.etag);
    put(
        &mut headers,
        header::LAST_MODIFIED,
        http_date(object.last_modified).as_deref(),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control(object.key)),
    );
    headers
}

/// Streams the S3 body chunk by chunk (never buffered whole).
fn stream(body: ByteStream) -> Body {
    Body::from_stream(futures::stream::try_unfold(body, |mut body| async move {
        Ok::<_, aws_sdk_s3::primitives::ByteStreamError>(
            body.try_next().await?.map(|chunk| (chunk, body)),
        )
    }))
}

fn raw_status<E>(error: &SdkError<E, HttpResponse>) -> Option<u16> {
    error.raw_response().map(|r| r.status().as_u16())
}

pub(crate) async fn serve(State(cdn): State<Arc<Cdn>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let method = parts.method.clone();
    if method != Method::GET && method != Method::HEAD && method != Method::OPTIONS {
        let mut response = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "405 Method Not Allowed\n".into(),
        );
        response.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, OPTIONS"),
        );
        return response;
    }
    let key = match object_key(parts.uri.path()) {
        Ok(key) if !key.is_empty() => key,
        Ok(_) => {
            return text(StatusCode::NOT_FOUND, "404 Not Found\n".into());
        }
        Err(bad) => {
            tracing::info!(path = parts.uri.path(), ?bad, "refused object path");
            return text(
                StatusCode::BAD_REQUEST,
                format!("400 Bad Request: the path is not an object key ({bad:?})\n"),
            );
        }
    };
    // Browsers send preflights without cookies; CloudFront answers them without a signature.
    if method == Method::OPTIONS {
        return StatusCode::NO_CONTENT.into_response();
    }
    if let Some(Decision::Deny(reason)) = signed::decide(&cdn, &parts) {
        tracing::info!(%key, ?reason, "signed request refused");
        let mut response = text(StatusCode::FORBIDDEN, format!("403 Forbidden: {reason}\n"));
        put(
            response.headers_mut(),
            HeaderName::from_static("x-vod-deny-reason"),
            Some(&format!("{reason:?}")),
        );
        return response;
    }
    if method == Method::HEAD {
        head(&cdn, &parts, &key).await
    } else {
        get_object(&cdn, &parts, &key).await
    }
}

async fn head(cdn: &Cdn, parts: &Parts, key: &str) -> Response {
    let headers = &parts.headers;
    match cdn
        .s3
        .head_object()
        .bucket(&cdn.bucket)
        .key(key)
        .send()
        .await
    {
        Ok(out) => {
            let mut response = StatusCode::OK.into_response();
            *response.headers_mut() = object_headers(&ObjectHeaders {
                key,
                stored_type: out.content_type(),
                length: out.content_length(),
                etag: out.e_tag(),
                last_modified: out.last_modified(),
            });
            response
        }
        Err(error) => origin_error(cdn, headers, key, raw_status(&error), &error).await,
    }
}

async fn get_object(cdn: &Cdn, parts: &Parts, key: &str) -> Response {
    let headers = &parts.headers;
    let range = single_range(headers);
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let result = cdn
        .s3
        .get_object()
        .bucket(&cdn.bucket)
        .key(key)
        .set_range(range.clone())
        .set_if_none_match(if_none_match)
        .send()
        .await;
    match result {
        Ok(out) => {
            let mut response_headers = object_headers(&ObjectHeaders {
                key,
                stored_type: out.content_type(),
                length: out.content_length(),
                etag: out.e_tag(),
                last_modified: out.last_modified(),
            });
            let status = match out.content_range() {
                Some(content_range) if range.is_some() => {
                    put(
                        &mut response_headers,
                        header::CONTENT_RANGE,
                        Some(content_range),
                    );
                    StatusCode::PARTIAL_CONTENT
                }
                _ => StatusCode::OK,
            };
            let mut response = Response::new(stream(out.body));
            *response.status_mut() = status;
            *response.headers_mut() = response_headers;
            response
        }
        Err(error) => origin_error(cdn, headers, key, raw_status(&error), &error).await,
    }
}

async fn origin_error(
    cdn: &Cdn,
    headers: &HeaderMap,
    key: &str,
    status: Option<u16>,
    error: &(dyn std::error::Error + Send + Sync),
) -> Response {
    match status {
        Some(404) => text(StatusCode::NOT_FOUND, "404 Not Found\n".into()),
        Some(304) => {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            let response_headers = response.headers_mut();
            put(
                response_headers,
                header::ETAG,
                headers
                    .get(header::IF_NONE_MATCH)
                    .and_then(|v| v.to_str().ok()),
            );
            response_headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control(key)),
            );
            response
        }
        Some(416) => {
            let size = cdn
                .s3
                .head_object()
                .bucket(&cdn.bucket)
                .key(key)
                .send()
                .await
                .ok()
                .and_then(|out| out.content_length());
            let mut response = text(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "416 Range Not Satisfiable\n".into(),
            );
            if let Some(size) = size {
                put(
                    response.headers_mut(),
                    header::CONTENT_RANGE,
                    Some(&format!("bytes */{size}")),
                );
            }
            response
        }
        _ => {
            tracing::warn!(%key, error = %aws_sdk_s3::error::DisplayErrorContext(error), "origin request failed");
            text(
                StatusCode::BAD_GATEWAY,
                "502 Bad Gateway: the origin (S3) request failed\n".into(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_decoded_once_and_dot_segments_refused() {
        assert_eq!(object_key("/a/b%20c.m3u8"), Ok("a/b c.m3u8".into()));
        assert_eq!(object_key("/a/%2541"), Ok("a/%41".into()));
        assert_eq!(object_key("/..%2f..%2fetc"), Err(BadKey::DotSegment));
        assert_eq!(object_key("/a/%2e%2e/b"), Err(BadKey::DotSegment));
        assert_eq!(object_key("/a/./b"), Err(BadKey::DotSegment));
        assert_eq!(object_key("/a%5c..%5cb"), Err(BadKey::ForbiddenCharacter));
        assert_eq!(object_key("/a%00"), Err(BadKey::ForbiddenCharacter));
        assert_eq!(object_key("/a%ff"), Err(BadKey::NotUtf8));
    }

    #[test]
    fn only_single_byte_ranges_are_forwarded() {
        let range = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::RANGE, HeaderValue::from_str(v).ok()?);
            single_range(&h)
        };
        assert_eq!(range("bytes=0-99").as_deref(), Some("bytes=0-99"));
        assert_eq!(range("bytes=10-").as_deref(), Some("bytes=10-"));
        assert_eq!(range("bytes=-10").as_deref(), Some("bytes=-10"));
        assert_eq!(range("bytes=5-2"), None);
        assert_eq!(range("bytes=0-1,4-5"), None);
        assert_eq!(range("items=0-1"), None);
    }
}
