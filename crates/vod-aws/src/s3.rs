//! [`MediaReader`] and [`OutputWriter`] on S3: HEAD for identity, ranged GETs for probing,
//! each pinned with `If-Match` (and the version id) to the object the HEAD found and streamed
//! only as far as the range asks, whatever the server sends.

use crate::sdk_error::port_error;
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use vod_core::ports::{
    MediaReader, ObjectMeta, ObjectVersion, OutputListing, OutputWriter, PortError, PortErrorKind,
    PortResult,
};

/// The most a read reserves up front: `len` is the caller's, the body's size is the server's.
const CAPACITY_HINT: usize = 1024 * 1024;

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
                // ingest-probe may s3:ListBucket the source bucket (infra `TellMissingUploads`),
                // so S3 answers a HEAD of a missing key with 404. A 403 that still comes back
                // is an access error (a bucket policy, a KMS key, a role without the grant) that
                // an operator must fix: read as "not found" it would be reported as an upload
                // deleted by its owner, so it stays an error.
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
        version: &ObjectVersion,
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
            .set_if_match(version.etag.clone())
            .set_version_id(version.version_id.clone())
            .send()
            .await
            .map_err(|e| {
                // 412: If-Match did not hold, the key holds another object than the stat saw.
                let replaced = e.raw_response().is_some_and(|r| r.status().as_u16() == 412);
                let mut err = port_error("reading a range of the source object", e);
                if replaced {
                    err.kind = PortErrorKind::Replaced;
                    err.message = format!(
                        "s3://{bucket}/{key} is no longer the object that was identified \
                         (ETag {}): it was overwritten",
                        version.etag.as_deref().unwrap_or("?")
                    );
                }
                err
            })?;
        check_body_start(out.content_range(), offset, bucket, key)?;
        read_prefix(out.body, len).await
    }
}

/// Refuses a body that does not start at `offset`. S3 answers a ranged GET with 206 and
/// `Content-Range: bytes START-END/TOTAL`; a server that ignores `Range` answers 200 with the
/// whole object, which starts at byte 0: its first bytes are still right when `offset` is 0.
/// For any other offset this refuses instead of streaming the object up to `offset`, which
/// would cost the Lambda the download the ranged read exists to avoid.
fn check_body_start(
    content_range: Option<&str>,
    offset: u64,
    bucket: &str,
    key: &str,
) -> PortResult<()> {
    let start = match content_range {
        None => 0,
        Some(range) => range
            .strip_prefix("bytes ")
            .and_then(|r| r.split_once('-'))
            .and_then(|(start, _)| start.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                PortError::permanent(format!(
                    "reading s3://{bucket}/{key}: the storage answered with an unreadable \
                     Content-Range {range:?}"
                ))
            })?,
    };
    if start == offset {
        return Ok(());
    }
    let what = match content_range {
        None => "ignored the Range header and sent the whole object".to_owned(),
        Some(range) => format!("sent another range ({range})"),
    };
    Err(PortError::permanent(format!(
        "reading s3://{bucket}/{key} from byte {offset}: the storage {what}; refusing to \
         download it"
    )))
}

/// Takes the body's first `len` bytes chunk by chunk and hangs up on the rest: a server that
/// sends more than it was asked for costs at most one chunk more than `len` in memory.
async fn read_prefix(mut body: ByteStream, len: u64) -> PortResult<Vec<u8>> {
    let want = usize::try_from(len).unwrap_or(usize::MAX);
    let mut bytes = Vec::with_capacity(want.min(CAPACITY_HINT));
    while bytes.len() < want {
        let chunk = body.try_next().await.map_err(|e| {
            PortError::transient("the source object's body was cut off").with_source(e)
        })?;
        let Some(chunk) = chunk else { break };
        let take = chunk.len().min(want - bytes.len());
        bytes.extend_from_slice(&chunk[..take]);
    }
    // Dropping the body closes the connection instead of draining what is left.
    drop(body);
    Ok(bytes)
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

/// [`OutputListing`] on S3 `ListObjectsV2`, every page.
#[derive(Debug, Clone)]
pub struct S3OutputListing {
    client: Client,
}

impl S3OutputListing {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl OutputListing for S3OutputListing {
    async fn keys(&self, bucket: &str, prefix: &str) -> PortResult<Vec<String>> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| port_error("listing output objects", e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        Ok(keys)
    }
}
