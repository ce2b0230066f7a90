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
//! - AAC: `bitrate`, `codingMode` (1_0, 2_0, 5_1), `sampleRate`, `codecProfile` LC.
//!
//! # QVBR → x264
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
//! # Accepted with a warning in the job's `messages.warning`
//! `imageBasedTrickPlay` THUMBNAIL/ADVANCED (trick-play tiles are not produced by the twin) and
//! `mpdProfile: ON_DEMAND_PROFILE` (the twin writes a segment-template live-profile MPD).
//!
//! # Rejected at CreateJob, naming the setting
//! Anything else that would change the output and that the twin cannot honour: other group
//! types (HLS, DASH ISO, MS Smooth), other codecs and containers, SINGLE_FILE CMAF, encryption,
//! captions, image inserters, clipping, preprocessors, more than one input, `jobTemplate`,
//! output `preset`, `automatedEncodingSettings` (automated ABR), rotations other than AUTO, …
//! Fields the twin does not know at all are ignored: the twin reads only what it honours.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::BadRequest;

/// A parsed CreateJob request body (REST wire form, camelCase keys).
#[derive(Debug, Clone)]
pub struct CreateJobRequest {
    pub role: String,
    pub queue: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
    pub status_update_interval: Option<String>,
    pub client_request_token: Option<String>,
    pub priority: Option<i64>,
    pub settings: Value,
    /// The body as received.
    pub raw: Value,
}

impl CreateJobRequest {
    /// Checks the top-level members; the settings are checked by [`JobPlan::from_request`].
    pub fn from_wire(body: &Value) -> Result<Self, BadRequest> {
        let root = At::root(body)?;
        let role = root
            .opt_str("role")?
            .filter(|r| !r.is_empty())
            .ok_or_else(|| root.err("role", "required: the IAM role MediaConvert assumes"))?
            .to_owned();
        let mut user_metadata = BTreeMap::new();
        if let Some(meta) = root.opt_obj("userMetadata")? {
            for (k, v) in meta.fields() {
                let text = v
                    .as_str()
                    .ok_or_else(|| meta.err(k, "userMetadata values must be strings"))?;
                user_metadata.insert(k.clone(), text.to_owned());
            }
        }
        if root.opt_str("jobTemplate")?.is_some_and(|t| !t.is_empty()) {
            return Err(root.err(
                "jobTemplate",
                "job templates are not supported by the local twin: send the full settings",
            ));
        }
        let settings = body
            .get("settings")
            .filter(|s| s.is_object())
            .cloned()
            .ok_or_else(|| root.err("settings", "required: the job settings object"))?;
        Ok(Self {
            role,
            queue: root.opt_str("queue")?.map(str::to_owned),
            user_metadata,
            status_update_interval: root.opt_str("statusUpdateInterval")?.map(str::to_owned),
            client_request_token: root.opt_str("clientRequestToken")?.map(str::to_owned),
            priority: root.opt_i64("priority")?,
            settings,
            raw: body.clone(),
        })
    }
}

/// An `s3://bucket/key` location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
}

impl S3Location {
    /// Parses `s3://bucket/key`; the key is taken literally (MediaConvert does not decode it).
    pub fn parse(uri: &str) -> Option<Self> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return None;
        }
        Some(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    pub fn uri(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// Where a group's files go: `s3://bucket/<dir><basename><nameModifier>...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub bucket: String,
    /// Key prefix ending in `/` (or empty).
    pub dir: String,
    pub basename: String,
}

impl Destination {
    /// MediaConvert semantics: a destination ending in `/` uses the input file's name (without
    /// extension) as the base name.
    fn parse(uri: &str, input: &S3Location) -> Option<Self> {
        let loc = S3Location::parse(uri)?;
        let (dir, basename) = match loc.key.rfind('/') {
            Some(i) => (loc.key[..=i].to_owned(), loc.key[i + 1..].to_owned()),
            None => (String::new(), loc.key.clone()),
        };
        let basename = if basename.is_empty() {
            let file = input.key.rsplit('/').next().unwrap_or(&input.key);
            match file.rfind('.') {
                Some(i) if i > 0 => file[..i].to_owned(),
                _ => file.to_owned(),
            }
        } else {
            basename
        };
        Some(Self {
            bucket: loc.bucket,
            dir,
            basename,
        })
    }

    /// The S3 key of `<basename><suffix>`.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}{}{}", self.dir, self.basename, suffix)
    }

    pub fn uri(&self, suffix: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.key(suffix))
    }
}

