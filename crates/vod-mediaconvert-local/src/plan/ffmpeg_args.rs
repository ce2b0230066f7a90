//! A validated [`JobPlan`] and what ffmpeg saw of the source → the one ffmpeg argument
//! vector of the job ([`FfmpegPlan`]), and where its outputs land.

use std::path::{Path, PathBuf};

use super::model::{
    AudioEncode, CmafGroup, CmafMedia, Destination, FileOutput, FrameCapture, JobPlan, Mp4File,
    OutputGroup, VideoCodec, VideoEncode,
};
use super::request::CreateJobRequest;
use super::svtav1::svtav1_args;
use super::x264::{EncoderOptions, x264_args};
use crate::error::BadRequest;
use crate::input::Input;

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

/// One local file the job produces, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOutput {
    pub local: PathBuf,
    pub bucket: String,
    pub key: String,
}

/// Where a CMAF group's thumbnail tiles are written (under its directory), as
/// `tile.00001.jpg`, … (see [`super::trick_play`]).
pub const TILES_DIR: &str = "tiles";

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
/// through image2, MP4 files through the mp4 muxer. The input is read as [`Input::args`] says
/// (its demuxer named, the `file` protocol only). `output_dir` must exist or be creatable;
/// the returned `dirs` are created by the caller.
pub fn ffmpeg_plan(
    request: &CreateJobRequest,
    source: &SourceInfo,
    input: &Input,
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
    input: &Input,
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
                let mut has_audio = false;
                // DASH: one adaptation set per video codec (a player switches within a set),
                // then the audio.
                let mut h264_streams: Vec<usize> = Vec::new();
                let mut av1_streams: Vec<usize> = Vec::new();
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
                        args.extend(video_args(v, v_index, source_fps, options));
                        match v.codec {
                            VideoCodec::H264 => h264_streams.push(v_index),
                            VideoCodec::Av1 => av1_streams.push(v_index),
                        }
                        v_index += 1;
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
                let sets = adaptation_sets(&h264_streams, &av1_streams, has_audio);
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
                        &sets,
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
                if let Some(trick_play) = &cmaf.trick_play {
                    let label = format!("v{}", chains.len());
                    chains.push(format!("{}[{label}]", trick_play.filter_chain(source)));
                    let tiles = dir.join(TILES_DIR);
                    let mut args = jpeg_args(&label, jpeg_qscale(TILE_JPEG_QUALITY));
                    args.extend(["-start_number", "1", "-f", "image2"].map(String::from));
                    args.push(path_arg(&tiles.join("tile.%05d.jpg")));
                    outputs.push(args);
                    plan.dirs.push(tiles);
                }
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
                            let mut args = jpeg_args(&label, jpeg_qscale(fc.quality));
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
                                args.extend(video_args(v, 0, source_fps, options));
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
    ]
    .map(String::from)
    .to_vec();
    args.extend(input.args());
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

/// The encoder arguments of one video stream, by codec.
fn video_args(v: &VideoEncode, index: usize, fps: f64, options: &EncoderOptions) -> Vec<String> {
    match v.codec {
        VideoCodec::H264 => x264_args(v, index, fps, options),
        VideoCodec::Av1 => svtav1_args(v, index, fps, options),
    }
}

/// The dash muxer's `-adaptation_sets`: H.264 rungs, AV1 rungs, audio (the video stream
/// indices are the file's: video streams come first).
fn adaptation_sets(h264: &[usize], av1: &[usize], has_audio: bool) -> String {
    let list = |ids: &[usize]| {
        ids.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut sets = Vec::new();
    if av1.is_empty() && !h264.is_empty() {
        sets.push("streams=v".to_owned());
    } else {
        for group in [h264, av1] {
            if !group.is_empty() {
                sets.push(format!("streams={}", list(group)));
            }
        }
    }
    if has_audio {
        sets.push("streams=a".to_owned());
    }
    sets.iter()
        .enumerate()
        .map(|(i, s)| format!("id={i},{s}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

pub(super) fn fmt_num(v: f64) -> String {
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

/// Trick-play tiles are JPEGs of this `quality` (the trick-play settings have no such field).
const TILE_JPEG_QUALITY: u32 = 80;

/// The mjpeg encoding of the filter output `[label]`: one image per selected frame, not a
/// constant-rate stream.
fn jpeg_args(label: &str, qscale: u32) -> Vec<String> {
    [
        "-map",
        &format!("[{label}]"),
        "-c:v",
        "mjpeg",
        "-pix_fmt",
        "yuvj420p",
        "-q:v",
        &qscale.to_string(),
        "-fps_mode",
        "vfr",
    ]
    .map(String::from)
    .to_vec()
}

/// MediaConvert `quality` 1..100 → mjpeg qscale 31..2.
fn jpeg_qscale(quality: u32) -> u32 {
    let q = 31.0 - (f64::from(quality.clamp(1, 100)) - 1.0) * 29.0 / 99.0;
    q.round() as u32
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
