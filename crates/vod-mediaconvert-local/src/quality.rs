//! Quality measured with the pinned ffmpeg's libvmaf on short sampled chunks of the source:
//!
//! - [`complexity_pass`]: each rung size encoded fast at fixed settings (x264 `veryfast` at
//!   the level's CRF), scored at the top rung's size → a [`ComplexityMeasure`] for the
//!   per-title plan ([`vod_core::pertitle`]);
//! - [`search_crfs`]: the twin's QVBR — for each QVBR rung of a job, the highest CRF whose
//!   encode of the samples reaches the VMAF the level stands for ([`vod_core::quality`]),
//!   searched in at most [`MAX_PROBES`] encodes per rung (`VOD_MEDIACONVERT_QUALITY_SEARCH=true`).
//!
//! The samples are cut once into a lossless clip (`SAMPLES` chunks of `chunk` seconds spread
//! over the source), so every probe decodes a few seconds, never the source. A missing encoder
//! or filter (libvmaf, libsvtav1) fails with a message naming it, whatever ffmpeg is found.

use std::path::{Path, PathBuf};
use std::process::Command;

use vod_core::pertitle::{ComplexityMeasure, RungMeasure};
use vod_core::quality::{AV1_CRF_RANGE, X264_CRF_RANGE, vmaf_for_qvbr, x264_crf_for_qvbr};

use crate::input::Input;
use crate::plan::{
    CmafMedia, EncoderOptions, JobPlan, OutputGroup, RateControl, SourceInfo, VideoCodec,
    VideoEncode, preset_for_rung,
};

/// Chunks sampled from the source.
pub const SAMPLES: usize = 3;
/// Seconds per chunk (shorter for a short source): 1.5 s of samples whatever the length.
pub const CHUNK_SECONDS: f64 = 0.5;
/// Encodes per rung in the CRF search: the level's CRF, then one step up or down.
pub const MAX_PROBES: usize = 2;
/// libvmaf scores every n-th frame of the samples.
const VMAF_SUBSAMPLE: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum QualityError {
    #[error("ffmpeg {what} failed: {detail}")]
    Ffmpeg { what: String, detail: String },
    #[error(
        "the ffmpeg at {ffmpeg} has no {name}: the quality search and the complexity pass need the project's pinned ffmpeg (`make venv`, VOD_FFMPEG)"
    )]
    Missing { ffmpeg: PathBuf, name: &'static str },
    #[error("the source has no video or no known duration to sample")]
    NoVideo,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// One rung's search: the CRFs tried and what they scored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    pub name_modifier: String,
    pub codec: &'static str,
    pub target_vmaf: f64,
    pub crf: f64,
    pub vmaf: f64,
    pub probes: Vec<(f64, f64)>,
}

/// The lossless sample clip and what it was cut from.
pub struct Samples {
    dir: tempfile::TempDir,
    clip: PathBuf,
    seconds: f64,
    fps: f64,
}

impl Samples {
    /// Cuts [`SAMPLES`] chunks of `chunk` seconds (shorter for a short source) spread over the
    /// source into one lossless clip.
    pub fn cut(
        ffmpeg: &Path,
        input: &Input,
        source: &SourceInfo,
        chunk: f64,
    ) -> Result<Self, QualityError> {
        let (Some(video), Some(duration)) = (&source.video, source.duration_secs) else {
            return Err(QualityError::NoVideo);
        };
        require(ffmpeg, "-filters", "libvmaf")?;
        let chunk = chunk.min(duration / SAMPLES as f64).max(0.2);
        let dir = tempfile::tempdir()?;
        // NUT at the source's frame rate: every frame keeps its exact slot (Matroska's millisecond
        // timestamps made encodes drop and repeat frames against the reference).
        let clip = dir.path().join("samples.nut");
        let fps = video
            .fps
            .filter(|f| f.is_finite() && *f > 0.0)
            .unwrap_or(30.0);
        let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
            .map(String::from)
            .to_vec();
        for k in 0..SAMPLES {
            let at = (duration * (k as f64 + 0.5) / SAMPLES as f64 - chunk / 2.0).max(0.0);
            args.extend([
                "-ss".into(),
                format!("{at:.3}"),
                "-t".into(),
                format!("{chunk:.3}"),
            ]);
            args.extend(input.args());
        }
        let inputs: String = (0..SAMPLES).map(|k| format!("[{k}:v:0]")).collect();
        args.extend([
            "-filter_complex".into(),
            format!("{inputs}concat=n={SAMPLES}:v=1:a=0,setpts=N/({fps})/TB,format=yuv420p[v]"),
            "-map".into(),
            "[v]".into(),
            "-r".into(),
            format!("{fps}"),
            "-c:v".into(),
            "libx264".into(),
            "-qp".into(),
            "0".into(),
            "-preset".into(),
            "ultrafast".into(),
            path(&clip),
        ]);
        run(ffmpeg, &args, "cutting the samples")?;
        Ok(Self {
            dir,
            clip,
            seconds: chunk * SAMPLES as f64,
            fps,
        })
    }