/// H.264 rate control as the twin runs it with x264.
#[derive(Debug, Clone, PartialEq)]
pub enum RateControl {
    /// Capped CRF (see the module docs for the mapping).
    Qvbr {
        crf: f64,
        max_bitrate: u64,
        buffer: u64,
    },
    Cbr {
        bitrate: u64,
        buffer: u64,
    },
    Vbr {
        bitrate: u64,
        max_bitrate: u64,
        buffer: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Gop {
    Seconds(f64),
    Frames(u32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct VideoEncode {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub rate: RateControl,
    pub gop: Gop,
    pub b_frames: u32,
    pub profile: &'static str,
    pub level: Option<String>,
    pub framerate: Option<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AudioEncode {
    /// Which source audio track (0-based among audio streams) feeds this output.
    pub track: usize,
    pub bitrate: u64,
    pub channels: u32,
    pub sample_rate: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CmafMedia {
    Video(VideoEncode),
    Audio(AudioEncode),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CmafOutput {
    pub name_modifier: String,
    pub media: CmafMedia,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CmafGroup {
    pub destination: Destination,
    pub segment_length: f64,
    pub fragment_length: f64,
    pub write_hls: bool,
    pub write_dash: bool,
    pub outputs: Vec<CmafOutput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FrameCapture {
    pub name_modifier: String,
    pub extension: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub framerate: (u32, u32),
    pub max_captures: Option<u32>,
    /// 1..=100 as MediaConvert's `quality`.
    pub quality: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mp4File {
    pub name_modifier: String,
    pub extension: String,
    pub video: Option<VideoEncode>,
    pub audio: Option<AudioEncode>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FileOutput {
    FrameCapture(FrameCapture),
    Mp4(Mp4File),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileGroup {
    pub destination: Destination,
    pub outputs: Vec<FileOutput>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutputGroup {
    Cmaf(CmafGroup),
    File(FileGroup),
}

/// A CreateJob the twin can run, in its own terms.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPlan {
    pub input: S3Location,
    pub groups: Vec<OutputGroup>,
    /// Things accepted but not reproduced; shown in the job's `messages.warning`.
    pub warnings: Vec<String>,
}

impl JobPlan {
    pub fn needs_video(&self) -> bool {
        self.groups.iter().any(|g| match g {
            OutputGroup::Cmaf(c) => c
                .outputs
                .iter()
                .any(|o| matches!(o.media, CmafMedia::Video(_))),
            OutputGroup::File(f) => f.outputs.iter().any(|o| match o {
                FileOutput::FrameCapture(_) => true,
                FileOutput::Mp4(m) => m.video.is_some(),
            }),
        })
    }

    /// The highest 0-based audio track any output reads, if any output reads audio.
    pub fn max_audio_track(&self) -> Option<usize> {
        let mut max = None;
        let mut see = |a: &AudioEncode| max = Some(max.map_or(a.track, |m: usize| m.max(a.track)));
        for g in &self.groups {
            match g {
                OutputGroup::Cmaf(c) => {
                    for o in &c.outputs {
                        if let CmafMedia::Audio(a) = &o.media {
                            see(a);
                        }
                    }
                }
                OutputGroup::File(f) => {
                    for o in &f.outputs {
                        if let FileOutput::Mp4(Mp4File { audio: Some(a), .. }) = o {
                            see(a);
                        }
                    }
                }
            }
        }
        max
    }

    /// Validates the job's settings; every refusal names the setting's path.
    pub fn from_request(req: &CreateJobRequest) -> Result<Self, BadRequest> {
        let settings = At::root(&req.settings)?;
        for key in [
            "motionImageInserter",
            "nielsenConfiguration",
            "nielsenNonLinearWatermark",
            "esam",
            "kantarWatermark",
            "availBlanking",
            "extendedDataServices",
            "colorConversion3DLUTSettings",
        ] {
            reject_present(&settings, key)?;
        }
        let inputs = settings.arr("inputs")?;
        let Some(input) = inputs.first() else {
            return Err(settings.err("inputs", "at least one input is required"));
        };
        if inputs.len() > 1 {
            return Err(settings.err(
                "inputs",
                "the local twin transcodes a single input; input stitching is not supported",
            ));
        }
        let file_input = input
            .opt_str("fileInput")?
            .ok_or_else(|| input.err("fileInput", "required"))?;
        let source = S3Location::parse(file_input).filter(|l| !l.key.is_empty());
        let Some(source) = source else {
            return Err(input.err(
                "fileInput",
                format!("must be an s3://bucket/key URL, got {file_input:?}"),
            ));
        };
        for key in [
            "inputClippings",
            "imageInserter",
            "crop",
            "position",
            "videoGenerator",
            "decryptionSettings",
            "supplementalImps",
            "videoOverlays",
            "dynamicAudioSelectors",
        ] {
            reject_present(input, key)?;
        }
        if let Some(filter) = input.opt_str("filterEnable")?
            && filter == "FORCE"
        {
            return Err(input.err(
                "filterEnable",
                "input filters are not supported by the twin",
            ));
        }
        if let Some(video) = input.opt_obj("videoSelector")?
            && let Some(rotate) = video.opt_str("rotate")?
            && !matches!(rotate, "AUTO" | "DEGREE_0")
        {
            return Err(video.err(
                "rotate",
                format!("{rotate} is not supported by the twin (AUTO follows the source's rotation metadata)"),
            ));
        }
        let selectors = audio_selectors(input)?;

        let mut warnings = Vec::new();
        let mut groups = Vec::new();
        for group in settings.arr("outputGroups")? {
            groups.push(output_group(&group, &source, &selectors, &mut warnings)?);
        }
        if groups.is_empty() {
            return Err(settings.err("outputGroups", "at least one output group is required"));
        }
        Ok(Self {
            input: source,
            groups,
            warnings,
        })
    }
}

fn reject_present(at: &At<'_>, key: &str) -> Result<(), BadRequest> {
    match at.value.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(a)) if a.is_empty() => Ok(()),
        Some(Value::Object(o)) if o.is_empty() => Ok(()),
        Some(_) => Err(at.err(key, "not supported by the local MediaConvert twin")),
    }
}

/// Audio selector name → 0-based source audio track.
fn audio_selectors(input: &At<'_>) -> Result<BTreeMap<String, usize>, BadRequest> {
    let mut out = BTreeMap::new();
    let Some(selectors) = input.opt_obj("audioSelectors")? else {
        return Ok(out);
    };
    for (name, _) in selectors.fields() {
        let sel = selectors.child_obj(name)?;
        for key in [
            "externalAudioFileInput",
            "hlsRenditionGroupSettings",
            "pids",
            "programSelection",
        ] {
            reject_present(&sel, key)?;
        }
        if let Some(offset) = sel.opt_i64("offset")?
            && offset != 0
        {
            return Err(sel.err("offset", "audio offsets are not supported by the twin"));
        }
        let track = match sel.opt_str("selectorType")? {
            None | Some("TRACK") => {
                let tracks = sel.arr("tracks")?;
                match tracks.len() {
                    0 => 0,
                    1 => {
                        let t = tracks[0]
                            .value
                            .as_u64()
                            .filter(|t| *t >= 1)
                            .ok_or_else(|| {
                                sel.err("tracks/0", "track numbers are integers from 1")
                            })?;
                        usize::try_from(t - 1).unwrap_or(usize::MAX)
                    }
                    _ => {
                        return Err(sel.err(
                            "tracks",
                            "the twin maps one source track per audio selector",
                        ));
                    }
                }
            }
            Some(other) => {
                return Err(sel.err(
                    "selectorType",
                    format!("{other} is not supported by the twin (use TRACK or omit it)"),
                ));
            }
        };
        out.insert(name.clone(), track);
    }
    Ok(out)
}

fn output_group(
    group: &At<'_>,
    input: &S3Location,
    selectors: &BTreeMap<String, usize>,
    warnings: &mut Vec<String>,
) -> Result<OutputGroup, BadRequest> {
    let ogs = group.child_obj("outputGroupSettings")?;
    let kind = ogs
        .opt_str("type")?
        .ok_or_else(|| ogs.err("type", "required"))?;
    reject_present(group, "automatedEncodingSettings").map_err(|_| {
        group.err(
            "automatedEncodingSettings",
            "automated ABR is not supported by the local twin: list the video renditions explicitly",
        )
    })?;
    let outputs = group.arr("outputs")?;
    if outputs.is_empty() {
        return Err(group.err("outputs", "at least one output is required"));
    }
    match kind {
        "CMAF_GROUP_SETTINGS" => {
            let cmaf = ogs.child_obj("cmafGroupSettings")?;
            let destination = destination(&cmaf, input)?;
            for key in ["encryption", "additionalManifests", "baseUrl"] {
                reject_present(&cmaf, key)?;
            }
            if let Some(sc) = cmaf.opt_str("segmentControl")?
                && sc != "SEGMENTED_FILES"
            {
                return Err(cmaf.err(
                    "segmentControl",
                    format!("{sc} is not supported by the twin (use SEGMENTED_FILES)"),
                ));
            }
            if cmaf.opt_str("manifestCompression")? == Some("GZIP") {
                return Err(cmaf.err("manifestCompression", "GZIP is not supported by the twin"));
            }
            let segment_length = cmaf.opt_f64("segmentLength")?.unwrap_or(10.0);
            let fragment_length = cmaf.opt_f64("fragmentLength")?.unwrap_or(2.0);
            if segment_length <= 0.0 {
                return Err(cmaf.err("segmentLength", "must be positive"));
            }
            if fragment_length <= 0.0 {
                return Err(cmaf.err("fragmentLength", "must be positive"));
            }
            let write_hls = cmaf.opt_str("writeHlsManifest")? != Some("DISABLED");
            let write_dash = cmaf.opt_str("writeDashManifest")? != Some("DISABLED");
            if cmaf.opt_str("mpdProfile")? == Some("ON_DEMAND_PROFILE") && write_dash {
                warnings.push(format!(
                    "{}/mpdProfile: ON_DEMAND_PROFILE is written as a segment-template (live profile) MPD by the local twin",
                    cmaf.path
                ));
            }
            if let Some(mode) = cmaf.opt_str("imageBasedTrickPlay")?
                && mode != "NONE"
            {
                warnings.push(format!(
                    "{}/imageBasedTrickPlay: {mode} trick play not produced by the twin (no thumbnail tiles or I-frame playlists written)",
                    cmaf.path
                ));
            }
            let mut list: Vec<CmafOutput> = Vec::new();
            for output in &outputs {
                let parsed = cmaf_output(output, selectors)?;
                if list.iter().any(|o| o.name_modifier == parsed.name_modifier) {
                    return Err(output.err(
                        "nameModifier",
                        format!(
                            "{:?} is used by another output of this group: every output needs its own name modifier",
                            parsed.name_modifier
                        ),
                    ));
                }
                list.push(parsed);
            }
            Ok(OutputGroup::Cmaf(CmafGroup {
                destination,
                segment_length,
                fragment_length,
                write_hls,
                write_dash,
                outputs: list,
            }))
        }
        "FILE_GROUP_SETTINGS" => {
            let file = ogs.child_obj("fileGroupSettings")?;
            let destination = destination(&file, input)?;
            let mut list: Vec<FileOutput> = Vec::new();
            let mut names: Vec<(String, String)> = Vec::new();
            for output in &outputs {
                let parsed = file_output(output, selectors)?;
                let name = match &parsed {
                    FileOutput::FrameCapture(f) => (f.name_modifier.clone(), f.extension.clone()),
                    FileOutput::Mp4(m) => (m.name_modifier.clone(), m.extension.clone()),
                };
                if names.contains(&name) {
                    return Err(output.err(
                        "nameModifier",
                        "another output of this group writes the same file name: give each output its own name modifier",
                    ));
                }
                names.push(name);
                list.push(parsed);
            }
            Ok(OutputGroup::File(FileGroup {
                destination,
                outputs: list,
            }))
        }
        other => Err(ogs.err(
            "type",
            format!(
                "{other} is not supported by the local MediaConvert twin (CMAF_GROUP_SETTINGS and FILE_GROUP_SETTINGS are)"
            ),
        )),
    }
}

fn destination(settings: &At<'_>, input: &S3Location) -> Result<Destination, BadRequest> {
    let uri = settings
        .opt_str("destination")?
        .ok_or_else(|| settings.err("destination", "required: an s3:// destination"))?;
    Destination::parse(uri, input)
        .ok_or_else(|| settings.err("destination", format!("must be an s3:// URL, got {uri:?}")))
}

fn name_modifier(output: &At<'_>) -> Result<String, BadRequest> {
    let m = output.opt_str("nameModifier")?.unwrap_or("");
    if m.chars().any(|c| c == '/' || c.is_control()) {
        return Err(output.err("nameModifier", "must not contain '/' or control characters"));
    }
    Ok(m.to_owned())
}

fn reject_output_extras(output: &At<'_>) -> Result<(), BadRequest> {
    reject_present(output, "captionDescriptions")?;
    if output.opt_str("preset")?.is_some_and(|p| !p.is_empty()) {
        return Err(output.err(
            "preset",
            "output presets are not supported by the local twin: send the full output settings",
        ));
    }
    Ok(())
}

fn cmaf_output(
    output: &At<'_>,
    selectors: &BTreeMap<String, usize>,
) -> Result<CmafOutput, BadRequest> {
    reject_output_extras(output)?;
    let container = output.child_obj("containerSettings")?;
    match container.opt_str("container")? {
        Some("CMFC") => {}
        other => {
            return Err(container.err(
                "container",
                format!(
                    "CMAF outputs must use CMFC, got {}",
                    other.unwrap_or("nothing")
                ),
            ));
        }
    }
    let name_modifier = name_modifier(output)?;
    let video = output.opt_obj("videoDescription")?;
    let audio = output.arr("audioDescriptions")?;
    let media = match (video, audio.len()) {
        (Some(v), 0) => CmafMedia::Video(video_encode(&v)?),
        (None, 1) => CmafMedia::Audio(audio_encode(&audio[0], selectors)?),
        (None, 0) => {
            return Err(output.err(
                "videoDescription",
                "a CMAF output needs a video or an audio description",
            ));
        }
        (Some(_), _) => {
            return Err(output.err(
                "audioDescriptions",
                "CMAF outputs carry either video or audio, not both: put audio in its own output",
            ));
        }
        (None, _) => {
            return Err(output.err(
                "audioDescriptions",
                "a CMAF output carries one audio description",
            ));
        }
    };
    Ok(CmafOutput {
        name_modifier,
        media,
    })
}

fn file_output(
    output: &At<'_>,
    selectors: &BTreeMap<String, usize>,
) -> Result<FileOutput, BadRequest> {
    reject_output_extras(output)?;
    let container = output.child_obj("containerSettings")?;
    let name_modifier = name_modifier(output)?;
    match container.opt_str("container")? {
        Some("RAW") => {
            let video = output.child_obj("videoDescription")?;
            let codec = video.child_obj("codecSettings")?;
            match codec.opt_str("codec")? {
                Some("FRAME_CAPTURE") => {}
                other => {
                    return Err(codec.err(
                        "codec",
                        format!(
                            "RAW outputs are supported for FRAME_CAPTURE only, got {}",
                            other.unwrap_or("nothing")
                        ),
                    ));
                }
            }
            if !output.arr("audioDescriptions")?.is_empty() {
                return Err(output.err("audioDescriptions", "frame capture outputs have no audio"));
            }
            reject_video_extras(&video)?;
            let fc = codec.child_obj("frameCaptureSettings")?;
            let num = fc.opt_u32("framerateNumerator")?.unwrap_or(1);
            let den = fc.opt_u32("framerateDenominator")?.unwrap_or(1);
            if num == 0 || den == 0 {
                return Err(fc.err("framerateNumerator", "frame capture rate must be positive"));
            }
            let quality = fc.opt_u32("quality")?.unwrap_or(80);
            if !(1..=100).contains(&quality) {
                return Err(fc.err("quality", "must be 1..100"));
            }
            let extension = output.opt_str("extension")?.unwrap_or("jpg");
            if !matches!(extension, "jpg" | "jpeg") {
                return Err(output.err("extension", "frame captures are JPEG: use jpg"));
            }
            Ok(FileOutput::FrameCapture(FrameCapture {
                name_modifier,
                extension: extension.to_owned(),
                width: video.opt_u32("width")?,
                height: video.opt_u32("height")?,
                framerate: (num, den),
                max_captures: fc.opt_u32("maxCaptures")?,
                quality,
            }))
        }
        Some("MP4") => {
            let video = match output.opt_obj("videoDescription")? {
                Some(v) => Some(video_encode(&v)?),
                None => None,
            };
            let audios = output.arr("audioDescriptions")?;
            if audios.len() > 1 {
                return Err(output.err(
                    "audioDescriptions",
                    "the twin writes one audio track per MP4 output",
                ));
            }
            let audio = match audios.first() {
                Some(a) => Some(audio_encode(a, selectors)?),
                None => None,
            };
            if video.is_none() && audio.is_none() {
                return Err(output.err("videoDescription", "an MP4 output needs video or audio"));
            }
            let extension = output.opt_str("extension")?.unwrap_or("mp4");
            Ok(FileOutput::Mp4(Mp4File {
                name_modifier,
                extension: extension.to_owned(),
                video,
                audio,
            }))
        }
        other => Err(container.err(
            "container",
            format!(
                "{} is not supported in a file group by the twin (MP4, or RAW for frame captures)",
                other.unwrap_or("nothing")
            ),
        )),
    }
}

fn reject_video_extras(video: &At<'_>) -> Result<(), BadRequest> {
    for key in ["videoPreprocessors", "crop", "position"] {
        reject_present(video, key)?;
    }
    Ok(())
}

fn video_encode(video: &At<'_>) -> Result<VideoEncode, BadRequest> {
    reject_video_extras(video)?;
    let codec = video.child_obj("codecSettings")?;
    match codec.opt_str("codec")? {
        Some("H_264") => {}
        other => {
            return Err(codec.err(
                "codec",
                format!(
                    "{} is not supported by the local twin (H_264 is)",
                    other.unwrap_or("nothing")
                ),
            ));
        }
    }
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
                crf: qvbr_to_crf(level + fine),
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
    let framerate = match h.opt_str("framerateControl")? {
        None | Some("INITIALIZE_FROM_SOURCE") => None,
        Some("SPECIFIED") => {
            let num = h.opt_u32("framerateNumerator")?.filter(|n| *n > 0);
            let den = h.opt_u32("framerateDenominator")?.filter(|n| *n > 0);
            match (num, den) {
                (Some(n), Some(d)) => Some((n, d)),
                _ => {
                    return Err(h.err(
                        "framerateNumerator",
                        "SPECIFIED needs framerateNumerator and framerateDenominator",
                    ));
                }
            }
        }
        Some(other) => {
            return Err(h.err(
                "framerateControl",
                format!("{other} is not supported by the twin"),
            ));
        }
    };
    Ok(VideoEncode {
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

/// The documented QVBR→CRF mapping: `37 − 2 × level`, clamped to 15..=40 (see the module
/// docs for why).
pub fn qvbr_to_crf(level: f64) -> f64 {
    (37.0 - 2.0 * level).clamp(15.0, 40.0)
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

/// The x264 preset for a rung of `pixels` luma samples (see the module docs); `None` pixels
/// (no scaling asked) counts as a full-size rung.
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

fn audio_encode(
    audio: &At<'_>,
    selectors: &BTreeMap<String, usize>,
) -> Result<AudioEncode, BadRequest> {
    for key in [
        "remixSettings",
        "audioNormalizationSettings",
        "audioChannelTaggingSettings",
    ] {
        reject_present(audio, key)?;
    }
    let track = match audio.opt_str("audioSourceName")? {
        Some(name) => *selectors.get(name).ok_or_else(|| {
            audio.err(
                "audioSourceName",
                format!("no audio selector named {name:?} on the input"),
            )
        })?,
        None => selectors.values().next().copied().unwrap_or(0),
    };
    let codec = audio.child_obj("codecSettings")?;
    match codec.opt_str("codec")? {
        Some("AAC") => {}
        other => {
            return Err(codec.err(
                "codec",
                format!(
                    "{} is not supported by the local twin (AAC is)",
                    other.unwrap_or("nothing")
                ),
            ));
        }
    }
    let aac = codec.child_obj("aacSettings")?;
    if let Some(p) = aac.opt_str("codecProfile")?
        && p != "LC"
    {
        return Err(aac.err(
            "codecProfile",
            format!("{p} is not supported by the twin (LC is)"),
        ));
    }
    let channels = match aac.opt_str("codingMode")?.unwrap_or("CODING_MODE_2_0") {
        "CODING_MODE_1_0" => 1,
        "CODING_MODE_2_0" => 2,
        "CODING_MODE_5_1" => 6,
        other => {
            return Err(aac.err(
                "codingMode",
                format!("{other} is not supported by the twin"),
            ));
        }
    };
    Ok(AudioEncode {
        track,
        bitrate: aac.opt_u64("bitrate")?.unwrap_or(96_000),
        channels,
        sample_rate: aac.opt_u32("sampleRate")?.unwrap_or(48_000),
    })
}

/// A JSON object with its path, for typed reads that name the path when they fail.
#[derive(Debug, Clone)]
struct At<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> At<'a> {
    fn root(value: &'a Value) -> Result<Self, BadRequest> {
        if value.is_object() {
            Ok(Self {
                value,
                path: String::new(),
            })
        } else {
            Err(BadRequest::new(
                "/",
                "the request body must be a JSON object",
            ))
        }
    }

    fn err(&self, key: &str, message: impl Into<String>) -> BadRequest {
        BadRequest::new(format!("{}/{}", self.path, key), message)
    }

    fn fields(&self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.value.as_object().into_iter().flatten()
    }

    fn opt_str(&self, key: &str) -> Result<Option<&'a str>, BadRequest> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(self.err(key, "must be a string")),
        }
    }

    fn opt_f64(&self, key: &str) -> Result<Option<f64>, BadRequest> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.err(key, "must be a number")),
        }
    }

    fn opt_i64(&self, key: &str) -> Result<Option<i64>, BadRequest> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.err(key, "must be an integer")),
        }
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>, BadRequest> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.err(key, "must be a non-negative integer")),
        }
    }

    fn opt_u32(&self, key: &str) -> Result<Option<u32>, BadRequest> {
        match self.opt_u64(key)? {
            None => Ok(None),
            Some(v) => u32::try_from(v)
                .map(Some)
                .map_err(|_| self.err(key, "is too large")),
        }
    }

    fn opt_obj(&self, key: &str) -> Result<Option<At<'a>>, BadRequest> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(At {
                value: v,
                path: format!("{}/{}", self.path, key),
            })),
            Some(_) => Err(self.err(key, "must be an object")),
        }
    }

    fn child_obj(&self, key: &str) -> Result<At<'a>, BadRequest> {
        self.opt_obj(key)?.ok_or_else(|| self.err(key, "required"))
    }

    fn arr(&self, key: &str) -> Result<Vec<At<'a>>, BadRequest> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| At {
                    value: v,
                    path: format!("{}/{}/{}", self.path, key, i),
                })
                .collect()),
            Some(_) => Err(self.err(key, "must be an array")),
        }
    }
}

