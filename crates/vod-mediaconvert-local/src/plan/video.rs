//! A CreateJob video description → [`VideoEncode`]: H.264 (CMAF and MP4 outputs) and AV1
//! (CMAF outputs, encoded by SVT-AV1). Part of the validation in `validation.rs`.

use super::json_cursor::JsonCursor;
use super::model::{Gop, RateControl, VideoCodec, VideoEncode};
use super::validation::reject_present;
use crate::error::BadRequest;
use vod_core::quality::{av1_crf_for_qvbr, x264_crf_for_qvbr};

pub(super) fn reject_video_extras(video: &JsonCursor<'_>) -> Result<(), BadRequest> {
    for key in ["videoPreprocessors", "crop", "position"] {
        reject_present(video, key)?;
    }
    Ok(())
}

/// Refuses a `codecSettings` whose `codec` is not `supported`, the one the twin encodes.
pub(super) fn require_codec(codec: &JsonCursor<'_>, supported: &str) -> Result<(), BadRequest> {
    match codec.opt_str("codec")? {
        Some(c) if c == supported => Ok(()),
        other => Err(codec.err(
            "codec",
            format!(
                "{} is not supported by the local twin ({supported} is)",
                other.unwrap_or("nothing")
            ),
        )),
    }
}

/// A video description: H.264 anywhere, AV1 where `allow_av1` (CMAF outputs).
pub(super) fn video_encode(
    video: &JsonCursor<'_>,
    allow_av1: bool,
) -> Result<VideoEncode, BadRequest> {
    reject_video_extras(video)?;
    let codec = video.child_obj("codecSettings")?;
    if allow_av1 && codec.opt_str("codec")? == Some("AV1") {
        return av1_encode(video, &codec.child_obj("av1Settings")?);
    }
    require_codec(&codec, "H_264")?;
    let h = codec.child_obj("h264Settings")?;
    if let Some(mode) = h.opt_str("interlaceMode")?
        && mode != "PROGRESSIVE"
    {
        return Err(h.err(
            "interlaceMode",
            format!("{mode} is not supported by the twin (PROGRESSIVE is)"),
        ));
    }
    if let Some(mode) = h.opt_str("telecine")?
        && mode != "NONE"
    {
        return Err(h.err("telecine", "telecine is not supported by the twin"));
    }
    let max_bitrate = h.opt_u64("maxBitrate")?;
    let bitrate = h.opt_u64("bitrate")?;
    let buffer = h.opt_u64("hrdBufferSize")?;
    let rate = match h.opt_str("rateControlMode")?.unwrap_or("QVBR") {
        "QVBR" => {
            let max_bitrate =
                max_bitrate.ok_or_else(|| h.err("maxBitrate", "required with QVBR"))?;
            let q = h.opt_obj("qvbrSettings")?;
            let (level, fine) = match &q {
                Some(q) => (
                    q.opt_f64("qvbrQualityLevel")?.unwrap_or(7.0),
                    q.opt_f64("qvbrQualityLevelFineTune")?.unwrap_or(0.0),
                ),
                None => (7.0, 0.0),
            };
            if !(1.0..=10.0).contains(&level) {
                return Err(h.err("qvbrSettings/qvbrQualityLevel", "must be 1..10"));
            }
            RateControl::Qvbr {
                level: level + fine,
                crf: x264_crf_for_qvbr(level + fine),
                max_bitrate,
                buffer: buffer.unwrap_or(max_bitrate.saturating_mul(2)),
            }
        }
        "CBR" => {
            let bitrate = bitrate.ok_or_else(|| h.err("bitrate", "required with CBR"))?;
            RateControl::Cbr {
                bitrate,
                buffer: buffer.unwrap_or(bitrate.saturating_mul(2)),
            }
        }
        "VBR" => {
            let bitrate = bitrate.ok_or_else(|| h.err("bitrate", "required with VBR"))?;
            let max_bitrate = max_bitrate.unwrap_or(bitrate.saturating_mul(2));
            RateControl::Vbr {
                bitrate,
                max_bitrate,
                buffer: buffer.unwrap_or(max_bitrate.saturating_mul(2)),
            }
        }
        other => {
            return Err(h.err(
                "rateControlMode",
                format!("{other} is not supported by the twin"),
            ));
        }
    };
    let gop_size = h.opt_f64("gopSize")?.unwrap_or(2.0);
    if gop_size <= 0.0 {
        return Err(h.err("gopSize", "must be positive"));
    }
    let gop = match h.opt_str("gopSizeUnits")?.unwrap_or("SECONDS") {
        "SECONDS" | "AUTO" => Gop::Seconds(gop_size),
        "FRAMES" => Gop::Frames(gop_size.round().max(1.0) as u32),
        other => {
            return Err(h.err(
                "gopSizeUnits",
                format!("{other} is not supported by the twin"),
            ));
        }
    };
    let profile = match h.opt_str("codecProfile")?.unwrap_or("MAIN") {
        "HIGH" => "high",
        "MAIN" => "main",
        "BASELINE" => "baseline",
        other => {
            return Err(h.err(
                "codecProfile",
                format!("{other} is not supported by the twin (BASELINE, MAIN, HIGH are)"),
            ));
        }
    };
    let level = match h.opt_str("codecLevel")? {
        None | Some("AUTO") => None,
        Some(l) => {
            let digits = l
                .strip_prefix("LEVEL_")
                .map(|d| d.replace('_', "."))
                .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit() || c == '.'));
            Some(digits.ok_or_else(|| h.err("codecLevel", format!("unknown level {l}")))?)
        }
    };
    let b_frames = if profile == "baseline" {
        0
    } else {
        h.opt_u32("numberBFramesBetweenReferenceFrames")?
            .unwrap_or(2)
            .min(7)
    };
    let framerate = framerate(&h)?;
    Ok(VideoEncode {
        codec: VideoCodec::H264,
        width: video.opt_u32("width")?,
        height: video.opt_u32("height")?,
        rate,
        gop,
        b_frames,
        profile,
        level,
        framerate,
    })
}