    /// Encodes the samples like `v` at `crf` and scores them at `score_size` (the rung's own
    /// size for the search, the top size for the complexity pass): (VMAF, bits per second).
    fn probe(
        &self,
        ffmpeg: &Path,
        v: &VideoEncode,
        crf: f64,
        preset: &str,
        score_size: (u32, u32),
    ) -> Result<(f64, u64), QualityError> {
        let enc = self.dir.path().join("probe.nut");
        let (w, h) = (
            v.width.unwrap_or(score_size.0),
            v.height.unwrap_or(score_size.1),
        );
        let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i"]
            .map(String::from)
            .to_vec();
        args.push(path(&self.clip));
        args.extend(["-vf".into(), format!("scale={w}:{h},format=yuv420p")]);
        args.extend(["-fps_mode".into(), "passthrough".into()]);
        let gop = ((self.fps * 2.0).round() as u32).max(1).to_string();
        match v.codec {
            VideoCodec::H264 => args.extend(
                [
                    "-c:v",
                    "libx264",
                    "-preset",
                    preset,
                    "-crf",
                    &fmt(crf),
                    "-g",
                    &gop,
                ]
                .map(String::from),
            ),
            VideoCodec::Av1 => args.extend(
                [
                    "-c:v",
                    "libsvtav1",
                    "-preset",
                    preset,
                    "-crf",
                    &fmt(crf.round()),
                    "-g",
                    &gop,
                ]
                .map(String::from),
            ),
        }
        args.push(path(&enc));
        run(ffmpeg, &args, "encoding a sample")?;
        let bits = std::fs::metadata(&enc)?.len() * 8;
        let bps = (bits as f64 / self.seconds.max(0.1)).round() as u64;
        let (sw, sh) = score_size;
        let lavfi = format!(
            "[0:v]scale={sw}:{sh}:flags=bicubic,setpts=PTS-STARTPTS,format=yuv420p[d];\
             [1:v]scale={sw}:{sh}:flags=bicubic,setpts=PTS-STARTPTS,format=yuv420p[r];\
             [d][r]libvmaf=n_subsample={VMAF_SUBSAMPLE}:n_threads=2"
        );
        let out = Command::new(ffmpeg)
            .args(["-hide_banner", "-nostdin", "-loglevel", "info", "-i"])
            .arg(&enc)
            .arg("-i")
            .arg(&self.clip)
            .args(["-lavfi", &lavfi, "-f", "null", "-"])
            .output()?;
        let text = String::from_utf8_lossy(&out.stderr);
        let vmaf = text
            .lines()
            .filter_map(|l| l.split("VMAF score:").nth(1))
            .filter_map(|v| v.trim().parse::<f64>().ok())
            .next_back()
            .ok_or_else(|| QualityError::Ffmpeg {
                what: "scoring a sample with libvmaf".into(),
                detail: tail(&text),
            })?;
        Ok((vmaf, bps))
    }
}

