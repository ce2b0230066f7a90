//! CreateJob → a validated [`JobPlan`] → one ffmpeg argument vector ([`ffmpeg_plan`]).
//!
//! # What is honoured
//! - `settings.inputs[0]`: `fileInput` (`s3://` only), `audioSelectors` (`defaultSelection`,
//!   `selectorType: TRACK` + `tracks`), `videoSelector.rotate` (ffmpeg auto-rotates, as `AUTO`).
//! - `CMAF_GROUP_SETTINGS`: `destination`, `segmentLength`, `fragmentLength`,
//!   `writeHlsManifest`, `writeDashManifest`; outputs with container `CMFC`, each either one
//!   video description or one audio description (as MediaConvert requires for CMAF).
//! - `FILE_GROUP_SETTINGS`: `destination`; outputs with container `RAW` + codec
//!   `FRAME_CAPTURE` (JPEG captures) or container `MP4` (H.264 and/or AAC).
//! - H.264: `width`/`height`, `rateControlMode` QVBR (`qvbrQualityLevel`,
//!   `qvbrQualityLevelFineTune`, `maxBitrate`), CBR (`bitrate`), VBR (`bitrate`, `maxBitrate`),
//!   `hrdBufferSize`, `gopSize` + `gopSizeUnits` (SECONDS or FRAMES), `codecProfile`
//!   (BASELINE/MAIN/HIGH), `codecLevel`, `numberBFramesBetweenReferenceFrames`,
//!   `framerateControl` SPECIFIED + `framerateNumerator`/`framerateDenominator`.
//! - AV1 (CMAF outputs only, encoded by SVT-AV1): `width`/`height`, `rateControlMode` QVBR
//!   (`qvbrQualityLevel`, fine-tune, `maxBitrate`), `gopSize` (frames), `bitDepth` BIT_8,
//!   `framerateControl`. H.264 and AV1 rungs of one group go to one DASH adaptation set per
//!   codec; the HLS master lists both, with their `CODECS`.
//! - AAC: `bitrate`, `codingMode` (1_0, 2_0, 5_1), `sampleRate`, `codecProfile` LC.
//!
//! # QVBR → x264
//! The scale is vod-core's ([`vod_core::quality`]), shared with the per-title plan; with
//! `VOD_MEDIACONVERT_QUALITY_SEARCH` the twin instead searches the CRF that reaches the level's
//! VMAF on sampled chunks ([`crate::quality`]). SVT-AV1 gets `62 − 4 × level` on its 0–63 scale.
//! x264 has no QVBR; the twin uses a *capped CRF*: `crf = 37 − 2 × qvbrQualityLevel`
//! (fine-tune added to the level), clamped to 15..=40, with `-maxrate` = `maxBitrate` and
//! `-bufsize` = `hrdBufferSize` or 2 × `maxBitrate`. Level 7 → CRF 23, 8 → 21, 9 → 19,
//! 10 → 17, 6 → 25, 1 → 35. This follows MediaConvert's documented scale (levels 1–10,
//! "most broadcast-quality transcodes are between 6 and 9", level 10 "nearly lossless"): level
//! 7 lands on x264's default CRF 23 (broadcast-good), 8–9 on CRF 21–19 (high), 10 on CRF 17
//! (visually lossless for most content). On the 1080p30 footage of `make bench`, level 8 with
//! the `faster` preset setting keeps every rung of 1080/720/480/360 within a VMAF point of x264
//! medium at the usual fixed bitrates 5000/2800/1400/800k, for about the same video bytes
//! (see `bench/REPORT.md`).
//!
//! # x264 presets per rung
//! MediaConvert's `qualityTuningLevel` has no x264 twin, so the preset is the twin's choice
//! ([`EncoderOptions::x264_preset`], `VOD_MEDIACONVERT_X264_PRESET`). It applies to rungs of
//! 1.5 Mpx and more (1080p and up); smaller rungs cost a fraction of the pixels, so they get a
//! slower, more efficient preset: two steps slower below 1.5 Mpx (720p and down), e.g.
//! `faster` → `medium`, at most `veryslow`. Other preset names (`placebo`, or names x264 does
//! not know) are used unchanged for every rung. Which ffmpeg runs is a setting too (`VOD_FFMPEG`, see
//! [`crate::find_ffmpeg`]): ffmpeg 7+ runs decoding and filtering in threads of their own.
//!
//! # Knowingly ignored (no effect on the files the twin writes)
//! `accelerationSettings`, `queue` (only echoed back), `priority`, `statusUpdateInterval`
//! (the twin's own interval is used), `billingTagsSource`, `simulateReservedQueue`,
//! `hopDestinations`, `clientRequestToken` (used for idempotency only), `tags`,
//! `timecodeConfig`, `inputs[].timecodeSource`, `adAvailOffset`, H.264 tuning knobs
//! (`qualityTuningLevel`, `sceneChangeDetect`, `adaptiveQuantization`, `gopClosedCadence`,
//! `numberReferenceFrames`, `slices`, `entropyEncoding`, …), CMAF manifest cosmetics
//! (`codecSpecification`, `streamInfResolution`, `manifestDurationFormat`, `clientCache`,
//! `mpdManifestBandwidthType`, `minFinalSegmentLength`, `segmentLengthControl`, …),
//! `scalingBehavior` (the twin always scales to the requested size), `afdSignaling`,
//! `colorMetadata`, `timecodeInsertion`, `dropFrameTimecode`, `antiAlias`, `sharpness`.
//!
//! - CMAF `imageBasedTrickPlay: ADVANCED` with `imageBasedTrickPlaySettings`
//!   (`intervalCadence` FOLLOW_CUSTOM, `thumbnailInterval`, `thumbnailWidth`/`Height`,
//!   `tileWidth`/`tileHeight`): thumbnail tiles and a DASH-IF thumbnail track in the MPD
//!   (see [`trick_play`]).
//!
//! # Accepted with a warning in the job's `messages.warning`
//! `imageBasedTrickPlay` THUMBNAIL/THUMBNAIL_AND_FULLFRAME (not produced), the HLS image
//! playlists of ADVANCED (the tiles are described in the DASH manifest only) and
//! `mpdProfile: ON_DEMAND_PROFILE` (the twin writes a segment-template live-profile MPD).
//!
//! # Rejected at CreateJob, naming the setting
//! Anything else that would change the output and that the twin cannot honour: other group
//! types (HLS, DASH ISO, MS Smooth), other codecs and containers, SINGLE_FILE CMAF, encryption,
//! captions, image inserters, clipping, preprocessors, more than one input, `jobTemplate`,
//! output `preset`, `automatedEncodingSettings` (automated ABR), rotations other than AUTO, …
//! Fields the twin does not know at all are ignored: the twin reads only what it honours.

mod ffmpeg_args;
mod json_cursor;
mod model;
mod request;
mod svtav1;
pub mod trick_play;
mod validation;
mod video;
mod x264;

pub use ffmpeg_args::{
    CaptureLayout, CmafLayout, FfmpegPlan, LocalOutput, Mp4Layout, PlanError, SourceInfo,
    TILES_DIR, VideoStreamInfo, ffmpeg_plan, ffmpeg_plan_for,
};
pub use model::{
    AudioEncode, CmafGroup, CmafMedia, CmafOutput, Destination, FileGroup, FileOutput,
    FrameCapture, Gop, JobPlan, Mp4File, OutputGroup, RateControl, S3Location, VideoCodec,
    VideoEncode,
};
pub use request::CreateJobRequest;
pub use x264::{DEFAULT_SVTAV1_PRESET, EncoderOptions, preset_for_rung, qvbr_to_crf};
