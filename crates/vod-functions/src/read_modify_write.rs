//! Read-modify-write of asset records with optimistic concurrency.

use crate::HandlerError;
use vod_core::AssetId;
use vod_core::ports::{AssetStore, Clock, PortErrorKind};
use vod_core::record::AssetRecord;

/// Lost races retried before giving up (each retry re-reads the record).
const MAX_ATTEMPTS: usize = 5;

/// What a change function decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    /// The record was changed: write it.
    Write,
    /// Nothing to do (already in the wanted state).
    Keep,
}

/// Applies `change` to the stored record of `id` and writes it, re-reading and re-applying
/// when another writer got there first. Returns the record as stored afterwards.
pub async fn modify<F>(
    store: &dyn AssetStore,
    clock: &dyn Clock,
    id: &AssetId,
    mut change: F,
) -> Result<AssetRecord, HandlerError>
where
    F: FnMut(&mut AssetRecord) -> Result<Change, HandlerError>,
{
    for _ in 0..MAX_ATTEMPTS {
        let mut record = store
            .get(id)
            .await
            .map_err(|e| HandlerError::from_port("reading the asset record", e))?
            .ok_or_else(|| HandlerError::conflict(format!("no record for asset {id}")))?;
        if change(&mut record)? == Change::Keep {
            return Ok(record);
        }
        record.touch(clock.now());
        match store.update(&record).await {
            Ok(()) => return Ok(record),
            Err(e) if e.kind == PortErrorKind::Conflict => continue,
            Err(e) => return Err(HandlerError::from_port("writing the asset record", e)),
        }
    }
    Err(HandlerError::new(
        vod_core::error_names::TRANSIENT,
        format!("the record of {id} kept changing under us ({MAX_ATTEMPTS} attempts)"),
    ))
}
