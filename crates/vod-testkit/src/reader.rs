//! Media readers over memory or a local file, counting every ranged read.

use async_trait::async_trait;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use vod_core::ports::{MediaReader, ObjectMeta, ObjectVersion, PortError, PortResult};
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

/// One stored object: its bytes and the ETag its upload got.
#[derive(Debug, Clone)]
struct Stored {
    body: Vec<u8>,
    etag: String,
}

/// Objects held in memory under `bucket/key`. Reads honour the ETag pin like S3's `If-Match`:
/// a read pinned to another ETag than the stored one is [`PortError::replaced`].
#[derive(Debug, Default)]
pub struct MemoryMediaReader {
    objects: Mutex<HashMap<(String, String), Stored>>,
    /// Overwrites that land right after the next stat of their key (see
    /// [`MemoryMediaReader::overwrite_after_next_stat`]).
    pending: Mutex<HashMap<(String, String), Stored>>,
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

    /// Stores `body` with an ETag derived from its bytes.
    pub fn insert(&self, bucket: &str, key: &str, body: Vec<u8>) {
        let etag = etag_of(&body);
        self.insert_with_etag(bucket, key, &etag, body);
    }

    /// Stores `body` under the ETag an upload reported (what the S3 event then carries).
    pub fn insert_with_etag(&self, bucket: &str, key: &str, etag: &str, body: Vec<u8>) {
        if let Ok(mut o) = self.objects.lock() {
            let etag = etag.to_owned();
            o.insert((bucket.to_owned(), key.to_owned()), Stored { body, etag });
        }
    }

    /// Replaces the object with `body` right after the next stat of `bucket/key` answered:
    /// an overwrite landing between the stat that identified an upload and the reads of it.
    pub fn overwrite_after_next_stat(&self, bucket: &str, key: &str, body: Vec<u8>) {
        if let Ok(mut p) = self.pending.lock() {
            let etag = etag_of(&body);
            p.insert((bucket.to_owned(), key.to_owned()), Stored { body, etag });
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

fn poisoned<T>(_: T) -> PortError {
    PortError::permanent("reader lock poisoned")
}

#[async_trait]
impl MediaReader for MemoryMediaReader {
    async fn stat(&self, bucket: &str, key: &str) -> PortResult<Option<ObjectMeta>> {
        let at = (bucket.to_owned(), key.to_owned());
        let mut objects = self.objects.lock().map_err(poisoned)?;
        let meta = objects.get(&at).map(|stored| ObjectMeta {
            size: stored.body.len() as u64,
            etag: Some(stored.etag.clone()),
            version_id: None,
            content_type: None,
        });
        if let Some(next) = self.pending.lock().map_err(poisoned)?.remove(&at) {
            objects.insert(at, next);
        }
        Ok(meta)
    }

    async fn read_range(
        &self,
        bucket: &str,
        key: &str,
        version: &ObjectVersion,
        offset: u64,
        len: u64,
    ) -> PortResult<Vec<u8>> {
        let objects = self.objects.lock().map_err(poisoned)?;
        let stored = objects
            .get(&(bucket.to_owned(), key.to_owned()))
            .ok_or_else(|| PortError::not_found(format!("no object s3://{bucket}/{key}")))?;
        if !version.admits_etag(&stored.etag) {
            return Err(PortError::replaced(format!(
                "s3://{bucket}/{key} is no longer ETag {} (now {})",
                version.etag.as_deref().unwrap_or_default(),
                stored.etag
            )));
        }
        let body = &stored.body;
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
        version: &ObjectVersion,
        offset: u64,
        len: u64,
    ) -> PortResult<Vec<u8>> {
        let buf = self
            .file
            .read_range(bucket, key, version, offset, len)
            .await?;
        self.log.push(offset, buf.len() as u64);
        Ok(buf)
    }
}
