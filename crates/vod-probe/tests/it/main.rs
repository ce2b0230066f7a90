//! Probe behaviour over real files made by ffmpeg at test time, synthetic edge cases, and
//! the byte budget.

mod corpus;
mod durations;
mod edge;
mod media;
mod mutate;
mod ts;

use std::path::Path;
use vod_core::ports::{MediaReader, ObjectRange, ObjectVersion, PortResult};
use vod_core::probe::{ProbeOutcome, ProbeReport, RejectReason, Rejection};
use vod_testkit::{FileMediaReader, MemoryMediaReader};

/// Probes a file through `FileMediaReader`; returns the outcome and the bytes the reader served.
pub async fn probe_file(path: &Path) -> (ProbeOutcome, u64) {
    let reader = FileMediaReader::new(path);
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let outcome = probe_with(&reader, size)
        .await
        .unwrap_or_else(|e| panic!("probe of {path:?} failed: {e}"));
    (outcome, reader.log.bytes_read())
}

pub async fn probe_bytes(body: Vec<u8>) -> (ProbeOutcome, u64) {
    let size = body.len() as u64;
    let reader = MemoryMediaReader::new().with_object("b", "upload.bin", body);
    let outcome = probe_with(&reader, size)
        .await
        .unwrap_or_else(|e| panic!("probe failed: {e}"));
    (outcome, reader.log.bytes_read())
}

pub async fn probe_with(reader: &dyn MediaReader, size: u64) -> PortResult<ProbeOutcome> {
    let object = ObjectRange {
        reader,
        bucket: "b",
        key: "upload.bin",
        size,
        version: &ObjectVersion::ANY,
    };
    vod_probe::probe(object).await
}

#[track_caller]
pub fn accepted(outcome: ProbeOutcome) -> ProbeReport {
    match outcome {
        ProbeOutcome::Accepted { report } => report,
        ProbeOutcome::Rejected { rejection } => panic!("expected accepted, got {rejection:?}"),
    }
}

#[track_caller]
pub fn rejected(outcome: ProbeOutcome, reason: RejectReason) -> Rejection {
    match outcome {
        ProbeOutcome::Rejected { rejection } => {
            assert_eq!(rejection.reason, reason, "{rejection:?}");
            assert!(
                rejection.message.len() > 20,
                "message too thin: {rejection:?}"
            );
            rejection
        }
        ProbeOutcome::Accepted { report } => panic!("expected {reason:?}, got accepted {report:?}"),
    }
}

#[track_caller]
pub fn close(actual: Option<f64>, expected: f64, tolerance: f64) {
    let actual = actual.unwrap_or_else(|| panic!("missing value, expected {expected}"));
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} is not within {tolerance} of {expected}"
    );
}

/// The MP4/MKV budget: 1 MiB + 64 KiB per track.
pub fn budget(tracks: usize) -> u64 {
    vod_probe::BASE_BUDGET_BYTES + vod_probe::PER_TRACK_BUDGET_BYTES * tracks as u64
}

/// An ISO BMFF box: 32-bit size, `kind`, `body`.
pub fn bmff(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// A full box: version, three flag bytes, `body`.
pub fn full(kind: &[u8; 4], version: u8, body: &[u8]) -> Vec<u8> {
    let mut b = vec![version, 0, 0, 0];
    b.extend_from_slice(body);
    bmff(kind, &b)
}

pub fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}