/// What the twin learned about the source from ffmpeg (no ffprobe needed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceInfo {
    pub duration_secs: Option<f64>,
    pub video: Option<VideoStreamInfo>,
    pub audio_streams: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VideoStreamInfo {
    pub width: u32,
    pub height: u32,
    pub fps: Option<f64>,
}

/// Encoder choices that are the twin's, not the job's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderOptions {
    /// x264 preset of rungs of 1.5 Mpx and more; smaller rungs go two presets slower (see the
    /// module docs). `veryfast` by default: MediaConvert's quality tuning has no x264 twin.
    pub x264_preset: String,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self {
            x264_preset: "veryfast".to_owned(),
        }
    }
}

/// One local file the job produces, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOutput {
    pub local: PathBuf,
    pub bucket: String,
    pub key: String,
}

/// How a CMAF group's ffmpeg files are laid out locally (renamed to MediaConvert names after
/// ffmpeg finishes, see `package`).
#[derive(Debug, Clone, PartialEq)]
pub struct CmafLayout {
    pub group_index: usize,
    pub dir: PathBuf,
    pub group: CmafGroup,
}

/// A frame-capture output's local file pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureLayout {
    pub group_index: usize,
    pub output_index: usize,
    pub dir: PathBuf,
    /// Local file prefix; files are `<prefix>.%07d.jpg`.
    pub prefix: String,
    pub destination: Destination,
    pub capture: FrameCapture,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mp4Layout {
    pub group_index: usize,
    pub output_index: usize,
    pub local: PathBuf,
    pub destination: Destination,
    pub file: Mp4File,
}

