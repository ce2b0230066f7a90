//! The CORS and security headers of our CloudFront distribution's response headers policy, and
//! the layer that adds them to every response of the local CDN.
//!
//! [`RESPONSE_HEADERS`] is the one place the values are written: [`contract_json`] is checked in
//! at `docs/contracts/cdn-response-headers.json` (a test keeps it current), the CDK app builds its
//! `ResponseHeadersPolicy` from that file and the infra tests compare the synthesized policy with
//! it. So the local CDN answers a browser as CloudFront will:
//! - CORS only on CORS requests (an `Origin` header): `Access-Control-Allow-Origin: *`, never
//!   `Access-Control-Allow-Credentials`, in open and signed mode alike. A page on another origin
//!   can read the CDN without cookies (signed URLs), never with them; signed-cookie playback
//!   works for a page on the CDN's own origin, like the player page.
//! - Preflights (`OPTIONS` with `Access-Control-Request-Method`) also get the allowed methods,
//!   the allowed headers as listed (not echoed from the request) and the max age.
//! - `X-Content-Type-Options: nosniff` and `Strict-Transport-Security` on every response,
//!   overriding whatever the origin said (browsers ignore HSTS over plain http, as locally).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

/// CORS as the distribution's `ResponseHeadersCorsBehavior` sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cors {
    pub allow_origins: &'static [&'static str],
    pub allow_methods: &'static [&'static str],
    pub allow_headers: &'static [&'static str],
    pub expose_headers: &'static [&'static str],
    pub allow_credentials: bool,
    pub max_age_seconds: u32,
    /// The policy's headers replace the origin's.
    pub origin_override: bool,
}

/// The policy's `securityHeadersBehavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Security {
    /// `X-Content-Type-Options: nosniff`.
    pub content_type_options: bool,
    pub hsts_max_age_seconds: u32,
    pub hsts_include_subdomains: bool,
}

/// A response headers policy: CORS and security headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHeaders {
    pub cors: Cors,
    pub security: Security,
}

/// What every behaviour of our distribution sends.
pub const RESPONSE_HEADERS: ResponseHeaders = ResponseHeaders {
    cors: Cors {
        allow_origins: &["*"],
        allow_methods: &["GET", "HEAD", "OPTIONS"],
        allow_headers: &["Range", "Origin", "Accept"],
        expose_headers: &["Content-Length", "Content-Range", "ETag"],
        allow_credentials: false,
        max_age_seconds: 86_400,
        origin_override: true,
    },
    security: Security {
        content_type_options: true,
        hsts_max_age_seconds: 31_536_000,
        hsts_include_subdomains: true,
    },
};

/// [`RESPONSE_HEADERS`] as `docs/contracts/cdn-response-headers.json`, which the CDK app reads.
pub fn contract_json() -> Value {
    let ResponseHeaders { cors, security } = RESPONSE_HEADERS;
    json!({
        "cors": {
            "allowOrigins": cors.allow_origins,
            "allowMethods": cors.allow_methods,
            "allowHeaders": cors.allow_headers,
            "exposeHeaders": cors.expose_headers,
            "allowCredentials": cors.allow_credentials,
            "maxAgeSeconds": cors.max_age_seconds,
            "originOverride": cors.origin_override,
        },
        "security": {
            "contentTypeOptions": security.content_type_options,
            "strictTransportSecurity": {
                "maxAgeSeconds": security.hsts_max_age_seconds,
                "includeSubdomains": security.hsts_include_subdomains,
            },
        },
    })
}

fn list(items: &[&str]) -> HeaderValue {
    HeaderValue::from_str(&items.join(", ")).unwrap_or(HeaderValue::from_static(""))
}

/// What kind of request a response answers, as far as CORS goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorsRequest {
    /// No `Origin`: CloudFront adds no CORS headers.
    None,
    /// `Origin`: the allowed origin and the exposed headers.
    Simple,
    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method`: also methods, headers and
    /// max age.
    Preflight,
}

impl CorsRequest {
    pub fn of(method: &Method, headers: &HeaderMap) -> Self {
        if !headers.contains_key(header::ORIGIN) {
            Self::None
        } else if method == Method::OPTIONS
            && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            Self::Preflight
        } else {
            Self::Simple
        }
    }
}

/// Adds the headers `policy` sends in answer to `request` to `response`.
pub fn apply(policy: &ResponseHeaders, request: CorsRequest, response: &mut HeaderMap) {
    let security = &policy.security;
    if security.content_type_options {
        response.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    let mut hsts = format!("max-age={}", security.hsts_max_age_seconds);
    if security.hsts_include_subdomains {
        hsts.push_str("; includeSubDomains");
    }
    if let Ok(value) = HeaderValue::from_str(&hsts) {
        response.insert(header::STRICT_TRANSPORT_SECURITY, value);
    }

    let cors = &policy.cors;
    if request == CorsRequest::None {
        return;
    }
    if cors.origin_override {
        let names: [HeaderName; 6] = [
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            header::ACCESS_CONTROL_MAX_AGE,
        ];
        for name in names {
            response.remove(name);
        }
    }
    // `*` needs no `Vary: Origin`: the answer is the same for every origin.
    response.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        list(cors.allow_origins),
    );
    if cors.allow_credentials {
        response.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    if !cors.expose_headers.is_empty() {
        response.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            list(cors.expose_headers),
        );
    }
    if request == CorsRequest::Preflight {
        response.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            list(cors.allow_methods),
        );
        response.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            list(cors.allow_headers),
        );
        response.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from(cors.max_age_seconds),
        );
    }
}

/// Middleware: [`apply`] with [`RESPONSE_HEADERS`] to every response of the router.
pub(crate) async fn layer(request: Request, next: Next) -> Response {
    let kind = CorsRequest::of(request.method(), request.headers());
    let mut response = next.run(request).await;
    apply(&RESPONSE_HEADERS, kind, response.headers_mut());
    response
}
