//! CloudFront signed URLs and signed cookies, made in Rust and verified the
//! way CloudFront verifies them at the edge.
//!
//! Private videos are served through CloudFront with *trusted key groups*.
//! A signed URL on an HLS/DASH manifest does not authorise the playlists and
//! segments it references by relative path, so playback uses signed cookies
//! with a custom policy on the asset's prefix (`https://cdn/assets/<id>/*`);
//! [`playback`] does that in one call. Single files can use canned or custom
//! signed URLs.
//!
//! * Signing is RSA-SHA1 PKCS#1 v1.5 ([`SigningKey`], PKCS#1 or PKCS#8 PEM).
//! * Policies, URLs and cookie values are byte-identical to botocore's
//!   `CloudFrontSigner` (checked against committed test vectors).
//! * [`verify`] decides [`Decision::Allow`] or [`Decision::Deny`] with a
//!   [`DenyReason`] for a request, as CloudFront would; our local CDN uses it.
//! * [`parse_expiry`] turns `1h`, `30m`, `2d`, `90s`, epoch seconds or an
//!   RFC 3339 time into an absolute expiry.
//!
//! The crate does no I/O: callers load PEM text and pass the current time.
//!
//! Modules: `keys` (PEM keys, RSA-SHA1), `policy` (canned and custom policy documents), `sign`
//! (signed URLs and cookies), `playback` (URLs plus prefix-wide cookies in one call), `verify`
//! (the edge's decision), `expiry` (expiry times from the CLI), `b64` (CloudFront's URL-safe
//! base64), `error`.
//!
//! # Example
//!
//! ```
//! use std::collections::HashMap;
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use vod_signing::{playback, verify, PlaybackRequest, SigningKey, VerifyRequest};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Throwaway test key shipped with the crate's tests; never use it for real.
//! let pem = include_str!(concat!(
//!     env!("CARGO_MANIFEST_DIR"),
//!     "/tests/data/TEST-ONLY-DO-NOT-USE.rsa-private.pkcs8.pem"
//! ));
//! let key = SigningKey::from_pem("K2TESTONLYEXAMPLE", pem)?;
//! let now = Utc.timestamp_opt(1_700_000_000, 0).single().ok_or("time")?;
//!
//! let session = playback(&key, &PlaybackRequest {
//!     cdn_base_url: "https://d123.cloudfront.net",
//!     asset_prefix: "assets/abc123/",
//!     hls_manifest: Some("hls/master.m3u8"),
//!     dash_manifest: Some("dash/manifest.mpd"),
//!     valid_for: TimeDelta::hours(2),
//!     now,
//!     client_ip: None,
//! })?;
//! assert_eq!(session.hls_url.as_deref(), Some("https://d123.cloudfront.net/assets/abc123/hls/master.m3u8"));
//! assert_eq!(session.resource, "https://d123.cloudfront.net/assets/abc123/*");
//! for line in session.cookies.set_cookie_headers(&session.cookie_attributes(now))? {
//!     println!("Set-Cookie: {line}");
//! }
//!
//! // At the edge: a segment under the prefix, carrying those cookies.
//! let keys = HashMap::from([(key.key_pair_id().to_owned(), key.verifying_key())]);
//! let cookie_header = session.cookies.cookie_header();
//! let decision = verify(&VerifyRequest {
//!     scheme: "https",
//!     host: "d123.cloudfront.net",
//!     path_and_query: "/assets/abc123/hls/720p/segment_00042.ts",
//!     cookie_header: Some(&cookie_header),
//!     client_ip: "198.51.100.10".parse()?,
//!     now,
//! }, &keys);
//! assert!(decision.is_allowed());
//! # Ok(())
//! # }
//! ```

mod b64;
mod error;
mod expiry;
mod keys;
mod playback;
mod policy;
mod sign;
mod verify;

pub use b64::{cloudfront_b64decode, cloudfront_b64encode};
pub use error::SigningError;
pub use expiry::{parse_duration, parse_expiry};
pub use keys::{SigningKey, VerifyingKey};
pub use playback::{Playback, PlaybackRequest, playback};
pub use policy::{CustomPolicy, IpCidr, canned_policy, resource_matches};
pub use sign::{
    COOKIE_EXPIRES, COOKIE_KEY_PAIR_ID, COOKIE_POLICY, COOKIE_SIGNATURE, CookieAttributes,
    SameSite, SignedCookies,
};
pub use verify::{
    CredentialSource, Decision, DenyReason, Grant, KeyGroup, PolicyKind, VerifyRequest, verify,
};
