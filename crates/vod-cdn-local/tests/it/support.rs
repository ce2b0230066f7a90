//! Moto, a bucket, an asset table and a record; the router called in-process.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::primitives::ByteStream;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::Utc;
use tower::ServiceExt;
use vod_aws::AwsClients;
use vod_aws::dynamodb::DynamoAssetStore;
use vod_cdn_local::{CdnConfig, SigningConfig};
use vod_core::AssetId;
use vod_core::AssetStatus;
use vod_core::ports::AssetStore;
use vod_core::record::{AssetRecord, Playback, SourceObject};
use vod_core::s3_key::ObjectKey;
use vod_signing::{KeyGroup, SigningKey};
use vod_testkit::MotoServer;

pub const OUTPUT_BUCKET: &str = "vod-output";
pub const TABLE: &str = "vod-assets";
pub const BASE_URL: &str = "http://cdn.test:4568";

pub const KEY_PAIR_ID: &str = "K2TESTONLYEXAMPLE";
pub const PRIVATE_PEM: &str =
    include_str!("../../../vod-signing/tests/data/TEST-ONLY-DO-NOT-USE.rsa-private.pkcs8.pem");
pub const OTHER_PRIVATE_PEM: &str = include_str!(
    "../../../vod-signing/tests/data/TEST-ONLY-DO-NOT-USE.other-rsa-private.pkcs8.pem"
);

pub fn test_key() -> SigningKey {
    SigningKey::from_pem(KEY_PAIR_ID, PRIVATE_PEM).expect("the test key loads")
}

pub fn signing_config() -> SigningConfig {
    let key = test_key();
    SigningConfig {
        key_group: KeyGroup::from([(KEY_PAIR_ID.to_owned(), key.verifying_key())]),
        cookie_key: Some(key),
        cookie_lifetime: vod_cdn_local::DEFAULT_COOKIE_LIFETIME,
    }
}

/// An id of the right shape, distinct per name.
pub fn asset_id(name: &str) -> AssetId {
    AssetId::derive("vod-source", name, "etag")
}

pub struct Twin {
    // Killed on drop; keep it alive as long as the clients.
    pub _moto: MotoServer,
    pub clients: AwsClients,
    pub store: Arc<DynamoAssetStore>,
}

impl Twin {
    pub async fn start() -> Self {
        let moto = MotoServer::start().expect("moto starts (run `make venv`)");
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(moto.endpoint())
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load()
            .await;
        let clients = AwsClients::from_sdk_config(&shared);
        clients
            .s3()
            .create_bucket()
            .bucket(OUTPUT_BUCKET)
            .send()
            .await
            .expect("create the output bucket");
        vod_aws::dynamodb::ensure_asset_table(&clients.dynamodb(), TABLE)
            .await
            .expect("asset table");
        let store = Arc::new(DynamoAssetStore::new(clients.dynamodb(), TABLE));
        Self {
            _moto: moto,
            clients,
            store,
        }
    }

    pub fn config(&self, base_url: &str, signing: Option<SigningConfig>) -> CdnConfig {
        CdnConfig {
            s3: self.clients.s3(),
            output_bucket: OUTPUT_BUCKET.into(),
            asset_prefix: "assets/".into(),
            store: self.store.clone(),
            public_base_url: base_url.into(),
            signing,
            player_dir: vod_cdn_local::default_player_dir(),
        }
    }

    /// The router as a viewer at 198.51.100.7 reaches it.
    pub fn app(&self, signing: Option<SigningConfig>) -> Router {
        vod_cdn_local::router(self.config(BASE_URL, signing)).layer(MockConnectInfo(
            SocketAddr::from(([198, 51, 100, 7], 50_000)),
        ))
    }

    pub async fn put(&self, bucket: &str, key: &str, body: Vec<u8>) {
        self.clients
            .s3()
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .expect("put object");
    }

    pub async fn upload_dir(&self, dir: &Path, prefix: &str) -> usize {
        let mut count = 0;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).expect("read dir") {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path.strip_prefix(dir).expect("under dir");
                let key = format!("{prefix}{}", rel.to_string_lossy());
                self.put(
                    OUTPUT_BUCKET,
                    &key,
                    std::fs::read(&path).expect("read file"),
                )
                .await;
                count += 1;
            }
        }
        count
    }

    /// A COMPLETE record with these playback URLs.
    pub async fn put_complete_record(&self, id: &AssetId, playback: Playback) {
        self.store
            .claim(&complete_record(id, playback))
            .await
            .expect("store the record");
    }
}

/// A COMPLETE record with these playback URLs (not stored).
pub fn complete_record(id: &AssetId, playback: Playback) -> AssetRecord {
    let now = Utc::now();
    let source = SourceObject {
        bucket: "vod-source".into(),
        key: ObjectKey::from_event(&format!("{id}.mp4")),
        resolved_key: None,
        version_id: None,
        etag: Some("etag".into()),
        size_bytes: Some(1),
    };
    let mut record = AssetRecord::claim(id.clone(), source, now);
    for status in [
        AssetStatus::Probed,
        AssetStatus::Transcoding,
        AssetStatus::Complete,
    ] {
        record
            .transition(status, now, None)
            .expect("legal lifecycle");
    }
    record.progress_percent = Some(100);
    record.playback = Some(playback);
    record
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub async fn call(app: &Router, method: Method, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Body::empty()).expect("request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("read body");
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub async fn get(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Reply {
    call(app, Method::GET, uri, headers).await
}
