//! The real aws-sdk clients against a moto server started by the test, and the CreateJob body
//! the SDK really sends, checked by botocore's model.

// A test that unwraps fails loudly with the error, which is what a test should do.
#![allow(clippy::unwrap_used)]

mod adapters;
mod job_body;
mod limits;
mod ranged_read;
mod reconciler_ports;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

/// SDK configuration pointing every client at `endpoint` with test credentials.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "tests",
            )),
        )
        .build()
}

/// A freshly claimed record for `key` (raw, as an event carries it) in bucket `src`.
pub fn record(key: &str) -> vod_core::record::AssetRecord {
    use vod_core::record::{AssetRecord, SourceObject};
    let key = vod_core::s3_key::ObjectKey::from_event(key);
    let id = vod_core::AssetId::derive("src", &key.decoded, "etag");
    let source = SourceObject {
        bucket: "src".into(),
        key,
        resolved_key: None,
        version_id: None,
        etag: Some("etag".into()),
        size_bytes: Some(1),
    };
    AssetRecord::claim(id, source, chrono::Utc::now())
}
