//! What one `trak` told, and how the tracks become the report: duration, bitrate, the first
//! video track (codec support decided here), audio and subtitle tracks.

use super::boxes::fourcc;
use crate::codec::{self, VideoConfig};
use crate::report::round3;
use crate::source::{Stop, reject};
use vod_core::probe::{AudioTrack, ProbeReport, RejectReason, SubtitleTrack, VideoTrack};

/// Everything learned from one `trak`.
#[derive(Debug, Default)]
pub(super) struct Track {
    pub(super) handler: [u8; 4],
    pub(super) rotation: u16,
    pub(super) timescale: u32,
    pub(super) duration: u64,
    pub(super) language: Option<String>,
    pub(super) entry: Option<[u8; 4]>,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) pasp: Option<(u32, u32)>,
    pub(super) config: VideoConfig,
    pub(super) channels: u16,
    pub(super) sample_rate: u32,
    pub(super) audio_codec: Option<&'static str>,
    pub(super) avg_bitrate: Option<u64>,
    pub(super) stts_entries: u32,
    pub(super) stts_first_delta: u32,
    pub(super) sample_count: u32,
}

fn seconds(duration: u64, timescale: u32) -> Option<f64> {
    (timescale > 0 && duration > 0).then(|| duration as f64 / f64::from(timescale))
}

pub(super) fn finish(
    mut report: ProbeReport,
    tracks: &[Track],
    movie_timescale: u32,
    movie_duration: u64,
) -> Result<ProbeReport, Stop> {
    let duration = seconds(movie_duration, movie_timescale).or_else(|| {
        tracks
            .iter()
            .filter_map(|t| seconds(t.duration, t.timescale))
            .reduce(f64::max)
    });
    report.duration_seconds = duration.map(round3);
    report.bitrate_bps = duration
        .filter(|d| *d > 0.0)
        .map(|d| (report.size_bytes as f64 * 8.0 / d) as u64);

    for track in tracks {
        match &track.handler {
            b"vide" if report.video.is_none() => {
                let Some(entry) = track.entry else { continue };
                let Some(name) = codec::mp4_video_codec(&entry) else {
                    if &entry == b"tmcd" {
                        continue;
                    }
                    return Err(reject(
                        RejectReason::UnsupportedCodec,
                        format!(
                            "the video codec `{}` is not one MediaConvert can decode; re-encode to H.264 or HEVC and upload again",
                            fourcc(&entry)
                        ),
                    ));
                };
                if !codec::video_supported(name) {
                    let hint = if name == "encrypted" {
                        "the video is DRM-encrypted; upload the clear source".to_owned()
                    } else {
                        format!(
                            "the video codec `{name}` ({}) is not one MediaConvert can decode; re-encode to H.264 or HEVC and upload again",
                            fourcc(&entry)
                        )
                    };
                    return Err(reject(RejectReason::UnsupportedCodec, hint));
                }
                report.video = Some(video_track(track, name));
            }
            b"vide" => report
                .notes
                .push("more than one video track; the first is used".into()),
            b"soun" => {
                if let Some(codec) = track.audio_codec {
                    report.audio.push(AudioTrack {
                        codec: codec.into(),
                        channels: track.channels,
                        sample_rate: track.sample_rate,
                        language: track.language.clone(),
                        bitrate_bps: track.avg_bitrate,
                    });
                }
            }
            b"subt" | b"text" | b"sbtl" | b"clcp" => {
                let codec = track
                    .entry
                    .map(|e| fourcc(&e))
                    .unwrap_or_else(|| "unknown".into());
                report.subtitles.push(SubtitleTrack {
                    codec: codec.trim().to_owned(),
                    language: track.language.clone(),
                });
            }
            _ => {}
        }
    }
    if report.video.is_none() && report.audio.is_empty() {
        let image = report.notes.iter().any(|n| n.starts_with("HEIF"));
        return Err(if image {
            reject(
                RejectReason::NotMedia,
                "this is a HEIF/AVIF still image, not a video; upload a video file",
            )
        } else {
            reject(
                RejectReason::NoStreams,
                "the file holds no audio or video track; check the export settings and upload again",
            )
        });
    }
    Ok(report)
}

fn video_track(track: &Track, codec: &str) -> VideoTrack {
    let (mut width, mut height) = (track.width, track.height);
    let (mut h_spacing, mut v_spacing) = track.pasp.unwrap_or((1, 1));
    if track.rotation % 180 == 90 {
        std::mem::swap(&mut width, &mut height);
        std::mem::swap(&mut h_spacing, &mut v_spacing);
    }
    let frame_rate = if track.stts_entries == 1 && track.stts_first_delta > 0 && track.timescale > 0
    {
        Some(f64::from(track.timescale) / f64::from(track.stts_first_delta))
    } else {
        seconds(track.duration, track.timescale)
            .filter(|_| track.sample_count > 0)
            .map(|d| f64::from(track.sample_count) / d)
    };
    VideoTrack {
        codec: codec.into(),
        profile: track.config.profile.clone(),
        width,
        height,
        rotation: track.rotation,
        display_aspect: crate::report::aspect(
            u64::from(width) * u64::from(h_spacing),
            u64::from(height) * u64::from(v_spacing),
        ),
        frame_rate: frame_rate.map(round3),
        bit_depth: track.config.bit_depth,
        transfer: track.config.transfer.clone(),
        bitrate_bps: track.avg_bitrate,
    }
}
