//! The local twin's CloudFront: the output bucket over HTTP, the way our distribution serves it,
//! plus a player page to watch an asset.
//!
//! [`router`] answers, on the twin's CDN port (`127.0.0.1:4568`):
//! - `GET`/`HEAD /<key>`: the object `<key>` of the output bucket, streamed from S3 with
//!   CloudFront's headers: content type by extension, our cache rules ([`cache_control`]),
//!   single byte ranges (passed to `GetObject`), `ETag`/`Last-Modified`, conditional
//!   `If-None-Match`. Keys are percent-decoded once; `.`/`..` segments are refused, so nothing
//!   outside the bucket's key space is reachable. `OPTIONS` answers CORS preflights.
//! - Every response carries the distribution's response headers policy
//!   ([`response_headers`]): CORS `*` without credentials on CORS requests (also in signed
//!   mode, as CloudFront sends it), `X-Content-Type-Options: nosniff`, HSTS.
//! - In signed mode ([`CdnConfig::signing`]) every object request must carry a CloudFront signed
//!   URL or `CloudFront-*` cookies that [`vod_signing::verify`] accepts, else `403` with the
//!   reason in the body.
//! - `GET /player/<assetId>`: the player page (hls.js + dash.js, quality menus, storyboard,
//!   record JSON), its files under `/player-assets/…`, and the JSON it reads:
//!   `GET /api/assets/<assetId>` (the part of the record a player needs, [`PlayerRecord`]: no
//!   task token, job, source or failure details) and `GET /api/playback/<assetId>` (playback
//!   URLs; in signed mode it also sets the asset-wide signed cookies). These are never signed.
//!   The page is on the CDN's own origin, so its signed cookies are first-party, as a page on
//!   the distribution's domain gets them on AWS.
//!
//! Modules: `objects` (object requests with CloudFront's headers), `media_types` (content types
//! and cache rules by extension), `signed` (the signed-mode decision), `player` (the player page
//! and its JSON endpoints).
//!
//! ```no_run
//! # async fn demo(s3: aws_sdk_s3::Client, store: std::sync::Arc<dyn vod_core::ports::AssetStore>)
//! # -> std::io::Result<()> {
//! use std::net::SocketAddr;
//! use vod_cdn_local::{CdnConfig, router};
//!
//! let app = router(CdnConfig {
//!     s3,
//!     output_bucket: "vod-output".into(),
//!     asset_prefix: "assets/".into(),
//!     store,
//!     public_base_url: "http://127.0.0.1:4568".into(),
//!     signing: None,
//!     player_dir: vod_cdn_local::default_player_dir(),
//! });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:4568").await?;
//! // The client address feeds the signed-policy `AWS:SourceIp` check.
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
//! # }
//! ```

mod media_types;
mod objects;
mod player;
mod record_view;
pub mod response_headers;
mod signed;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use chrono::TimeDelta;
use vod_core::ports::AssetStore;
use vod_signing::{KeyGroup, SigningKey};

pub use media_types::{
    CACHE_IMMUTABLE, CACHE_MANIFEST, CACHE_METADATA, cache_control, content_type,
};
pub use record_view::{PlayerRecord, PlayerRendition};
pub use response_headers::RESPONSE_HEADERS;

/// How long the player page's signed cookies stay valid unless configured otherwise.
pub const DEFAULT_COOKIE_LIFETIME: TimeDelta = TimeDelta::hours(2);

/// Everything the local CDN needs.
#[derive(Clone)]
pub struct CdnConfig {
    /// Client for the output bucket (path-style for moto).
    pub s3: aws_sdk_s3::Client,
    /// The bucket this distribution fronts (`outputBucket` of `localstack/twin.json`).
    pub output_bucket: String,
    /// Key prefix of the assets' folders, with its trailing `/` (`outputPrefix`, `assets/`);
    /// the player's signed cookies cover `<public_base_url>/<asset_prefix><assetId>/*`.
    pub asset_prefix: String,
    /// Asset records, for the player page (`DynamoAssetStore` in the twin).
    pub store: Arc<dyn AssetStore>,
    /// The origin viewers use, e.g. `http://127.0.0.1:4568` (scheme + host + port, no path).
    /// Signed URLs and cookie policies are checked against URLs on this origin, as
    /// CloudFront checks them against its own domain.
    pub public_base_url: String,
    /// `Some` = the distribution requires signed URLs or signed cookies.
    pub signing: Option<SigningConfig>,
    /// The `player/` directory: `static/` (page JS/CSS) and `node_modules/` (hls.js, dashjs).
    pub player_dir: PathBuf,
}

