//! Finding ffmpeg, probing a source with it (no ffprobe needed), running a plan with progress.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::watch;

use crate::error::{JobFailure, TwinError};
use crate::input::Input;
use crate::plan::{SourceInfo, VideoStreamInfo};

/// The project's ffmpeg ([`vod_toolchain::ffmpeg`]: `VOD_FFMPEG`, else the pinned
/// `<repo>/.venv/bin/ffmpeg`), never whichever ffmpeg the system has.
pub fn find_ffmpeg() -> Result<PathBuf, TwinError> {
    vod_toolchain::ffmpeg().map_err(TwinError::FfmpegNotFound)
}

/// Reads duration, video size/rate and the number of audio streams from `ffmpeg -i` (which
/// prints the input's description and exits, complaining that no output was given), with the
/// input's demuxer named and only the `file` protocol allowed ([`Input::args`]).
pub async fn probe(ffmpeg: &Path, input: &Input) -> Result<SourceInfo, JobFailure> {
    let output = Command::from(vod_toolchain::dies_with_parent(ffmpeg))
        .args(["-hide_banner", "-nostdin"])
        .args(input.args())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| JobFailure::internal(format!("running {}: {e}", ffmpeg.display())))?;
    let text = String::from_utf8_lossy(&output.stderr);
    let info = parse_probe(&text);
    if info.video.is_none() && info.audio_streams == 0 {
        let reason = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.contains("At least one output file"))
            .unwrap_or("no audio or video stream found")
            .trim()
            .to_owned();
        return Err(JobFailure::input_access(reason));
    }
    Ok(info)
}

/// Parses the stderr of `ffmpeg -i <input>`.
pub fn parse_probe(text: &str) -> SourceInfo {
    let mut info = SourceInfo::default();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Duration: ") {
            let stamp = rest.split(',').next().unwrap_or("");
            info.duration_secs = parse_clock(stamp);
        } else if line.starts_with("Stream #0:") {
            if line.contains(": Video: ") {
                if info.video.is_none() && !line.contains("(attached pic)") {
                    info.video = parse_video(line);
                }
            } else if line.contains(": Audio: ") {
                info.audio_streams += 1;
            }
        }
    }
    info
}

fn parse_clock(stamp: &str) -> Option<f64> {
    let mut parts = stamp.trim().split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

fn parse_video(line: &str) -> Option<VideoStreamInfo> {
    let desc = line.split(": Video: ").nth(1)?;
    let mut size = None;
    let mut fps = None;
    for part in desc.split(", ") {
        let word = part.split_whitespace().next().unwrap_or("");
        if size.is_none()
            && let Some((w, h)) = word.split_once('x')
            && let (Ok(w), Ok(h)) = (w.parse::<u32>(), h.parse::<u32>())
        {
            size = Some((w, h));
        }
        if let Some(v) = part.strip_suffix(" fps") {
            fps = v.trim().parse::<f64>().ok();
        }
    }
    let (width, height) = size?;
    Some(VideoStreamInfo { width, height, fps })
}

/// How a transcode ended.
#[derive(Debug)]
pub enum RunOutcome {
    Finished,
    Canceled,
    Failed(JobFailure),
}

/// Runs `ffmpeg <args>`, reporting `out_time` (seconds) on `progress`, killing the child as
/// soon as `cancel` turns true.
pub async fn run(
    ffmpeg: &Path,
    args: &[String],
    progress: impl Fn(f64),
    mut cancel: watch::Receiver<bool>,
) -> RunOutcome {
    let mut child = match Command::from(vod_toolchain::dies_with_parent(ffmpeg))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            return RunOutcome::Failed(JobFailure::internal(format!(
                "starting {}: {e}",
                ffmpeg.display()
            )));
        }
    };
    let stderr_task = child.stderr.take().map(|mut err| {
        tokio::spawn(async move {
            let mut buf = Vec::new();
            // ffmpeg at -loglevel error prints little; cap it anyway.
            let _ = (&mut err).take(64 * 1024).read_to_end(&mut buf).await;
            let _ = tokio::io::copy(&mut err, &mut tokio::io::sink()).await;
            String::from_utf8_lossy(&buf).into_owned()
        })
    });
    let mut lines = child.stdout.take().map(|out| BufReader::new(out).lines());

    let status = loop {
        tokio::select! {
            changed = cancel.changed() => {
                if changed.is_err() || *cancel.borrow() {
                    let _ = child.start_kill();
                    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
                    return RunOutcome::Canceled;
                }
            }
            line = async {
                match lines.as_mut() {
                    Some(l) => l.next_line().await,
                    None => std::future::pending().await,
                }
            } => {
                match line {
                    Ok(Some(line)) => {
                        if let Some(us) = line.strip_prefix("out_time_us=")
                            && let Ok(us) = us.trim().parse::<i64>()
                            && us >= 0
                        {
                            progress(us as f64 / 1_000_000.0);
                        }
                    }
                    _ => lines = None,
                }
            }
            status = child.wait(), if lines.is_none() => break status,
        }
    };
    let stderr = match stderr_task {
        Some(task) => task.await.unwrap_or_default(),
        None => String::new(),
    };
    match status {
        Ok(s) if s.success() => RunOutcome::Finished,
        // Killed from outside (OOM killer, an operator, a test): say so rather than quote
        // whatever ffmpeg printed last before it died.
        Ok(s) if killed_by_signal(&s) => RunOutcome::Failed(JobFailure::transcode(format!(
            "the encoder died mid-transcode (ffmpeg {s})"
        ))),
        Ok(s) => {
            let last = stderr
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("no error output")
                .trim()
                .to_owned();
            RunOutcome::Failed(JobFailure::transcode(format!(
                "transcoding failed (ffmpeg {s}): {last}"
            )))
        }
        Err(e) => RunOutcome::Failed(JobFailure::internal(format!("waiting for ffmpeg: {e}"))),
    }
}

#[cfg(unix)]
fn killed_by_signal(status: &std::process::ExitStatus) -> bool {
    std::os::unix::process::ExitStatusExt::signal(status).is_some()
}

#[cfg(not(unix))]
fn killed_by_signal(_status: &std::process::ExitStatus) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output_is_parsed() {
        let text = "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'src.mp4':\n  Duration: 00:00:10.50, start: 0.000000, bitrate: 15580 kb/s\n  Stream #0:0[0x1](und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), yuv420p(progressive), 1920x1080 [SAR 1:1 DAR 16:9], 15502 kb/s, 29.97 fps, 30 tbr, 15360 tbn (default)\n  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 69 kb/s (default)\nAt least one output file must be specified\n";
        let info = parse_probe(text);
        assert_eq!(info.duration_secs, Some(10.5));
        assert_eq!(
            info.video,
            Some(VideoStreamInfo {
                width: 1920,
                height: 1080,
                fps: Some(29.97)
            })
        );
        assert_eq!(info.audio_streams, 1);
    }

    #[test]
    fn audio_only_probe_has_no_video() {
        let text = "  Duration: 00:01:00.00, start: 0.0\n  Stream #0:0: Audio: mp3, 44100 Hz, stereo, fltp, 128 kb/s\n";
        let info = parse_probe(text);
        assert!(info.video.is_none());
        assert_eq!(info.audio_streams, 1);
        assert_eq!(info.duration_secs, Some(60.0));
    }
}