/// The complexity pass: every size in `sizes` (largest first) encoded at x264 `veryfast` and
/// the CRF of QVBR `level`, scored at the first (top) size.
pub fn complexity_pass(
    ffmpeg: &Path,
    samples: &Samples,
    sizes: &[(u32, u32)],
    level: f64,
) -> Result<ComplexityMeasure, QualityError> {
    let Some(&top) = sizes.first() else {
        return Err(QualityError::NoVideo);
    };
    let crf = x264_crf_for_qvbr(level);
    let mut rungs = Vec::new();
    for &(w, h) in sizes {
        let v = h264_at(w, h);
        let (vmaf, bps) = samples.probe(ffmpeg, &v, crf, "veryfast", top)?;
        rungs.push(RungMeasure {
            short_side: w.min(h),
            display_vmaf: (vmaf * 100.0).round() / 100.0,
            bitrate_bps: bps,
        });
    }
    Ok(ComplexityMeasure {
        method: format!(
            "{SAMPLES} chunks of {:.1} s, x264 veryfast CRF {}, VMAF at {}x{}",
            samples.seconds / SAMPLES as f64,
            fmt(crf),
            top.0,
            top.1
        ),
        rungs,
    })
}

fn h264_at(w: u32, h: u32) -> VideoEncode {
    VideoEncode {
        codec: VideoCodec::H264,
        width: Some(w),
        height: Some(h),
        rate: RateControl::Cbr {
            bitrate: 0,
            buffer: 0,
        },
        gop: crate::plan::Gop::Seconds(2.0),
        b_frames: 2,
        profile: "high",
        level: None,
        framerate: None,
    }
}

/// The twin's QVBR: replaces each QVBR video output's CRF with the highest one whose samples
/// reach its level's VMAF at the rung's own size.
pub fn search_crfs(
    ffmpeg: &Path,
    samples: &Samples,
    job: &mut JobPlan,
    options: &EncoderOptions,
) -> Result<Vec<SearchResult>, QualityError> {
    let mut results = Vec::new();
    for group in &mut job.groups {
        let OutputGroup::Cmaf(cmaf) = group else {
            continue;
        };
        for output in &mut cmaf.outputs {
            let CmafMedia::Video(v) = &mut output.media else {
                continue;
            };
            let RateControl::Qvbr { level, crf, .. } = v.rate else {
                continue;
            };
            if v.codec == VideoCodec::Av1 {
                require(ffmpeg, "-encoders", "libsvtav1")?;
            }
            let (w, h) = (v.width.unwrap_or(1920), v.height.unwrap_or(1080));
            let (preset, range, step) = match v.codec {
                VideoCodec::H264 => (
                    preset_for_rung(&options.x264_preset, Some(u64::from(w) * u64::from(h))),
                    X264_CRF_RANGE,
                    3.0,
                ),
                VideoCodec::Av1 => (options.svtav1_preset.to_string(), AV1_CRF_RANGE, 6.0),
            };
            let target = vmaf_for_qvbr(level);
            let probe = |c: f64| samples.probe(ffmpeg, v, c, &preset, (w, h)).map(|(q, _)| q);
            let (found, vmaf, probes) = search(probe, target, crf, step, range)?;
            results.push(SearchResult {
                name_modifier: output.name_modifier.clone(),
                codec: match v.codec {
                    VideoCodec::H264 => "h264",
                    VideoCodec::Av1 => "av1",
                },
                target_vmaf: target,
                crf: found,
                vmaf,
                probes,
            });
            if let RateControl::Qvbr { crf, .. } = &mut v.rate {
                *crf = found;
            }
        }
    }
    Ok(results)
}

/// A search's answer: the CRF chosen, its score, and every (CRF, score) tried.
pub type Found = (f64, f64, Vec<(f64, f64)>);

/// The highest CRF (in whole steps from `start`, then halving between a pass and a miss)
/// whose score reaches `target`, in at most `MAX_PROBES` calls of `score`; the lowest CRF tried
/// when none does.
pub fn search(
    mut score: impl FnMut(f64) -> Result<f64, QualityError>,
    target: f64,
    start: f64,
    step: f64,
    (low, high): (f64, f64),
) -> Result<Found, QualityError> {
    search_in(&mut score, target, start, step, (low, high), MAX_PROBES)
}

