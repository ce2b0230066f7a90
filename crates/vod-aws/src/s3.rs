//! [`MediaReader`] and [`OutputWriter`] on S3: HEAD for identity, ranged GETs for probing.

use crate::sdk_error::port_error;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use vod_core::ports::{
    MediaReader, ObjectMeta, OutputWriter, PortError, PortErrorKind, PortResult,
};

#[derive(Debug, Clone)]
pub struct S3MediaReader {
    client: Client,
}

impl S3MediaReader {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl MediaReader for S3MediaReader {
    async fn stat(&self, bucket: &str, key: &str) -> PortResult<Option<ObjectMeta>> {
        match self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(head) => Ok(Some(ObjectMeta {
                size: head
                    .content_length()
                    .and_then(|l| u64::try_from(l).ok())
                    .unwrap_or(0),
                etag: head.e_tag().map(str::to_owned),
                version_id: head.version_id().map(str::to_owned),
                content_type: head.content_type().map(str::to_owned),
            })),
            Err(e) => {
                let err = port_error("looking up the source object", e);
                if err.kind == PortErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    async fn read_range(
        &self,
        bucket: &str,
        key: &str,
        offset: u64,
        len: u64,
    ) -> PortResult<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let last = offset.saturating_add(len - 1);
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .range(format!("bytes={offset}-{last}"))
            .send()
            .await
            .map_err(|e| port_error("reading a range of the source object", e))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| {
                PortError::transient("the source object's body was cut off").with_source(e)
            })?
            .into_bytes();
        // A server that ignores Range would hand us the whole object: refuse to keep more.
        let keep = usize::try_from(len).unwrap_or(usize::MAX).min(bytes.len());
        Ok(bytes[..keep].to_vec())
    }
}

#[derive(Debug, Clone)]
pub struct S3OutputWriter {
    client: Client,
}

impl S3OutputWriter {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl OutputWriter for S3OutputWriter {
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> PortResult<()> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| port_error("writing an output file", e))?;
        Ok(())
    }
}
