//! One key identity for every function: an upload's asset id derives from the key its
//! object is found under (the decoded key, or the raw one when the event carried it raw, as
//! moto does), with its revision, so it is the id the uploader derives from its own key and
//! PutObject response. ingest-probe and the notifier's ingest-failure path both find it this
//! way, so a failure always lands on the record the probe claimed (issue #17 problem 2).

use crate::HandlerError;
use crate::inbound_events::S3ObjectCreated;
use vod_core::AssetId;
use vod_core::asset_id::object_revision;
use vod_core::ports::{MediaReader, ObjectMeta, same_etag};
use vod_core::record::SourceObject;
use vod_core::s3_key::ObjectKey;

/// An upload as the pipeline knows it.
#[derive(Debug, Clone)]
pub struct Identified {
    pub asset_id: AssetId,
    pub source: SourceObject,
    /// The key the object was found under, and its metadata; `None` when it no longer exists.
    pub found: Option<(String, ObjectMeta)>,
}

/// Finds the object `detail` names and the asset it is.
pub async fn identify_upload(
    reader: &dyn MediaReader,
    detail: &S3ObjectCreated,
) -> Result<Identified, HandlerError> {
    let found = locate(reader, detail, &detail.key()).await?;
    let (asset_id, source) = detail
        .identify(found.as_ref().map(|(key, _)| key.as_str()))
        .ok_or_else(|| {
            HandlerError::invalid_input(format!(
                "the event for s3://{}/{} has neither a version id nor an etag",
                detail.bucket.name, detail.object.key
            ))
        })?;
    Ok(Identified {
        asset_id,
        source,
        found,
    })
}

/// Finds the object an event names: under the decoded key or the raw one (S3 encodes keys in
/// events, emulators such as moto pass them raw). When both exist, the one the event names
/// (ETag, version) wins; `None` when neither exists (deleted after upload).
pub async fn locate(
    reader: &dyn MediaReader,
    detail: &S3ObjectCreated,
    key: &ObjectKey,
) -> Result<Option<(String, ObjectMeta)>, HandlerError> {
    let mut first = None;
    for candidate in key.candidates() {
        let meta = reader
            .stat(&detail.bucket.name, candidate)
            .await
            .map_err(|e| HandlerError::from_port("looking up the uploaded object", e))?;
        match meta {
            Some(meta) if names_the_event(&meta, detail) => {
                return Ok(Some((candidate.to_owned(), meta)));
            }
            Some(meta) => {
                first.get_or_insert((candidate.to_owned(), meta));
            }
            None => {}
        }
    }
    Ok(first)
}

/// Whether the object the stat found is the upload the event names: the same ETag (quotes
/// aside) and, in a versioned bucket, the same version. Only what the event carries is compared.
pub fn names_the_event(meta: &ObjectMeta, detail: &S3ObjectCreated) -> bool {
    let same_etag = match (&meta.etag, &detail.object.etag) {
        (Some(a), Some(b)) => same_etag(a, b),
        _ => true,
    };
    let same_version = match object_revision(detail.object.version_id.as_deref(), None) {
        Some(version) => meta.version().version_id.as_deref() == Some(version),
        None => true,
    };
    same_etag && same_version
}