/// The one ffmpeg command for a job (`ffmpeg <args>`), and where its outputs land.
#[derive(Debug, Clone, PartialEq)]
pub struct FfmpegPlan {
    pub args: Vec<String>,
    pub cmaf: Vec<CmafLayout>,
    pub captures: Vec<CaptureLayout>,
    pub mp4: Vec<Mp4Layout>,
    /// Directories ffmpeg expects to exist.
    pub dirs: Vec<PathBuf>,
}

/// Why a plan cannot be built for this source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    BadRequest(#[from] BadRequest),
    #[error("{0}")]
    Source(String),
}

/// Builds the single ffmpeg invocation for a job: decode once, `split` + `scale` per rung,
/// CMAF groups through the dash muxer (fMP4 segments + HLS playlists + MPD), frame captures
/// through image2, MP4 files through the mp4 muxer. `output_dir` must exist or be creatable;
/// the returned `dirs` are created by the caller.
pub fn ffmpeg_plan(
    request: &CreateJobRequest,
    source: &SourceInfo,
    input: &Path,
    output_dir: &Path,
    options: &EncoderOptions,
) -> Result<FfmpegPlan, PlanError> {
    let job = JobPlan::from_request(request)?;
    ffmpeg_plan_for(&job, source, input, output_dir, options)
}

