//! A distributed Map's `ItemReader` on the twin reads S3 through the same SDK client the
//! handlers use ([`vod_aws::AwsClients::s3`]), so a state machine that reads its items from a
//! bucket runs against moto (or any S3 endpoint) exactly as on AWS.

use aws_sdk_s3::error::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use vod_states::{ItemSource, ObjectSummary, SourceError};

/// [`ItemSource`] over an `aws-sdk-s3` client.
#[derive(Debug, Clone)]
pub struct S3ItemSource {
    s3: aws_sdk_s3::Client,
}

impl S3ItemSource {
    pub fn new(s3: aws_sdk_s3::Client) -> Self {
        Self { s3 }
    }
}

/// S3's error code and message, as Step Functions quotes them in `States.ItemReaderFailed`.
fn source_error<E: ProvideErrorMetadata>(error: &E, fallback: &str) -> SourceError {
    SourceError::new(
        error.code().unwrap_or("ServiceUnavailable"),
        error.message().unwrap_or(fallback),
    )
}

#[async_trait::async_trait]
impl ItemSource for S3ItemSource {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, SourceError> {
        let object = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| source_error(&e.into_service_error(), "GetObject failed"))?;
        let body = object.body.collect().await.map_err(|e| {
            SourceError::new("InternalError", format!("reading s3://{bucket}/{key}: {e}"))
        })?;
        Ok(body.into_bytes().to_vec())
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectSummary>, SourceError> {
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut objects = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| source_error(&e.into_service_error(), "ListObjectsV2 failed"))?;
            for object in page.contents() {
                let last_modified = object
                    .last_modified()
                    .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()))
                    .unwrap_or_default();
                objects.push(ObjectSummary {
                    key: object.key().unwrap_or_default().to_owned(),
                    etag: object.e_tag().unwrap_or_default().to_owned(),
                    last_modified,
                    size: object
                        .size()
                        .and_then(|s| u64::try_from(s).ok())
                        .unwrap_or(0),
                    storage_class: object
                        .storage_class()
                        .map_or("STANDARD", |c| c.as_str())
                        .to_owned(),
                });
            }
        }
        Ok(objects)
    }
}
