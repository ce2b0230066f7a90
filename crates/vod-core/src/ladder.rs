//! The ladder policy: which renditions a source gets, and why.
//!
//! The policy is data ([`LadderPolicy`], serde, replaceable by a file named in
//! `VOD_LADDER_POLICY_FILE`); [`plan_ladder`] applies it to a probe report and explains every
//! decision in [`LadderPlan::reasons`], which is stored on the asset record.
//!
//! Rules: never upscale (the top rung follows the source, so a 4K source gets 2160p); portrait
//! and square sources keep their orientation (rung "heights" are the short side); dimensions
//! are even; frame rate kept up to the policy's maximum (halved above it); short clips get
//! fewer rungs; audio-only sources get an audio-only package.

use crate::pertitle::{Av1Tier, ComplexityMeasure, TargetQuality};
use crate::probe::{MAX_SOURCE_DURATION_SECONDS, ProbeReport};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LadderPolicy {
    /// Candidate rungs, largest first. `shortSide` is the height of a landscape rung.
    pub rungs: Vec<RungTemplate>,
    /// Frame rates above this are halved until they fit (120 → 60).
    pub max_frame_rate: f64,
    /// Sources shorter than this many seconds get at most `shortClipMaxRungs` rungs.
    pub short_clip_seconds: f64,
    pub short_clip_max_rungs: usize,
    /// Closed GOP length, aligned across rungs.
    pub gop_seconds: f64,
    pub segment_seconds: u32,
    pub audio: AudioPolicy,
    /// Seconds between thumbnails (frame captures); the first capture is the poster.
    pub thumbnail_interval_seconds: u32,
    /// Width of thumbnails in pixels (height follows the aspect ratio).
    pub thumbnail_width: u32,
    /// Use MediaConvert's automated ABR instead of the fixed ladder.
    #[serde(default)]
    pub automated_abr: bool,
    /// Add a progressive MP4 download of the top rung.
    #[serde(default)]
    pub mp4_download: bool,
    /// MediaConvert image-based trick play (thumbnail tiles referenced from the HLS/DASH
    /// manifests, for scrubbing previews).
    #[serde(default)]
    pub trick_play: bool,
    /// Per-title quality: the VMAF target and step (see [`crate::pertitle`]); `None` keeps each
    /// rung's `qvbrQualityLevel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_quality: Option<TargetQuality>,
    /// AV1 CMAF rungs beside the H.264 ones (H.264 stays for devices without AV1).
    #[serde(default)]
    pub av1_tier: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RungTemplate {
    pub short_side: u32,
    /// QVBR quality level 1–10.
    pub qvbr_quality_level: u8,
    /// Bitrate cap for a 30 fps source; scaled for higher frame rates.
    pub max_bitrate_bps: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AudioPolicy {
    pub bitrate_bps: u64,
    pub sample_rate: u32,
    /// Keep a 5.1 source's surround track as an extra audio rendition.
    pub keep_surround: bool,
    pub surround_bitrate_bps: u64,
}

impl Default for LadderPolicy {
    fn default() -> Self {
        let rung = |short_side, qvbr_quality_level, kbps: u64| RungTemplate {
            short_side,
            qvbr_quality_level,
            max_bitrate_bps: kbps * 1000,
        };
        Self {
            // QVBR 8 ("high" on MediaConvert's scale) down to 360p, 7 for the smallest rung:
            // on the 1080p30 footage of `make bench` this keeps every rung within a VMAF
            // point of the usual fixed-bitrate ladder (5000/2800/1400/800 kbit/s, x264
            // medium). The caps bound the bitrate of hard scenes.
            rungs: vec![
                rung(2160, 8, 16_000),
                rung(1440, 8, 9_000),
                rung(1080, 8, 6_000),
                rung(720, 8, 3_500),
                rung(540, 8, 2_000),
                rung(360, 8, 1_000),
                rung(270, 7, 500),
            ],
            max_frame_rate: 60.0,
            short_clip_seconds: 120.0,
            short_clip_max_rungs: 4,
            gop_seconds: 2.0,
            segment_seconds: 6,
            audio: AudioPolicy {
                bitrate_bps: 128_000,
                sample_rate: 48_000,
                keep_surround: true,
                surround_bitrate_bps: 384_000,
            },
            thumbnail_interval_seconds: 10,
            thumbnail_width: 320,
            automated_abr: false,
            mp4_download: false,
            trick_play: true,
            target_quality: None,
            av1_tier: false,
        }
    }
}

/// What the job builder turns into a MediaConvert job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LadderPlan {
    /// Video rungs, largest first (empty for audio-only sources).
    pub rungs: Vec<Rung>,
    pub audio: Vec<AudioRendition>,
    pub gop_seconds: f64,
    pub segment_seconds: u32,
    /// Output frame rate as a fraction; `None` keeps the source's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<FrameRate>,
    /// Frame captures (poster + thumbnails); `None` for audio-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnails: Option<ThumbnailPlan>,
    pub automated_abr: bool,
    pub mp4_download: bool,
    #[serde(default)]
    pub trick_play: bool,
    /// AV1 rungs beside the H.264 ones, when the policy asks for the AV1 tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub av1: Option<Av1Tier>,
    /// Each decision in words, for the record (`ladder_reason`).
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rung {
    /// `NameModifier` suffix, e.g. `_1080p`.
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub qvbr_quality_level: u8,
    pub max_bitrate_bps: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AudioRendition {
    pub name: String,
    pub channels: u16,
    pub bitrate_bps: u64,
    pub sample_rate: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FrameRate {
    pub numerator: u32,
    pub denominator: u32,
}

impl FrameRate {
    pub fn as_f64(self) -> f64 {
        f64::from(self.numerator) / f64::from(self.denominator.max(1))
    }

    /// The usual broadcast fractions (23.976 = 24000/1001, 29.97, 59.94) and integers.
    pub fn from_f64(fps: f64) -> Self {
        let rounded = fps.round();
        let ntsc = rounded * 1000.0 / 1001.0;
        if rounded > 0.0 && (fps - ntsc).abs() < 0.005 && (fps - rounded).abs() > 0.005 {
            Self {
                numerator: (rounded as u32) * 1000,
                denominator: 1001,
            }
        } else if (fps - rounded).abs() < 0.005 {
            Self {
                numerator: rounded.max(1.0) as u32,
                denominator: 1,
            }
        } else {
            Self {
                numerator: (fps * 1000.0).round().max(1.0) as u32,
                denominator: 1000,
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThumbnailPlan {
    pub interval_seconds: u32,
    pub width: u32,
    pub height: u32,
    /// How many captures the source's duration yields.
    pub max_captures: u32,
    /// The poster is captured this many seconds in (not at 0 s, which is often black).
    pub poster_seconds: u32,
    pub poster_width: u32,
    pub poster_height: u32,
}

impl ThumbnailPlan {
    /// Captures one every `interval_seconds` yields over `duration_seconds` (the first at 0 s),
    /// the duration taken at most [`MAX_SOURCE_DURATION_SECONDS`]: what a job can have written,
    /// whatever a stored record or an event claims.
    pub fn captures_within(duration_seconds: f64, interval_seconds: u32) -> u32 {
        let seconds = if duration_seconds.is_finite() {
            duration_seconds.clamp(0.0, MAX_SOURCE_DURATION_SECONDS)
        } else {
            MAX_SOURCE_DURATION_SECONDS
        };
        ((seconds / f64::from(interval_seconds.max(1))).floor() as u32).saturating_add(1)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LadderError {
    #[error(
        "the source lasts {seconds:.0} s, longer than the {:.0} s (48 h) the pipeline takes",
        MAX_SOURCE_DURATION_SECONDS
    )]
    TooLong { seconds: f64 },
    #[error("the source has neither video nor audio to transcode")]
    NothingToTranscode,
    #[error("the source video reports a size of {width}x{height}, which cannot be transcoded")]
    BadDimensions { width: u32, height: u32 },
    #[error("the ladder policy is invalid: {0}")]
    InvalidPolicy(String),
}

impl LadderPolicy {
    /// Checks a policy loaded from a file before it is used.
    pub fn validate(&self) -> Result<(), LadderError> {
        let bad = |m: &str| Err(LadderError::InvalidPolicy(m.to_owned()));
        if self.rungs.is_empty() {
            return bad("at least one rung is required");
        }
        if self
            .rungs
            .windows(2)
            .any(|w| w[0].short_side <= w[1].short_side)
        {
            return bad("rungs must be ordered largest first, without repeats");
        }
        if self
            .rungs
            .iter()
            .any(|r| !(1..=10).contains(&r.qvbr_quality_level) || r.max_bitrate_bps < 1000)
        {
            return bad("each rung needs qvbrQualityLevel 1-10 and maxBitrateBps >= 1000");
        }
        if !(1.0..=120.0).contains(&self.max_frame_rate) || self.gop_seconds <= 0.0 {
            return bad("maxFrameRate must be 1-120 and gopSeconds positive");
        }
        if self.segment_seconds == 0 || self.short_clip_max_rungs == 0 {
            return bad("segmentSeconds and shortClipMaxRungs must be positive");
        }
        if let Some(t) = &self.target_quality
            && !((50.0..=100.0).contains(&t.top_vmaf) && (0.0..=20.0).contains(&t.step_vmaf))
        {
            return bad("targetQuality needs topVmaf 50-100 and stepVmaf 0-20");
        }
        Ok(())
    }
}

/// Posters are captured at the source width, up to this many pixels.
const POSTER_MAX_WIDTH: u32 = 1280;

/// Rounds down to an even number of pixels (H.264 4:2:0 needs even sizes; down, so never
/// above the source).
fn even(x: u64) -> u32 {
    u32::try_from(x / 2 * 2).unwrap_or(u32::MAX - 1).max(2)
}

/// Applies `policy` to a probed source.
pub fn plan_ladder(report: &ProbeReport, policy: &LadderPolicy) -> Result<LadderPlan, LadderError> {
    plan_ladder_measured(report, policy, None)
}

/// [`plan_ladder`] with the complexity pass's measure of the source, when one was made: the
/// per-title rules of [`crate::pertitle`] then choose the rungs and caps.
pub fn plan_ladder_measured(
    report: &ProbeReport,
    policy: &LadderPolicy,
    measure: Option<&ComplexityMeasure>,
) -> Result<LadderPlan, LadderError> {
    // Only a real length counts (NaN, infinities, zero and negatives are "unknown"), and none
    // beyond the bound: every count below is derived from it.
    let duration = report
        .duration_seconds
        .filter(|d| d.is_finite() && *d > 0.0);
    if let Some(seconds) = duration.filter(|d| *d > MAX_SOURCE_DURATION_SECONDS) {
        return Err(LadderError::TooLong { seconds });
    }
    let mut reasons = Vec::new();
    let audio = plan_audio(report, policy, &mut reasons);

    let Some(video) = &report.video else {
        if audio.is_empty() {
            return Err(LadderError::NothingToTranscode);
        }
        reasons.push("the source has no video track: audio-only package".to_owned());
        return Ok(LadderPlan {
            rungs: Vec::new(),
            audio,
            gop_seconds: policy.gop_seconds,
            segment_seconds: policy.segment_seconds,
            frame_rate: None,
            thumbnails: None,
            automated_abr: false,
            mp4_download: false,
            trick_play: false,
            av1: None,
            reasons,
        });
    };
    if video.width < 2 || video.height < 2 || video.width > 16_384 || video.height > 16_384 {
        return Err(LadderError::BadDimensions {
            width: video.width,
            height: video.height,
        });
    }

    let portrait = video.height > video.width;
    let short = video.width.min(video.height);
    let long = video.width.max(video.height);
    let orientation = if portrait {
        "portrait"
    } else if short == long {
        "square"
    } else {
        "landscape"
    };

    // Never upscale: keep templates whose short side fits inside the source.
    let mut templates: Vec<&RungTemplate> = policy
        .rungs
        .iter()
        .filter(|t| t.short_side <= short)
        .collect();
    let mut rungs_from_source = false;
    if templates.is_empty() {
        rungs_from_source = true;
        reasons.push(format!(
            "the source ({}x{}) is smaller than the smallest rung ({}p): one rung at the source size",
            video.width,
            video.height,
            policy.rungs.last().map_or(0, |t| t.short_side)
        ));
    } else {
        let top = templates[0].short_side;
        let skipped = policy.rungs.len() - templates.len();
        if skipped > 0 {
            reasons.push(format!(
                "top rung {top}p follows the {orientation} source ({}x{}); {skipped} larger rung(s) skipped to avoid upscaling",
                video.width, video.height
            ));
        } else {
            reasons.push(format!(
                "top rung {top}p; the source ({}x{}) fills every rung",
                video.width, video.height
            ));
        }
    }

    if let Some(duration) = duration.filter(|d| *d < policy.short_clip_seconds)
        && templates.len() > policy.short_clip_max_rungs
    {
        templates = spread(&templates, policy.short_clip_max_rungs);
        reasons.push(format!(
            "the clip is short ({duration:.1} s < {} s): {} rungs instead of the full ladder",
            policy.short_clip_seconds,
            templates.len()
        ));
    }

    let (frame_rate, bitrate_scale) = match video.frame_rate.filter(|f| f.is_finite() && *f > 0.0) {
        Some(fps) => {
            let mut out = fps;
            while out > policy.max_frame_rate + 0.01 {
                out /= 2.0;
            }
            if (out - fps).abs() > 0.01 {
                reasons.push(format!(
                    "frame rate {fps:.3} fps is above the {} fps limit: halved to {out:.3} fps",
                    policy.max_frame_rate
                ));
            } else {
                reasons.push(format!("frame rate kept at {fps:.3} fps"));
            }
            let scale = if out > 31.0 { 1.5 } else { 1.0 };
            if scale > 1.0 {
                reasons.push("high frame rate: bitrate caps raised by 50%".to_owned());
            }
            let changed = (out - fps).abs() > 0.01;
            (changed.then(|| FrameRate::from_f64(out)), scale)
        }
        None => {
            reasons.push("frame rate not signalled: MediaConvert follows the source".to_owned());
            (None, 1.0)
        }
    };

    let make = |short_side: u32, level: u8, max_bps: u64| {
        let short_px = even(u64::from(short_side));
        // Same aspect ratio in integer arithmetic (rounded), so 720 × 1920/1080 is exactly 1280.
        let long_px = even(
            (u64::from(short_side) * u64::from(long) + u64::from(short) / 2) / u64::from(short),
        );
        let (width, height) = if portrait {
            (short_px, long_px)
        } else {
            (long_px, short_px)
        };
        Rung {
            name: format!("_{short_side}p"),
            width,
            height,
            qvbr_quality_level: level,
            max_bitrate_bps: (max_bps as f64 * bitrate_scale) as u64,
        }
    };
    let rungs: Vec<Rung> = if rungs_from_source {
        let smallest = policy
            .rungs
            .last()
            .map_or((6, 500_000), |t| (t.qvbr_quality_level, t.max_bitrate_bps));
        vec![make(short, smallest.0, smallest.1)]
    } else {
        templates
            .iter()
            .map(|t| make(t.short_side, t.qvbr_quality_level, t.max_bitrate_bps))
            .collect()
    };
    if portrait {
        reasons.push("portrait source: rungs keep the portrait orientation".to_owned());
    }

    let thumbnails = {
        let width = even(u64::from(policy.thumbnail_width.min(video.width)));
        let height = even(u64::from(width) * u64::from(video.height) / u64::from(video.width));
        let interval = policy.thumbnail_interval_seconds.max(1);
        let max_captures = duration.map_or(1, |d| ThumbnailPlan::captures_within(d, interval));
        // A third of the way in, at most 10 s: past fades from black, early enough for short clips.
        let poster_seconds = duration.map_or(5, |d| ((d / 3.0).floor() as u32).clamp(1, 10));
        let poster_width = even(u64::from(POSTER_MAX_WIDTH.min(video.width)));
        let poster_height =
            even(u64::from(poster_width) * u64::from(video.height) / u64::from(video.width));
        Some(ThumbnailPlan {
            interval_seconds: interval,
            width,
            height,
            max_captures,
            poster_seconds,
            poster_width,
            poster_height,
        })
    };
    if policy.automated_abr {
        reasons.push(
            "automated ABR selected by policy: MediaConvert picks the rungs up to the top rung"
                .to_owned(),
        );
    }
    if policy.mp4_download {
        reasons.push("MP4 download of the top rung enabled by policy".to_owned());
    }

    let mut plan = LadderPlan {
        rungs,
        audio,
        gop_seconds: policy.gop_seconds,
        segment_seconds: policy.segment_seconds,
        frame_rate,
        thumbnails,
        automated_abr: policy.automated_abr,
        mp4_download: policy.mp4_download,
        trick_play: policy.trick_play,
        av1: None,
        reasons,
    };
    let fps = frame_rate
        .map(FrameRate::as_f64)
        .or(video.frame_rate.filter(|f| f.is_finite() && *f > 0.0));
    crate::pertitle::apply(
        &mut plan,
        policy.target_quality.as_ref(),
        measure,
        policy.av1_tier,
        fps,
    );
    Ok(plan)
}

fn plan_audio(
    report: &ProbeReport,
    policy: &LadderPolicy,
    reasons: &mut Vec<String>,
) -> Vec<AudioRendition> {
    let Some(first) = report.audio.first() else {
        if report.video.is_some() {
            reasons.push("the source has no audio track: video only".to_owned());
        }
        return Vec::new();
    };
    let mut out = vec![AudioRendition {
        name: "_audio".to_owned(),
        channels: 2,
        bitrate_bps: policy.audio.bitrate_bps,
        sample_rate: policy.audio.sample_rate,
    }];
    reasons.push(format!(
        "audio: AAC-LC stereo {} kbit/s from the {}-channel {} track",
        policy.audio.bitrate_bps / 1000,
        first.channels,
        first.codec
    ));
    if policy.audio.keep_surround && report.audio.iter().any(|a| a.channels == 6) {
        out.push(AudioRendition {
            name: "_audio_51".to_owned(),
            channels: 6,
            bitrate_bps: policy.audio.surround_bitrate_bps,
            sample_rate: policy.audio.sample_rate,
        });
        reasons.push("5.1 audio kept as an extra rendition".to_owned());
    }
    out
}

/// Picks `n` of `items` spread from first (largest) to last (smallest).
fn spread<'a>(items: &[&'a RungTemplate], n: usize) -> Vec<&'a RungTemplate> {
    if n <= 1 || items.len() <= 1 {
        return items.iter().take(1).copied().collect();
    }
    let last = items.len() - 1;
    let mut picked: Vec<usize> = (0..n).map(|i| (i * last + (n - 1) / 2) / (n - 1)).collect();
    picked.dedup();
    picked.into_iter().map(|i| items[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{AudioTrack, VideoTrack};

    fn source(width: u32, height: u32, fps: f64, seconds: f64) -> ProbeReport {
        ProbeReport {
            duration_seconds: Some(seconds),
            video: Some(VideoTrack {
                codec: "h264".into(),
                width,
                height,
                frame_rate: Some(fps),
                ..VideoTrack::default()
            }),
            audio: vec![AudioTrack {
                codec: "aac".into(),
                channels: 2,
                sample_rate: 48_000,
                ..AudioTrack::default()
            }],
            ..ProbeReport::default()
        }
    }

    fn heights(plan: &LadderPlan) -> Vec<u32> {
        plan.rungs.iter().map(|r| r.height).collect()
    }

    #[test]
    fn a_4k_source_gets_2160p_at_the_top() -> Result<(), LadderError> {
        let plan = plan_ladder(&source(3840, 2160, 30.0, 600.0), &LadderPolicy::default())?;
        assert_eq!(heights(&plan), vec![2160, 1440, 1080, 720, 540, 360, 270]);
        assert_eq!((plan.rungs[0].width, plan.rungs[0].height), (3840, 2160));
        Ok(())
    }

    #[test]
    fn never_upscales() -> Result<(), LadderError> {
        let plan = plan_ladder(&source(1280, 720, 30.0, 600.0), &LadderPolicy::default())?;
        assert_eq!(heights(&plan), vec![720, 540, 360, 270]);
        assert!(
            plan.reasons
                .iter()
                .any(|r| r.contains("3 larger rung(s) skipped")),
            "{:?}",
            plan.reasons
        );
        Ok(())
    }

    #[test]
    fn portrait_keeps_orientation_and_even_sizes() -> Result<(), LadderError> {
        let plan = plan_ladder(&source(1080, 1920, 30.0, 600.0), &LadderPolicy::default())?;
        let top = &plan.rungs[0];
        assert_eq!((top.width, top.height), (1080, 1920));
        for r in &plan.rungs {
            assert!(r.width < r.height, "{r:?}");
            assert_eq!((r.width % 2, r.height % 2), (0, 0), "{r:?}");
            assert!(r.height <= 1920 && r.width <= 1080);
        }
        Ok(())
    }

    #[test]
    fn tiny_source_gets_one_rung_at_its_size() -> Result<(), LadderError> {
        let plan = plan_ladder(&source(320, 181, 25.0, 600.0), &LadderPolicy::default())?;
        assert_eq!(plan.rungs.len(), 1);
        assert_eq!((plan.rungs[0].width, plan.rungs[0].height), (320, 180));
        Ok(())
    }

    #[test]
    fn short_clips_get_fewer_rungs_spread_over_the_range() -> Result<(), LadderError> {
        let plan = plan_ladder(&source(1920, 1080, 30.0, 10.0), &LadderPolicy::default())?;
        assert_eq!(heights(&plan), vec![1080, 720, 360, 270]);
        let widths: Vec<u32> = plan.rungs.iter().map(|r| r.width).collect();
        assert_eq!(widths, vec![1920, 1280, 640, 480]);
        Ok(())
    }

    #[test]
    fn high_frame_rates_are_halved_and_60_is_kept() -> Result<(), LadderError> {
        let p = LadderPolicy::default();
        let plan = plan_ladder(&source(1920, 1080, 120.0, 600.0), &p)?;
        assert_eq!(
            plan.frame_rate,
            Some(FrameRate {
                numerator: 60,
                denominator: 1
            })
        );
        let plan = plan_ladder(&source(1280, 720, 59.94, 600.0), &p)?;
        assert_eq!(plan.frame_rate, None);
        assert_eq!(plan.rungs[0].max_bitrate_bps, 5_250_000);
        Ok(())
    }

    #[test]
    fn audio_only_gets_an_audio_package() -> Result<(), LadderError> {
        let mut src = source(2, 2, 30.0, 60.0);
        src.video = None;
        let plan = plan_ladder(&src, &LadderPolicy::default())?;
        assert!(plan.rungs.is_empty());
        assert_eq!(plan.audio.len(), 1);
        assert!(plan.thumbnails.is_none());
        Ok(())
    }

    #[test]
    fn surround_is_kept_as_an_extra_rendition() -> Result<(), LadderError> {
        let mut src = source(1920, 1080, 30.0, 600.0);
        src.audio[0].channels = 6;
        let plan = plan_ladder(&src, &LadderPolicy::default())?;
        assert_eq!(
            plan.audio.iter().map(|a| a.channels).collect::<Vec<_>>(),
            vec![2, 6]
        );
        Ok(())
    }

    #[test]
    fn ntsc_rates_become_fractions() {
        assert_eq!(
            FrameRate::from_f64(29.97),
            FrameRate {
                numerator: 30000,
                denominator: 1001
            }
        );
        assert_eq!(
            FrameRate::from_f64(25.0),
            FrameRate {
                numerator: 25,
                denominator: 1
            }
        );
    }

    #[test]
    fn the_default_policy_is_valid_and_a_bad_one_is_refused() {
        assert_eq!(LadderPolicy::default().validate(), Ok(()));
        let mut p = LadderPolicy::default();
        p.rungs.reverse();
        assert!(p.validate().is_err());
    }
}
