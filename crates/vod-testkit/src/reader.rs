//! Media readers over memory or a local file, counting every ranged read.

use async_trait::async_trait;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use vod_core::ports::{MediaReader, ObjectMeta, PortError, PortResult};
use vod_probe::LocalFile;

/// Every ranged read a reader served: `(offset, len)` in call order.
#[derive(Debug, Default)]
pub struct ReadLog {
    reads: Mutex<Vec<(u64, u64)>>,
}

impl ReadLog {
    fn push(&self, offset: u64, len: u64) {
        if let Ok(mut r) = self.reads.lock() {
            r.push((offset, len));
        }
    }

    pub fn reads(&self) -> Vec<(u64, u64)> {
        self.reads.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Total bytes handed out.
    pub fn bytes_read(&self) -> u64 {
        self.reads().iter().map(|(_, len)| len).sum()
    }

    pub fn clear(&self) {
        if let Ok(mut r) = self.reads.lock() {
            r.clear();
        }
    }
}

/// Objects held in memory under `bucket/key`.
#[derive(Debug, Default)]
pub struct MemoryMediaReader {
    objects: Mutex<HashMap<(String, String), Vec<u8>>>,
    pub log: ReadLog,
}

impl MemoryMediaReader {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_object(self, bucket: &str, key: &str, body: Vec<u8>) -> Self {
        self.insert(bucket, key, body);
        self
    }

    pub fn insert(&self, bucket: &str, key: &str, body: Vec<u8>) {
        if let Ok(mut o) = self.objects.lock() {
            o.insert((bucket.to_owned(), key.to_owned()), body);
        }
    }
}

fn etag_of(body: &[u8]) -> String {
    // Not MD5, but stable per content, which is all the pipeline relies on.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

#[async_trait]
impl MediaReader for MemoryMediaReader {
    async fn stat(&self, bucket: &str, key: &str) -> PortResult<Option<ObjectMeta>> {
        let objects = self
            .objects
            .lock()
            .map_err(|_| PortError::permanent("reader lock poisoned"))?;
        Ok(objects
            .get(&(bucket.to_owned(), key.to_owned()))
            .map(|body| ObjectMeta {
                size: body.len() as u64,
                etag: Some(etag_of(body)),
                version_id: None,
                content_type: None,
            }))
    }

    async fn read_range(
        &self,
        bucket: &str,
        key: &str,
        offset: u64,
        len: u64,
    ) -> PortResult<Vec<u8>> {
        let objects = self
            .objects
            .lock()
            .map_err(|_| PortError::permanent("reader lock poisoned"))?;
        let body = objects
            .get(&(bucket.to_owned(), key.to_owned()))
            .ok_or_else(|| PortError::not_found(format!("no object s3://{bucket}/{key}")))?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(body.len());
        let end = usize::try_from(offset.saturating_add(len))
            .unwrap_or(usize::MAX)
            .min(body.len());
        self.log.push(offset, (end - start) as u64);
        Ok(body[start..end].to_vec())
    }
}

/// One local file served as `bucket/key` (any bucket and key), for large or sparse inputs
/// that should not be loaded into memory: [`vod_probe::LocalFile`] with a [`ReadLog`].
#[derive(Debug)]
pub struct FileMediaReader {
    file: LocalFile,
    pub log: ReadLog,
}

impl FileMediaReader {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            file: LocalFile::new(path),
            log: ReadLog::default(),
        }
    }
}

#[async_trait]
impl MediaReader for FileMediaReader {
    async fn stat(&self, bucket: &str, key: &str) -> PortResult<Option<ObjectMeta>> {
        self.file.stat(bucket, key).await
    }

    async fn read_range(
        &self,
        bucket: &str,
        key: &str,
        offset: u64,
        len: u64,
    ) -> PortResult<Vec<u8>> {
        let buf = self.file.read_range(bucket, key, offset, len).await?;
        self.log.push(offset, buf.len() as u64);
        Ok(buf)
    }
}
