//! Shared by every target: probe `data` from memory and check the invariants that matter
//! more than any single fact: no panic, reads within budget, the report counts its reads.

use vod_core::ports::{ObjectRange, ObjectVersion};
use vod_core::probe::ProbeOutcome;
use vod_probe::Family;
use vod_testkit::MemoryMediaReader;

/// Most a probe may ever read: the base budget plus the per-track allowance for 64 tracks,
/// plus the MPEG-TS prefix and tail.
const CEILING: u64 = vod_probe::BASE_BUDGET_BYTES + 64 * vod_probe::PER_TRACK_BUDGET_BYTES;

pub fn check(data: &[u8], family: Option<Family>) {
    let reader = MemoryMediaReader::new().with_object("fuzz", "input", data.to_vec());
    let object = ObjectRange {
        reader: &reader,
        bucket: "fuzz",
        key: "input",
        size: data.len() as u64,
        version: &ObjectVersion::ANY,
    };
    let outcome = match family {
        Some(family) => futures::executor::block_on(vod_probe::probe_as(object, family)),
        None => futures::executor::block_on(vod_probe::probe(object)),
    };
    let Ok(outcome) = outcome else {
        panic!("an in-memory reader never fails; the probe invented an error");
    };
    let served = reader.log.bytes_read();
    assert!(served <= CEILING, "read {served} bytes");
    if let ProbeOutcome::Accepted { report } = outcome {
        assert_eq!(report.bytes_read, served);
        assert_eq!(report.size_bytes, data.len() as u64);
        if let Some(d) = report.duration_seconds {
            assert!(d.is_finite() && d >= 0.0);
        }
    }
}