/// `framerateControl` and its fraction, as H.264 and AV1 settings both carry them.
fn framerate(s: &JsonCursor<'_>) -> Result<Option<(u32, u32)>, BadRequest> {
    match s.opt_str("framerateControl")? {
        None | Some("INITIALIZE_FROM_SOURCE") => Ok(None),
        Some("SPECIFIED") => {
            let num = s.opt_u32("framerateNumerator")?.filter(|n| *n > 0);
            let den = s.opt_u32("framerateDenominator")?.filter(|n| *n > 0);
            match (num, den) {
                (Some(n), Some(d)) => Ok(Some((n, d))),
                _ => Err(s.err(
                    "framerateNumerator",
                    "SPECIFIED needs framerateNumerator and framerateDenominator",
                )),
            }
        }
        Some(other) => Err(s.err(
            "framerateControl",
            format!("{other} is not supported by the twin"),
        )),
    }
}

/// AV1 (CMAF only): QVBR with `maxBitrate` (MediaConvert's only AV1 rate control), the GOP in
/// frames, `numberBFramesBetweenReferenceFrames` (SVT-AV1 picks its own hierarchy: ignored),
/// 8-bit only. SVT-AV1 encodes it at the level's CRF ([`av1_crf_for_qvbr`]) capped at
/// `maxBitrate`.
fn av1_encode(video: &JsonCursor<'_>, a: &JsonCursor<'_>) -> Result<VideoEncode, BadRequest> {
    if let Some(mode) = a.opt_str("rateControlMode")?
        && mode != "QVBR"
    {
        return Err(a.err("rateControlMode", "AV1 supports QVBR only"));
    }
    if let Some(depth) = a.opt_str("bitDepth")?
        && depth != "BIT_8"
    {
        return Err(a.err(
            "bitDepth",
            format!("{depth} is not supported by the twin (BIT_8 is)"),
        ));
    }
    if a.opt_str("filmGrainSynthesis")? == Some("ENABLED") {
        return Err(a.err(
            "filmGrainSynthesis",
            "film grain synthesis is not supported by the twin",
        ));
    }
    let max_bitrate = a
        .opt_u64("maxBitrate")?
        .ok_or_else(|| a.err("maxBitrate", "required with QVBR"))?;
    let (level, fine) = match a.opt_obj("qvbrSettings")? {
        Some(q) => (
            q.opt_f64("qvbrQualityLevel")?.unwrap_or(7.0),
            q.opt_f64("qvbrQualityLevelFineTune")?.unwrap_or(0.0),
        ),
        None => (7.0, 0.0),
    };
    if !(1.0..=10.0).contains(&level) {
        return Err(a.err("qvbrSettings/qvbrQualityLevel", "must be 1..10"));
    }
    let gop = a.opt_f64("gopSize")?.unwrap_or(90.0);
    if gop < 1.0 {
        return Err(a.err("gopSize", "must be at least one frame"));
    }
    Ok(VideoEncode {
        codec: VideoCodec::Av1,
        width: video.opt_u32("width")?,
        height: video.opt_u32("height")?,
        rate: RateControl::Qvbr {
            level: level + fine,
            crf: av1_crf_for_qvbr(level + fine),
            max_bitrate,
            buffer: max_bitrate.saturating_mul(2),
        },
        gop: Gop::Frames(gop.round() as u32),
        b_frames: 0,
        profile: "main",
        level: None,
        framerate: framerate(a)?,
    })
}
