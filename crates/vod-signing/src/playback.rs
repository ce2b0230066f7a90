//! One call for applications: playback URLs plus prefix-wide signed cookies.
//!
//! A signed URL on the master playlist does not authorise the variant
//! playlists and segments it references by relative path, so HLS and DASH
//! playback of private assets uses signed cookies whose custom policy covers
//! the asset's whole output prefix (`https://cdn/assets/<assetId>/*`).

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::error::SigningError;
use crate::keys::SigningKey;
use crate::policy::CustomPolicy;
use crate::sign::{CookieAttributes, SignedCookies};

/// What to sign for one viewer and one asset.
#[derive(Clone, Debug)]
pub struct PlaybackRequest<'a> {
    /// CDN origin, e.g. `https://d123.cloudfront.net` (an optional path is
    /// kept; a trailing `/` is ignored; no query or fragment).
    pub cdn_base_url: &'a str,
    /// The asset's output prefix relative to the base, e.g. `assets/<assetId>/`.
    pub asset_prefix: &'a str,
    /// HLS master playlist path relative to the prefix, e.g. `hls/master.m3u8`.
    pub hls_manifest: Option<&'a str>,
    /// DASH manifest path relative to the prefix, e.g. `dash/manifest.mpd`.
    pub dash_manifest: Option<&'a str>,
    /// How long the viewer may play (must be positive).
    pub valid_for: TimeDelta,
    /// The current time.
    pub now: DateTime<Utc>,
    /// Optional viewer IP / CIDR restriction (`AWS:SourceIp`).
    pub client_ip: Option<&'a str>,
}

/// URLs and cookies for one playback session. Serialisable for an API
/// response (the cookies under their CloudFront names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Playback {
    /// Unsigned HLS master playlist URL (the cookies authorise it).
    pub hls_url: Option<String>,
    /// Unsigned DASH manifest URL (the cookies authorise it).
    pub dash_url: Option<String>,
    /// The policy resource: `<base>/<prefix>*`.
    pub resource: String,
    /// `Path` the cookies should be scoped to: `/<base path>/<prefix>`.
    pub cookie_path: String,
    /// When the policy expires (whole seconds).
    pub expires_at: DateTime<Utc>,
    /// The signed cookies.
    pub cookies: SignedCookies,
}

impl Playback {
    /// `Secure; HttpOnly; Path=<cookie_path>` with `Max-Age` until expiry;
    /// adjust `domain`/`same_site` for your deployment before rendering.
    pub fn cookie_attributes(&self, now: DateTime<Utc>) -> CookieAttributes {
        let mut attributes = CookieAttributes::secure(self.cookie_path.clone());
        attributes.max_age = Some((self.expires_at - now).num_seconds().max(0));
        attributes
    }
}

fn invalid(what: &'static str, value: &str, reason: &'static str) -> SigningError {
    SigningError::InvalidInput {
        what,
        value: value.to_owned(),
        reason,
    }
}

fn check_relative(what: &'static str, value: &str) -> Result<(), SigningError> {
    if value.is_empty() {
        return Err(invalid(what, value, "must not be empty"));
    }
    if value.starts_with('/') {
        return Err(invalid(what, value, "must be relative (no leading `/`)"));
    }
    if value.contains(['*', '?', '#']) || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(
            what,
            value,
            "must not contain `*`, `?`, `#`, whitespace or control characters",
        ));
    }
    if value.split('/').any(|seg| seg == "." || seg == "..") {
        return Err(invalid(
            what,
            value,
            "must not contain `.` or `..` segments",
        ));
    }
    Ok(())
}

/// Builds the playback URLs and the signed cookies for `request`.
///
/// The cookies carry a custom policy on `<base>/<prefix>*` valid until
/// `now + valid_for`, so the playlist, every variant playlist and every
/// segment under the prefix are authorised, and nothing outside it.
pub fn playback(key: &SigningKey, request: &PlaybackRequest<'_>) -> Result<Playback, SigningError> {
    let base = request.cdn_base_url.trim_end_matches('/');
    let after_scheme = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or_else(|| invalid("CDN base URL", base, "must start with https:// or http://"))?;
    let (host, base_path) = match after_scheme.find('/') {
        Some(i) => after_scheme.split_at(i),
        None => (after_scheme, ""),
    };
    if host.is_empty() {
        return Err(invalid("CDN base URL", base, "has no host"));
    }
    if base.contains(['?', '#', '*']) || base.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "CDN base URL",
            base,
            "must not contain a query, fragment, `*` or whitespace",
        ));
    }

    let prefix = request.asset_prefix.trim_start_matches('/');
    check_relative("asset prefix", prefix)?;
    let prefix = if prefix.ends_with('/') {
        prefix.to_owned()
    } else {
        format!("{prefix}/")
    };

    if request.valid_for <= TimeDelta::zero() {
        return Err(invalid(
            "playback duration",
            &request.valid_for.to_string(),
            "must be positive",
        ));
    }
    let expires_at = request
        .now
        .checked_add_signed(request.valid_for)
        .and_then(|t| DateTime::from_timestamp(t.timestamp(), 0))
        .ok_or_else(|| {
            invalid(
                "playback duration",
                &request.valid_for.to_string(),
                "overflows",
            )
        })?;

    let manifest_url =
        |what: &'static str, rel: Option<&str>| -> Result<Option<String>, SigningError> {
            rel.map(|rel| {
                check_relative(what, rel)?;
                Ok(format!("{base}/{prefix}{rel}"))
            })
            .transpose()
        };
    let hls_url = manifest_url("HLS manifest path", request.hls_manifest)?;
    let dash_url = manifest_url("DASH manifest path", request.dash_manifest)?;

    let resource = format!("{base}/{prefix}*");
    let mut policy = CustomPolicy::new(resource.clone(), expires_at);
    if let Some(ip) = request.client_ip {
        policy = policy.with_source_ip(ip)?;
    }
    let cookies = key.signed_cookies_custom(&policy)?;

    Ok(Playback {
        hls_url,
        dash_url,
        resource,
        cookie_path: format!("{base_path}/{prefix}"),
        expires_at,
        cookies,
    })
}
