//! The x264 side of H.264: QVBR as a capped CRF, the preset per rung, and the encoder
//! arguments of one video stream. The why of each mapping is in the [`crate::plan`] docs.

use super::ffmpeg_args::fmt_num;
use super::model::{Gop, RateControl, VideoEncode};

/// The documented QVBR→CRF mapping: `37 − 2 × level`, clamped to 15..=40 (see
/// [QVBR → x264](crate::plan#qvbr--x264) for why); the one scale of [`vod_core::quality`].
pub fn qvbr_to_crf(level: f64) -> f64 {
    vod_core::quality::x264_crf_for_qvbr(level)
}

/// x264's presets, fastest first (`placebo` left out: never chosen for a smaller rung, and
/// used unchanged when configured).
const X264_PRESETS: [&str; 9] = [
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
];

/// Rungs with at least this many pixels get the configured preset as is.
const FULL_PRESET_PIXELS: u64 = 1_500_000;
/// How many presets slower the smaller rungs go.
const SMALL_RUNG_PRESET_STEPS: usize = 2;

/// The x264 preset for a rung of `pixels` luma samples (see
/// [x264 presets per rung](crate::plan#x264-presets-per-rung)); `None` pixels (no scaling
/// asked) counts as a full-size rung.
pub fn preset_for_rung(configured: &str, pixels: Option<u64>) -> String {
    let Some(at) = X264_PRESETS.iter().position(|p| *p == configured) else {
        return configured.to_owned();
    };
    let steps = match pixels {
        Some(px) if px < FULL_PRESET_PIXELS => SMALL_RUNG_PRESET_STEPS,
        _ => 0,
    };
    X264_PRESETS[(at + steps).min(X264_PRESETS.len() - 1)].to_owned()
}

/// Encoder choices that are the twin's, not the job's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderOptions {
    /// x264 preset of rungs of 1.5 Mpx and more; smaller rungs go two presets slower (see
    /// [x264 presets per rung](crate::plan#x264-presets-per-rung)). `veryfast` by default:
    /// MediaConvert's quality tuning has no x264 twin.
    pub x264_preset: String,
    /// SVT-AV1 preset of AV1 rungs (`VOD_MEDIACONVERT_SVTAV1_PRESET`, 0 slowest – 13 fastest;
    /// 10 by default: 1.4 CPU-s per content-s at 1080p on the bench's footage).
    pub svtav1_preset: u8,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self {
            x264_preset: "veryfast".to_owned(),
            svtav1_preset: DEFAULT_SVTAV1_PRESET,
        }
    }
}

/// The twin's SVT-AV1 preset unless configured.
pub const DEFAULT_SVTAV1_PRESET: u8 = 10;

/// x264 options for the `index`-th video stream of one output file.
pub(super) fn x264_args(
    v: &VideoEncode,
    index: usize,
    source_fps: f64,
    options: &EncoderOptions,
) -> Vec<String> {
    let s = format!(":v:{index}");
    let fps = v.fps(source_fps);
    let (gop_frames, force) = match v.gop {
        Gop::Seconds(secs) => (
            (secs * fps).round().max(1.0) as u64,
            format!("expr:gte(t,n_forced*{})", fmt_num(secs)),
        ),
        Gop::Frames(n) => (u64::from(n), format!("expr:eq(mod(n,{n}),0)")),
    };
    let mut args = vec![
        format!("-c{s}"),
        "libx264".into(),
        format!("-preset{s}"),
        preset_for_rung(
            &options.x264_preset,
            v.width
                .zip(v.height)
                .map(|(w, h)| u64::from(w) * u64::from(h)),
        ),
        format!("-profile{s}"),
        v.profile.into(),
        format!("-g{s}"),
        gop_frames.to_string(),
        format!("-keyint_min{s}"),
        gop_frames.to_string(),
        format!("-sc_threshold{s}"),
        "0".into(),
        format!("-force_key_frames{s}"),
        force,
        format!("-bf{s}"),
        v.b_frames.to_string(),
    ];
    if let Some(level) = &v.level {
        args.extend([format!("-level{s}"), level.clone()]);
    }
    match v.rate {
        RateControl::Qvbr {
            crf,
            max_bitrate,
            buffer,
            ..
        } => args.extend([
            format!("-crf{s}"),
            fmt_num(crf),
            format!("-maxrate{s}"),
            max_bitrate.to_string(),
            format!("-bufsize{s}"),
            buffer.to_string(),
        ]),
        RateControl::Cbr { bitrate, buffer } => args.extend([
            format!("-b{s}"),
            bitrate.to_string(),
            format!("-minrate{s}"),
            bitrate.to_string(),
            format!("-maxrate{s}"),
            bitrate.to_string(),
            format!("-bufsize{s}"),
            buffer.to_string(),
        ]),
        RateControl::Vbr {
            bitrate,
            max_bitrate,
            buffer,
        } => args.extend([
            format!("-b{s}"),
            bitrate.to_string(),
            format!("-maxrate{s}"),
            max_bitrate.to_string(),
            format!("-bufsize{s}"),
            buffer.to_string(),
        ]),
    }
    args
}
