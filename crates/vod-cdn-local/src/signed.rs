//! Signed mode: the decision CloudFront makes for a distribution with trusted key groups.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::header;
use axum::http::request::Parts;
use chrono::Utc;
use vod_signing::{Decision, VerifyRequest, verify};

use crate::Cdn;

/// The viewer address from the socket (`ConnectInfo`, or axum's `MockConnectInfo` in tests),
/// else loopback when the router is served without connect info.
pub(crate) fn client_ip(parts: &Parts) -> IpAddr {
    let extensions = &parts.extensions;
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0)
        .or_else(|| {
            extensions
                .get::<MockConnectInfo<SocketAddr>>()
                .map(|info| info.0)
        })
        .map(|addr| addr.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// `Allow` when the distribution is open or the request carries valid credentials.
///
/// The URL checked is `public_base_url` + the raw request target (path and query exactly as
/// sent), the way CloudFront checks against its own domain; cookies are every `Cookie` header
/// joined with `; `.
pub(crate) fn decide(cdn: &Cdn, parts: &Parts) -> Option<Decision> {
    let signing = cdn.signing.as_ref()?;
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let cookies: Vec<&str> = parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let cookie_header = cookies.join("; ");
    let decision = verify(
        &VerifyRequest {
            scheme: &cdn.scheme,
            host: &cdn.host,
            path_and_query,
            cookie_header: (!cookie_header.is_empty()).then_some(cookie_header.as_str()),
            client_ip: client_ip(parts),
            now: Utc::now(),
        },
        &signing.key_group,
    );
    Some(decision)
}
