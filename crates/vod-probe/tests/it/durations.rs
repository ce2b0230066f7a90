//! Durations as headers state them, sane or absurd: 12 h passes, anything beyond the 48 h
//! bound is rejected saying both numbers, and a float that is not a length counts as unknown.

use crate::corpus::h264_clip;
use crate::{accepted, bmff, cat, close, full, probe_bytes, rejected};
use vod_core::probe::{MAX_SOURCE_DURATION_SECONDS, RejectReason};

/// A 1080p H.264 MP4 (sample tables without samples: the probe reads headers only) whose
/// version 1 `mvhd` says `duration` ticks of `timescale`.
fn mp4_lasting(timescale: u32, duration: u64) -> Vec<u8> {
    let mut avc1 = vec![0u8; 78];
    avc1[7] = 1; // data_reference_index
    avc1[24..26].copy_from_slice(&1920u16.to_be_bytes());
    avc1[26..28].copy_from_slice(&1080u16.to_be_bytes());
    avc1.extend_from_slice(&bmff(b"avcC", &[1, 100, 0, 40, 0xFF, 0xE0, 0]));
    let stsd = full(
        b"stsd",
        0,
        &[1u32.to_be_bytes().to_vec(), bmff(b"avc1", &avc1)].concat(),
    );
    let stbl = bmff(b"stbl", &stsd);
    let mut mdhd = vec![0u8; 20];
    mdhd[8..12].copy_from_slice(&25u32.to_be_bytes());
    mdhd[12..16].copy_from_slice(&25u32.to_be_bytes());
    let hdlr = full(
        b"hdlr",
        0,
        &[
            0, 0, 0, 0, b'v', b'i', b'd', b'e', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    let mdia = bmff(
        b"mdia",
        &cat(&[full(b"mdhd", 0, &mdhd), hdlr, bmff(b"minf", &stbl)]),
    );
    let trak = bmff(b"trak", &cat(&[full(b"tkhd", 0, &[0; 80]), mdia]));
    // Version 1: creation and modification times (8 + 8), timescale, a 64-bit duration.
    let mut mvhd = vec![0u8; 108];
    mvhd[16..20].copy_from_slice(&timescale.to_be_bytes());
    mvhd[20..28].copy_from_slice(&duration.to_be_bytes());
    let moov = bmff(b"moov", &cat(&[full(b"mvhd", 1, &mvhd), trak]));
    cat(&[bmff(b"ftyp", b"isom\0\0\0\0isom"), moov])
}

#[tokio::test]
async fn a_twelve_hour_mp4_is_accepted_with_its_duration() {
    let (outcome, _) = probe_bytes(mp4_lasting(1000, 43_200_000)).await;
    let report = accepted(outcome);
    assert_eq!(report.duration_seconds, Some(43_200.0));
    assert!(report.video.is_some());
}

#[tokio::test]
async fn an_mp4_beyond_the_bound_is_rejected_naming_its_duration_and_the_limit() {
    let limit = MAX_SOURCE_DURATION_SECONDS as u64;
    for (timescale, duration, says) in [
        (1, 1_000_000_000_000, "1000000000000 s"),
        (1, u64::MAX - 1, "18446744073709551616 s"),
        (1000, (limit + 1) * 1000, "172801 s"),
    ] {
        let (outcome, _) = probe_bytes(mp4_lasting(timescale, duration)).await;
        let rejection = rejected(outcome, RejectReason::TooLong);
        assert!(
            rejection.message.contains(says) && rejection.message.contains("172800 s"),
            "{rejection:?}"
        );
        assert_eq!(rejection.detected.as_deref(), Some("MP4/QuickTime"));
    }
    // All ones is the format's "unknown", not a length: the track's own 1 s stands in.
    let (outcome, _) = probe_bytes(mp4_lasting(1, u64::MAX)).await;
    assert_eq!(accepted(outcome).duration_seconds, Some(1.0));
}

/// A real Matroska file with its Info `Duration` float (milliseconds at the default
/// TimestampScale) replaced by `value`.
fn mkv_lasting(value: f64) -> Vec<u8> {
    let path = h264_clip("duration-float.mkv", "320x240", 25, &[]);
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    // Duration: element id 0x4489, size 8 (0x88), a big-endian double.
    let at = bytes
        .windows(3)
        .position(|w| w == [0x44, 0x89, 0x88])
        .unwrap_or_else(|| panic!("no 8-byte Duration in {path:?}"))
        + 3;
    bytes[at..at + 8].copy_from_slice(&value.to_be_bytes());
    bytes
}

#[tokio::test]
async fn a_matroska_duration_is_bounded_like_any_other() {
    let (outcome, _) = probe_bytes(mkv_lasting(43_200_000.0)).await;
    close(accepted(outcome).duration_seconds, 43_200.0, 0.001);

    for ms in [1e15, 1e300, f64::MAX] {
        let (outcome, _) = probe_bytes(mkv_lasting(ms)).await;
        let rejection = rejected(outcome, RejectReason::TooLong);
        assert!(rejection.message.contains("172800 s"), "{rejection:?}");
        assert_eq!(rejection.detected.as_deref(), Some("Matroska/WebM"));
    }
    for ms in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1000.0, 0.0] {
        let (outcome, _) = probe_bytes(mkv_lasting(ms)).await;
        let report = accepted(outcome);
        assert_eq!(report.duration_seconds, None, "{ms}");
        assert_eq!(report.bitrate_bps, None, "{ms}");
        assert!(
            report.notes.iter().any(|n| n.contains("not a length")),
            "{ms}: {:?}",
            report.notes
        );
    }
}
