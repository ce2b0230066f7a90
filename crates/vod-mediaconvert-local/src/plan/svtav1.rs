//! The SVT-AV1 side of AV1 (`libsvtav1` in the pinned ffmpeg): QVBR as a capped CRF on
//! SVT-AV1's 0–63 scale ([`vod_core::quality::av1_crf_for_qvbr`], or the CRF the quality search
//! found), key frames exactly every GOP (closed, forced at the same times as the H.264 rungs'
//! so the CMAF segments of both codecs line up).

use super::ffmpeg_args::fmt_num;
use super::model::{Gop, RateControl, VideoEncode};
use super::x264::EncoderOptions;

/// SVT-AV1 options for the `index`-th video stream of one output file.
pub(super) fn svtav1_args(
    v: &VideoEncode,
    index: usize,
    source_fps: f64,
    options: &EncoderOptions,
) -> Vec<String> {
    let s = format!(":v:{index}");
    let fps = v.fps(source_fps);
    let gop_frames = match v.gop {
        Gop::Frames(n) => n.max(1),
        Gop::Seconds(secs) => (secs * fps).round().max(1.0) as u32,
    };
    // Forced at the same instants as x264's `gte(t, n × GOP seconds)`.
    let gop_seconds = f64::from(gop_frames) / fps.max(1.0);
    let mut args = vec![
        format!("-c{s}"),
        "libsvtav1".into(),
        format!("-preset{s}"),
        options.svtav1_preset.to_string(),
        format!("-g{s}"),
        gop_frames.to_string(),
        format!("-force_key_frames{s}"),
        format!(
            "expr:gte(t,n_forced*{})",
            fmt_num((gop_seconds * 1000.0).round() / 1000.0)
        ),
        // Closed GOPs: every key frame a random access point, as CMAF segments need.
        format!("-svtav1-params{s}"),
        "irefresh-type=2".into(),
    ];
    if let RateControl::Qvbr {
        crf,
        max_bitrate,
        buffer,
        ..
    } = v.rate
    {
        args.extend([
            format!("-crf{s}"),
            fmt_num(crf.round()),
            format!("-maxrate{s}"),
            max_bitrate.to_string(),
            format!("-bufsize{s}"),
            buffer.to_string(),
        ]);
    }
    args
}
