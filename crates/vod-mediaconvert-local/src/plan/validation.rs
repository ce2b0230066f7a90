//! CreateJob settings → [`JobPlan`]: every setting the twin reads is checked here, and every
//! refusal names the setting's path.

use std::collections::BTreeMap;

use serde_json::Value;

use super::json_cursor::JsonCursor;
use super::model::{
    AudioEncode, CmafGroup, CmafMedia, CmafOutput, Destination, FileGroup, FileOutput,
    FrameCapture, JobPlan, Mp4File, OutputGroup, S3Location,
};
use super::request::CreateJobRequest;
use super::video::{reject_video_extras, require_codec, video_encode};
use crate::error::BadRequest;

impl JobPlan {
    /// Validates the job's settings; every refusal names the setting's path.
    pub fn from_request(req: &CreateJobRequest) -> Result<Self, BadRequest> {
        let settings = JsonCursor::root(&req.settings)?;
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

pub(super) fn reject_present(at: &JsonCursor<'_>, key: &str) -> Result<(), BadRequest> {
    match at.value.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(a)) if a.is_empty() => Ok(()),
        Some(Value::Object(o)) if o.is_empty() => Ok(()),
        Some(_) => Err(at.err(key, "not supported by the local MediaConvert twin")),
    }
}

/// Audio selector name → 0-based source audio track.
fn audio_selectors(input: &JsonCursor<'_>) -> Result<BTreeMap<String, usize>, BadRequest> {
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
    group: &JsonCursor<'_>,
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
            let mut trick_play = super::trick_play::trick_play(&cmaf, write_hls, warnings)?;
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
            if trick_play.is_some() && !list.iter().any(|o| matches!(o.media, CmafMedia::Video(_))) {
                warnings.push(format!(
                    "{}/imageBasedTrickPlay: ignored, the group has no video output",
                    cmaf.path
                ));
                trick_play = None;
            }
            Ok(OutputGroup::Cmaf(CmafGroup {
                destination,
                segment_length,
                fragment_length,
                write_hls,
                write_dash,
                outputs: list,
                trick_play,
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

fn destination(settings: &JsonCursor<'_>, input: &S3Location) -> Result<Destination, BadRequest> {
    let uri = settings
        .opt_str("destination")?
        .ok_or_else(|| settings.err("destination", "required: an s3:// destination"))?;
    Destination::parse(uri, input)
        .ok_or_else(|| settings.err("destination", format!("must be an s3:// URL, got {uri:?}")))
}

fn name_modifier(output: &JsonCursor<'_>) -> Result<String, BadRequest> {
    let m = output.opt_str("nameModifier")?.unwrap_or("");
    if m.chars().any(|c| c == '/' || c.is_control()) {
        return Err(output.err("nameModifier", "must not contain '/' or control characters"));
    }
    Ok(m.to_owned())
}

fn reject_output_extras(output: &JsonCursor<'_>) -> Result<(), BadRequest> {
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
    output: &JsonCursor<'_>,
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
        (Some(v), 0) => CmafMedia::Video(video_encode(&v, true)?),
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
    output: &JsonCursor<'_>,
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
                Some(v) => Some(video_encode(&v, false)?),
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

fn audio_encode(
    audio: &JsonCursor<'_>,
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
    require_codec(&codec, "AAC")?;
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
