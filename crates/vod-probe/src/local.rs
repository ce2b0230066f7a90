//! A local file as a [`MediaReader`], so `vod probe FILE` (and tools and tests) run the very
//! probe the ingest Lambda runs on S3, with the same ranged reads, before anything is uploaded.

use async_trait::async_trait;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use vod_core::ports::{MediaReader, ObjectMeta, ObjectVersion, PortError, PortResult};

/// One local file served under any bucket and key. Every read opens, seeks and reads at most
/// `len` bytes: nothing is loaded whole, so a sparse 500 MB file costs what its headers cost.
#[derive(Debug, Clone)]
pub struct LocalFile {
    path: PathBuf,
}

impl LocalFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io_error(&self, e: std::io::Error) -> PortError {
        PortError::permanent(format!("reading {} failed", self.path.display())).with_source(e)
    }
}

#[async_trait]
impl MediaReader for LocalFile {
    async fn stat(&self, _bucket: &str, _key: &str) -> PortResult<Option<ObjectMeta>> {
        match std::fs::metadata(&self.path) {
            Ok(m) => Ok(Some(ObjectMeta {
                size: m.len(),
                etag: Some(format!("\"{:x}\"", m.len())),
                version_id: None,
                content_type: None,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io_error(e)),
        }
    }

    async fn read_range(
        &self,
        _bucket: &str,
        _key: &str,
        // A local file has no versions (its stand-in ETag is its length): the pin is not
        // checked here, only by readers of stores that keep versions.
        _version: &ObjectVersion,
        offset: u64,
        len: u64,
    ) -> PortResult<Vec<u8>> {
        let mut file = std::fs::File::open(&self.path).map_err(|e| self.io_error(e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| self.io_error(e))?;
        let mut buf = Vec::new();
        file.take(len)
            .read_to_end(&mut buf)
            .map_err(|e| self.io_error(e))?;
        Ok(buf)
    }
}