impl fmt::Debug for CdnConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CdnConfig")
            .field("output_bucket", &self.output_bucket)
            .field("asset_prefix", &self.asset_prefix)
            .field("public_base_url", &self.public_base_url)
            .field("signing", &self.signing)
            .field("player_dir", &self.player_dir)
            .finish_non_exhaustive()
    }
}

/// Signed mode: the trusted key group, and the key the player page's cookie helper signs with.
#[derive(Clone)]
pub struct SigningConfig {
    /// Public keys by key-pair id (the distribution's trusted key group).
    pub key_group: KeyGroup,
    /// Private key for `GET /api/playback/<id>`; without it that endpoint answers `503` and
    /// viewers must bring their own signed URLs or cookies.
    pub cookie_key: Option<SigningKey>,
    /// Lifetime of the cookies the helper sets.
    pub cookie_lifetime: TimeDelta,
}

impl fmt::Debug for SigningConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.key_group.keys().collect();
        ids.sort();
        f.debug_struct("SigningConfig")
            .field("key_pair_ids", &ids)
            .field(
                "cookie_key",
                &self.cookie_key.as_ref().map(SigningKey::key_pair_id),
            )
            .field("cookie_lifetime", &self.cookie_lifetime)
            .finish()
    }
}

/// `crates/vod-cdn-local/player` of this checkout (where `npm ci` installs the players).
pub fn default_player_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("player")
}

/// The shared state of every handler.
pub(crate) struct Cdn {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub asset_prefix: String,
    pub store: Arc<dyn AssetStore>,
    /// `public_base_url` without a trailing `/`.
    pub base_url: String,
    /// Lower-case scheme and host[:port] of `base_url`, as `verify` rebuilds request URLs.
    pub scheme: String,
    pub host: String,
    pub signing: Option<SigningConfig>,
    pub player_dir: PathBuf,
}

impl Cdn {
    fn new(config: CdnConfig) -> Self {
        let base_url = config.public_base_url.trim_end_matches('/').to_owned();
        let (scheme, rest) = base_url.split_once("://").unwrap_or(("http", &base_url));
        // Only the origin counts: CloudFront signs `scheme://domain/path`.
        let host = rest.split('/').next().unwrap_or(rest).to_owned();
        let mut asset_prefix = config.asset_prefix.trim_start_matches('/').to_owned();
        if !asset_prefix.is_empty() && !asset_prefix.ends_with('/') {
            asset_prefix.push('/');
        }
        Self {
            s3: config.s3,
            bucket: config.output_bucket,
            asset_prefix,
            store: config.store,
            scheme: scheme.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
            base_url: format!("{scheme}://{host}"),
            signing: config.signing,
            player_dir: config.player_dir,
        }
    }
}

/// The CDN: objects, player page and its API. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so signed policies with
/// `AWS:SourceIp` see the viewer's address (without it every viewer counts as 127.0.0.1).
pub fn router(config: CdnConfig) -> Router {
    let cdn = Arc::new(Cdn::new(config));
    tracing::info!(
        bucket = %cdn.bucket,
        base_url = %cdn.base_url,
        signed = cdn.signing.is_some(),
        "local CDN configured"
    );
    Router::new()
        .route("/player/{asset_id}", get(player::page))
        .route("/player-assets/{*file}", get(player::asset))
        .route("/api/assets/{asset_id}", get(player::record))
        .route("/api/playback/{asset_id}", get(player::playback))
        .fallback(objects::serve)
        .layer(axum::middleware::from_fn(response_headers::layer))
        .with_state(cdn)
}