fn search_in(
    score: &mut impl FnMut(f64) -> Result<f64, QualityError>,
    target: f64,
    start: f64,
    step: f64,
    (low, high): (f64, f64),
    max_probes: usize,
) -> Result<Found, QualityError> {
    let mut probes: Vec<(f64, f64)> = Vec::new();
    let mut crf = start.clamp(low, high);
    for _ in 0..max_probes {
        let q = score(crf)?;
        probes.push((crf, q));
        let best_ok = probes
            .iter()
            .filter(|p| p.1 >= target)
            .map(|p| p.0)
            .fold(f64::NAN, f64::max);
        let worst_bad = probes
            .iter()
            .filter(|p| p.1 < target)
            .map(|p| p.0)
            .fold(f64::NAN, f64::min);
        let next = match (best_ok.is_nan(), worst_bad.is_nan()) {
            (false, true) => best_ok + step,
            (true, false) => worst_bad - step,
            _ => ((best_ok + worst_bad) / 2.0).round(),
        }
        .clamp(low, high);
        if probes.iter().any(|p| p.0 == next) {
            break;
        }
        crf = next;
    }
    let chosen = probes
        .iter()
        .filter(|p| p.1 >= target)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .or_else(|| probes.iter().min_by(|a, b| a.0.total_cmp(&b.0)))
        .copied()
        .unwrap_or((start, 0.0));
    Ok((chosen.0, chosen.1, probes))
}

/// Fails naming `name` unless `ffmpeg <list>` (`-encoders`, `-filters`) lists it.
pub fn require(ffmpeg: &Path, list: &str, name: &'static str) -> Result<(), QualityError> {
    let out = Command::new(ffmpeg).args(["-hide_banner", list]).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if text.split_whitespace().any(|w| w == name) {
        Ok(())
    } else {
        Err(QualityError::Missing {
            ffmpeg: ffmpeg.to_owned(),
            name,
        })
    }
}

fn run(ffmpeg: &Path, args: &[String], what: &str) -> Result<(), QualityError> {
    let out = Command::new(ffmpeg).args(args).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(QualityError::Ffmpeg {
            what: what.to_owned(),
            detail: tail(&String::from_utf8_lossy(&out.stderr)),
        })
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn fmt(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A made-up encoder: VMAF falls a point per CRF step from 100 at CRF 15.
    #[allow(clippy::unnecessary_wraps)]
    fn linear(crf: f64) -> Result<f64, QualityError> {
        Ok(100.0 - (crf - 15.0))
    }

    #[test]
    fn the_search_finds_the_highest_crf_that_meets_the_target() -> Result<(), QualityError> {
        let mut encoder = linear;
        let (crf, vmaf, probes) = search_in(&mut encoder, 94.5, 21.0, 3.0, X264_CRF_RANGE, 3)?;
        assert_eq!((crf, vmaf), (20.0, 95.0));
        assert_eq!(probes.len(), 3);
        let (crf, _, _) = search_in(&mut encoder, 90.0, 21.0, 3.0, X264_CRF_RANGE, 3)?;
        // 21 and 24 meet it, 27 does not: three probes spent.
        assert_eq!(crf, 24.0);
        Ok(())
    }

    #[test]
    fn an_unreachable_target_gets_the_lowest_crf_tried() -> Result<(), QualityError> {
        let (crf, _, probes) = search(|_| Ok(50.0), 94.0, 21.0, 3.0, X264_CRF_RANGE)?;
        assert_eq!(
            crf,
            probes.iter().map(|p| p.0).fold(f64::INFINITY, f64::min)
        );
        assert!(crf < 21.0);
        // The default budget: the level's CRF and one step.
        let (crf, _, probes) = search(linear, 94.5, 21.0, 3.0, X264_CRF_RANGE)?;
        assert_eq!((crf, probes.len()), (18.0, MAX_PROBES));
        Ok(())
    }
}
