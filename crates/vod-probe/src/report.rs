//! What every parser uses to fill a [`ProbeReport`]: rounding, the display aspect ratio, and
//! for the formats read from their first header only, the base report and its duration and
//! bitrate.

use crate::source::Source;
use vod_core::probe::{Container, ProbeReport};

/// Rounds to three decimals, as durations and frame rates are reported; a value too large for
/// that stays as it is rather than becoming infinite.
pub(crate) fn round3(x: f64) -> f64 {
    let milli = (x * 1000.0).round();
    if milli.is_finite() { milli / 1000.0 } else { x }
}

/// `W:H` in lowest terms, or `None` when either side is zero.
pub(crate) fn aspect(width: u64, height: u64) -> Option<String> {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    if width == 0 || height == 0 {
        return None;
    }
    let g = gcd(width, height);
    Some(format!("{}:{}", width / g, height / g))
}

/// An empty report for `container` with the object's size.
pub(crate) fn base_report(source: &Source<'_>, container: Container) -> ProbeReport {
    ProbeReport {
        container,
        size_bytes: source.size(),
        ..ProbeReport::default()
    }
}

/// Sets the duration and the overall bitrate it implies, when `seconds` is a real length.
pub(crate) fn with_duration(mut report: ProbeReport, seconds: f64) -> ProbeReport {
    if seconds.is_finite() && seconds > 0.0 {
        report.duration_seconds = Some(seconds);
        report.bitrate_bps = Some((report.size_bytes as f64 * 8.0 / seconds) as u64);
    }
    report
}