/// [`ffmpeg_plan`] for an already validated [`JobPlan`].
pub fn ffmpeg_plan_for(
    job: &JobPlan,
    source: &SourceInfo,
    input: &Path,
    output_dir: &Path,
    options: &EncoderOptions,
) -> Result<FfmpegPlan, PlanError> {
    if job.needs_video() && source.video.is_none() {
        return Err(PlanError::Source(format!(
            "the job has video outputs but the input {} has no video stream",
            job.input.uri()
        )));
    }
    if let Some(track) = job.max_audio_track()
        && track >= source.audio_streams
    {
        return Err(PlanError::Source(if source.audio_streams == 0 {
            format!(
                "the job has audio outputs but the input {} has no audio stream",
                job.input.uri()
            )
        } else {
            format!(
                "an audio selector asks for track {} but the input {} has {} audio track(s)",
                track + 1,
                job.input.uri(),
                source.audio_streams
            )
        }));
    }
    let source_fps = source.video.as_ref().and_then(|v| v.fps).unwrap_or(30.0);

    // Every video consumer gets one branch of a single split of the decoded video.
    let mut chains: Vec<String> = Vec::new();
    let mut outputs: Vec<Vec<String>> = Vec::new();
    let mut plan = FfmpegPlan {
        args: Vec::new(),
        cmaf: Vec::new(),
        captures: Vec::new(),
        mp4: Vec::new(),
        dirs: Vec::new(),
    };

    for (gi, group) in job.groups.iter().enumerate() {
        match group {
            OutputGroup::Cmaf(cmaf) => {
                let dir = output_dir.join(format!("g{gi}"));
                let mut args: Vec<String> = Vec::new();
                let mut v_index = 0;
                let mut a_index = 0;
                let mut has_video = false;
                let mut has_audio = false;
                // One picture shape for every rung of the group (see `group_display_aspect`).
                let display_aspect =
                    group_display_aspect(cmaf.outputs.iter().filter_map(|o| match &o.media {
                        CmafMedia::Video(v) => Some(v),
                        _ => None,
                    }));
                // Video representations first, then audio, so stream numbers are predictable.
                for o in &cmaf.outputs {
                    if let CmafMedia::Video(v) = &o.media {
                        let label = format!("v{}", chains.len());
                        chains.push(format!("{}[{label}]", video_chain(v, display_aspect)));
                        args.extend(["-map".into(), format!("[{label}]")]);
                        args.extend(x264_args(v, v_index, source_fps, options));
                        v_index += 1;
                        has_video = true;
                    }
                }
                for o in &cmaf.outputs {
                    if let CmafMedia::Audio(a) = &o.media {
                        args.extend(["-map".into(), format!("0:a:{}", a.track)]);
                        args.extend(aac_args(a, a_index));
                        a_index += 1;
                        has_audio = true;
                    }
                }
                let sets = match (has_video, has_audio) {
                    (true, true) => "id=0,streams=v id=1,streams=a",
                    (true, false) => "id=0,streams=v",
                    _ => "id=0,streams=a",
                };
                args.extend(
                    [
                        "-f",
                        "dash",
                        "-dash_segment_type",
                        "mp4",
                        "-seg_duration",
                        &fmt_num(cmaf.segment_length),
                        "-frag_duration",
                        &fmt_num(cmaf.fragment_length.min(cmaf.segment_length)),
                        "-frag_type",
                        "duration",
                        "-use_template",
                        "1",
                        "-use_timeline",
                        "1",
                        "-hls_playlist",
                        "1",
                        "-adaptation_sets",
                        sets,
                        "-init_seg_name",
                        "$RepresentationID$_init.$ext$",
                        "-media_seg_name",
                        "$RepresentationID$_$Number%05d$.$ext$",
                    ]
                    .map(String::from),
                );
                args.push(path_arg(&dir.join("manifest.mpd")));
                outputs.push(args);
                plan.dirs.push(dir.clone());
                plan.cmaf.push(CmafLayout {
                    group_index: gi,
                    dir,
                    group: cmaf.clone(),
                });
            }
            OutputGroup::File(file) => {
                let dir = output_dir.join(format!("g{gi}"));
                plan.dirs.push(dir.clone());
                for (oi, output) in file.outputs.iter().enumerate() {
                    match output {
                        FileOutput::FrameCapture(fc) => {
                            let label = format!("v{}", chains.len());
                            // MediaConvert captures the first frame, then one every
                            // 1/framerate seconds. `fps=1/10` would emit nothing for a clip
                            // under 5 s (its first slot rounds to t = 5 s); `select` picks the
                            // first frame at or after each multiple of the interval instead.
                            let interval = f64::from(fc.framerate.1) / f64::from(fc.framerate.0);
                            let mut chain = format!("select='gte(t,selected_n*{interval})'");
                            if let Some(scale) = scale_filter(fc.width, fc.height) {
                                chain.push(',');
                                chain.push_str(&scale);
                            }
                            chains.push(format!("{chain}[{label}]"));
                            let prefix = format!("o{oi}");
                            let mut args: Vec<String> = vec![
                                "-map".into(),
                                format!("[{label}]"),
                                "-c:v".into(),
                                "mjpeg".into(),
                                "-pix_fmt".into(),
                                "yuvj420p".into(),
                                "-q:v".into(),
                                jpeg_qscale(fc.quality).to_string(),
                                // One image per selected frame, not a constant-rate stream.
                                "-fps_mode".into(),
                                "vfr".into(),
                            ];
                            if let Some(max) = fc.max_captures {
                                args.extend(["-frames:v".into(), max.to_string()]);
                            }
                            args.extend(["-start_number", "0", "-f", "image2"].map(String::from));
                            args.push(path_arg(&dir.join(format!("{prefix}.%07d.jpg"))));
                            outputs.push(args);
                            plan.captures.push(CaptureLayout {
                                group_index: gi,
                                output_index: oi,
                                dir: dir.clone(),
                                prefix,
                                destination: file.destination.clone(),
                                capture: fc.clone(),
                            });
                        }
                        FileOutput::Mp4(mp4) => {
                            let mut args: Vec<String> = Vec::new();
                            if let Some(v) = &mp4.video {
                                let label = format!("v{}", chains.len());
                                chains.push(format!("{}[{label}]", video_chain(v, None)));
                                args.extend(["-map".into(), format!("[{label}]")]);
                                args.extend(x264_args(v, 0, source_fps, options));
                            }
                            if let Some(a) = &mp4.audio {
                                args.extend(["-map".into(), format!("0:a:{}", a.track)]);
                                args.extend(aac_args(a, 0));
                            }
                            let local = dir.join(format!("o{oi}.mp4"));
                            args.extend(["-movflags", "+faststart", "-f", "mp4"].map(String::from));
                            args.push(path_arg(&local));
                            outputs.push(args);
                            plan.mp4.push(Mp4Layout {
                                group_index: gi,
                                output_index: oi,
                                local,
                                destination: file.destination.clone(),
                                file: mp4.clone(),
                            });
                        }
                    }
                }
            }
        }
    }

    let mut args: Vec<String> = [
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "error",
        "-nostats",
        "-progress",
        "pipe:1",
        "-i",
    ]
    .map(String::from)
    .to_vec();
    args.push(path_arg(input));
    if !chains.is_empty() {
        let graph = if chains.len() == 1 {
            format!("[0:v]{}", chains[0])
        } else {
            let labels: String = (0..chains.len()).map(|i| format!("[s{i}]")).collect();
            let mut g = format!("[0:v]split={}{labels}", chains.len());
            for (i, chain) in chains.iter().enumerate() {
                g.push_str(&format!(";[s{i}]{chain}"));
            }
            g
        };
        args.extend(["-filter_complex".into(), graph]);
    }
    for o in outputs {
        args.extend(o);
    }
    plan.args = args;
    Ok(plan)
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn scale_filter(width: Option<u32>, height: Option<u32>) -> Option<String> {
    match (width, height) {
        (Some(w), Some(h)) => Some(format!("scale={w}:{h}")),
        (Some(w), None) => Some(format!("scale={w}:-2")),
        (None, Some(h)) => Some(format!("scale=-2:{h}")),
        (None, None) => None,
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The display aspect ratio (reduced `W:H`) of the group's largest rung with both sizes set.
///
/// ffmpeg's DASH muxer refuses an adaptation set whose representations differ in display
/// aspect, and even rung sizes rarely keep it exactly (854×480 is 427:240, not 16:9). Players
/// scale every rung to one picture anyway, so each rung gets the sample aspect ratio that gives
/// it this display aspect: 1:1 where the size is exact, 1280:1281 for 854×480 under 16:9.
fn group_display_aspect<'a>(videos: impl Iterator<Item = &'a VideoEncode>) -> Option<(u64, u64)> {
    let (w, h) = videos
        .filter_map(|v| Some((u64::from(v.width?), u64::from(v.height?))))
        .filter(|&(w, h)| w > 0 && h > 0)
        .max_by_key(|&(w, h)| w * h)?;
    let g = gcd(w, h);
    Some((w / g, h / g))
}

/// `setsar` value that shows a `width`×`height` picture at `display_aspect`.
fn sample_aspect(v: &VideoEncode, display_aspect: Option<(u64, u64)>) -> String {
    match (display_aspect, v.width, v.height) {
        (Some((dw, dh)), Some(w), Some(h)) if w > 0 && h > 0 => {
            let (num, den) = (dw * u64::from(h), dh * u64::from(w));
            let g = gcd(num, den);
            let (num, den) = (num / g, den / g);
            if num == den {
                "1".into()
            } else {
                // `max`: setsar otherwise rounds the ratio to terms ≤ 100 (1280/1281 → 1/1).
                format!("{num}/{den}:max={}", num.max(den))
            }
        }
        _ => "1".into(),
    }
}

/// The filter chain of one video rung (after the split), shown at `display_aspect` when its
/// group has one.
fn video_chain(v: &VideoEncode, display_aspect: Option<(u64, u64)>) -> String {
    let mut parts = Vec::new();
    if let Some((n, d)) = v.framerate {
        parts.push(format!("fps={n}/{d}"));
    }
    if let Some(scale) = scale_filter(v.width, v.height) {
        parts.push(scale);
    }
    parts.push(format!("setsar={}", sample_aspect(v, display_aspect)));
    parts.push("format=yuv420p".into());
    parts.join(",")
}

/// MediaConvert `quality` 1..100 → mjpeg qscale 31..2.
fn jpeg_qscale(quality: u32) -> u32 {
    let q = 31.0 - (f64::from(quality.clamp(1, 100)) - 1.0) * 29.0 / 99.0;
    q.round() as u32
}

/// x264 options for the `index`-th video stream of one output file.
fn x264_args(
    v: &VideoEncode,
    index: usize,
    source_fps: f64,
    options: &EncoderOptions,
) -> Vec<String> {
    let s = format!(":v:{index}");
    let fps = v
        .framerate
        .map(|(n, d)| f64::from(n) / f64::from(d))
        .unwrap_or(source_fps);
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

fn aac_args(a: &AudioEncode, index: usize) -> Vec<String> {
    let s = format!(":a:{index}");
    vec![
        format!("-c{s}"),
        "aac".into(),
        format!("-b{s}"),
        a.bitrate.to_string(),
        format!("-ac{s}"),
        a.channels.to_string(),
        format!("-ar{s}"),
        a.sample_rate.to_string(),
    ]
}
