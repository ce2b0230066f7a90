//! Video families recognised by their header and only partly parsed: AVI (`avih`: duration,
//! size, codec fourcc) and MXF, ASF/WMV and FLV (nothing read). The report is `partial: true`
//! and MediaConvert reads the rest.

use crate::report::{base_report, round3, with_duration};
use crate::source::{Source, le_u32};
use vod_core::probe::{Container, ProbeReport, VideoTrack};

/// A `partial` report that says only the container; MediaConvert finds the streams.
pub(crate) fn partial(source: &Source<'_>, container: Container, name: &str) -> ProbeReport {
    let mut report = base_report(source, container);
    report.partial = true;
    report.notes.push(format!(
        "{name} recognised by its header only; stream facts come from MediaConvert"
    ));
    report
}

/// AVI: duration, frame rate, size and codec fourcc from the `avih` header in the cached head.
pub(crate) fn avi(source: &Source<'_>) -> ProbeReport {
    let head = source.head();
    let mut report = partial(source, Container::Avi, "AVI");
    // RIFF AVI ␠ → LIST hdrl → avih: dwMicroSecPerFrame @0, dwTotalFrames @16, width @32, height @36.
    let avih = head
        .windows(4)
        .take(4096)
        .position(|w| w == b"avih")
        .map(|p| p + 8);
    if let Some(at) = avih {
        let us_per_frame = le_u32(head, at).unwrap_or(0);
        let frames = le_u32(head, at + 16).unwrap_or(0);
        let width = le_u32(head, at + 32).unwrap_or(0);
        let height = le_u32(head, at + 36).unwrap_or(0);
        if us_per_frame > 0 && frames > 0 {
            report = with_duration(report, f64::from(frames) * f64::from(us_per_frame) / 1e6);
        }
        if width > 0 && height > 0 {
            let codec = head
                .windows(4)
                .take(8192)
                .position(|w| w == b"vids")
                .and_then(|p| head.get(p + 4..p + 8))
                .map(|fourcc| String::from_utf8_lossy(fourcc).trim().to_ascii_lowercase())
                .unwrap_or_else(|| "unknown".into());
            report.video = Some(VideoTrack {
                codec,
                width,
                height,
                frame_rate: (us_per_frame > 0).then(|| round3(1e6 / f64::from(us_per_frame))),
                ..VideoTrack::default()
            });
        }
    }
    report
}
