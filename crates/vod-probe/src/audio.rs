//! Audio-only files and the video families we recognise but only partly parse (AVI, MXF,
//! ASF/WMV, FLV): facts from the first header, `partial: true`, and MediaConvert reads the rest.

use crate::sniff::Family;
use crate::source::{Cur, Source, Stop, le_u16, le_u32, reject};
use vod_core::probe::{AudioTrack, Container, ProbeReport, RejectReason, VideoTrack};

/// A parsed MPEG audio frame header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Mp3Frame {
    pub(crate) bitrate_bps: u32,
    pub(crate) sample_rate: u32,
    pub(crate) channels: u16,
}

/// Parses an MPEG-1/2/2.5 Layer III frame header at the start of `b`.
pub(crate) fn mp3_frame(b: &[u8]) -> Option<Mp3Frame> {
    let [b0, b1, b2, b3] = *b.first_chunk::<4>()?;
    if b0 != 0xFF || b1 & 0xE0 != 0xE0 {
        return None;
    }
    let version = (b1 >> 3) & 0b11; // 0: 2.5, 2: 2, 3: 1
    let layer = (b1 >> 1) & 0b11; // 1: layer III
    if version == 1 || layer != 1 {
        return None;
    }
    let bitrate_index = usize::from(b2 >> 4);
    let rate_index = usize::from((b2 >> 2) & 0b11);
    if bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    const V1: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const V2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let kbps = if version == 3 { V1 } else { V2 }[bitrate_index];
    let base = [44_100, 48_000, 32_000][rate_index];
    let sample_rate = match version {
        3 => base,
        2 => base / 2,
        _ => base / 4,
    };
    let channels = if b3 >> 6 == 3 { 1 } else { 2 };
    Some(Mp3Frame {
        bitrate_bps: kbps * 1000,
        sample_rate,
        channels,
    })
}

fn base_report(source: &Source<'_>, container: Container) -> ProbeReport {
    ProbeReport {
        container,
        size_bytes: source.size(),
        ..ProbeReport::default()
    }
}

fn with_duration(mut report: ProbeReport, seconds: f64) -> ProbeReport {
    if seconds.is_finite() && seconds > 0.0 {
        report.duration_seconds = Some(seconds);
        report.bitrate_bps = Some((report.size_bytes as f64 * 8.0 / seconds) as u64);
    }
    report
}

/// Families other than ISO BMFF, EBML and MPEG-TS.
pub(crate) async fn probe_other(
    source: &mut Source<'_>,
    family: Family,
) -> Result<ProbeReport, Stop> {
    match family {
        Family::Mp3 => mp3(source).await,
        Family::Wav => wav(source),
        Family::Flac => flac(source),
        Family::Avi => Ok(avi(source)),
        Family::Mxf => Ok(partial(source, Container::Mxf, "MXF")),
        Family::Asf => Ok(partial(source, Container::Asf, "ASF/WMV")),
        Family::Flv => Ok(partial(source, Container::Flv, "FLV")),
        Family::AdtsAac => Err(reject(
            RejectReason::UnsupportedContainer,
            "raw AAC (ADTS) audio is not an input container MediaConvert takes; wrap it without \
             re-encoding (`ffmpeg -i in.aac -c copy out.m4a`) and upload the .m4a",
        )),
        Family::Ogg => Err(reject(
            RejectReason::UnsupportedContainer,
            "Ogg files are not an input container MediaConvert takes; convert to FLAC, M4A or \
             WebM (`ffmpeg -i in.ogg -c:a flac out.flac`) and upload that",
        )),
        Family::Aiff => Err(reject(
            RejectReason::UnsupportedContainer,
            "AIFF audio is not an input container we accept; convert to WAV or FLAC \
             (`ffmpeg -i in.aiff out.wav`) and upload that",
        )),
        Family::MpegPs => Err(reject(
            RejectReason::UnsupportedContainer,
            "MPEG program streams (VOB/MPG) are not probed by this pipeline; remux to MPEG-TS \
             or MP4 (`ffmpeg -i in.mpg -c copy out.ts`) and upload that",
        )),
        // The dispatcher routes the other families elsewhere.
        _ => Err(reject(
            RejectReason::UnknownFormat,
            "the file's format is not recognised as audio or video",
        )),
    }
}

fn partial(source: &Source<'_>, container: Container, name: &str) -> ProbeReport {
    let mut report = base_report(source, container);
    report.partial = true;
    report.notes.push(format!(
        "{name} recognised by its header only; stream facts come from MediaConvert"
    ));
    report
}

async fn mp3(source: &mut Source<'_>) -> Result<ProbeReport, Stop> {
    // Skip an ID3v2 tag: 10-byte header, then a 28-bit "syncsafe" size.
    let mut offset = 0u64;
    let head = source.head();
    if head.starts_with(b"ID3") {
        let size = head.get(6..10).map(|b| {
            b.iter()
                .fold(0u64, |acc, byte| (acc << 7) | u64::from(byte & 0x7F))
        });
        let footer = if head.get(5).is_some_and(|f| f & 0x10 != 0) {
            10
        } else {
            0
        };
        offset = 10 + size.unwrap_or(0) + footer;
    }
    let window = source.read(offset, 4096).await?;
    let found = (0..window.len().saturating_sub(4))
        .find_map(|i| window.get(i..).and_then(mp3_frame).map(|f| (i, f)));
    let Some((_, frame)) = found else {
        return Err(reject(
            RejectReason::Corrupt,
            "the file has an MP3 (ID3) tag but no MPEG audio frame after it",
        ));
    };
    let audio_bytes = source.size().saturating_sub(offset);
    let report = base_report(source, Container::Mp3);
    let mut report = with_duration(
        report,
        audio_bytes as f64 * 8.0 / f64::from(frame.bitrate_bps),
    );
    report.audio.push(AudioTrack {
        codec: "mp3".into(),
        channels: frame.channels,
        sample_rate: frame.sample_rate,
        language: None,
        bitrate_bps: Some(u64::from(frame.bitrate_bps)),
    });
    report.partial = true;
    report
        .notes
        .push("MP3 duration estimated from the first frame's bitrate".into());
    Ok(report)
}

/// RIFF chunks inside the cached head: `(id, payload offset, payload length)`.
fn riff_chunks(head: &[u8], start: usize) -> impl Iterator<Item = ([u8; 4], usize, u32)> + '_ {
    let mut pos = start;
    let mut count = 0;
    std::iter::from_fn(move || {
        count += 1;
        if count > 256 {
            return None;
        }
        let id: [u8; 4] = head.get(pos..pos.checked_add(4)?)?.try_into().ok()?;
        let len = le_u32(head, pos.checked_add(4)?)?;
        let payload = pos.checked_add(8)?;
        pos = payload
            .checked_add(usize::try_from(len).ok()?)?
            .checked_add(len as usize & 1)?;
        Some((id, payload, len))
    })
}

fn wav(source: &Source<'_>) -> Result<ProbeReport, Stop> {
    let head = source.head();
    let mut format = None;
    let mut data_len = None;
    for (id, at, len) in riff_chunks(head, 12) {
        match &id {
            b"fmt " => {
                format = Some((
                    le_u16(head, at),
                    le_u16(head, at + 2),
                    le_u32(head, at + 4),
                    le_u32(head, at + 8),
                ))
            }
            b"data" => {
                data_len = Some(len);
                break;
            }
            _ => {}
        }
    }
    let Some((Some(tag), Some(channels), Some(rate), Some(byte_rate))) = format else {
        return Err(reject(
            RejectReason::Corrupt,
            "the WAV file has no readable `fmt ` chunk; re-export it",
        ));
    };
    let codec = match tag {
        1 | 0xFFFE => "pcm",
        3 => "pcm_float",
        0x55 => "mp3",
        _ => "wav_other",
    };
    let mut report = base_report(source, Container::Wav);
    if byte_rate > 0 {
        // RF64 and streamed WAVs write 0xFFFFFFFF or 0: fall back to the object size.
        let bytes = match data_len {
            Some(len) if len != u32::MAX && len != 0 => u64::from(len),
            _ => source.size().saturating_sub(44),
        };
        report = with_duration(report, bytes as f64 / f64::from(byte_rate));
    }
    report.audio.push(AudioTrack {
        codec: codec.into(),
        channels,
        sample_rate: rate,
        language: None,
        bitrate_bps: Some(u64::from(byte_rate) * 8),
    });
    Ok(report)
}

fn flac(source: &Source<'_>) -> Result<ProbeReport, Stop> {
    // fLaC, then METADATA_BLOCK_HEADER (4 bytes), STREAMINFO first by specification.
    let info = source
        .head()
        .get(8..26)
        .filter(|_| source.head().get(4).is_some_and(|b| b & 0x7F == 0));
    let Some(info) = info else {
        return Err(reject(
            RejectReason::Corrupt,
            "the FLAC file does not start with a STREAMINFO block; re-export it",
        ));
    };
    let mut c = Cur::new(info);
    c.skip(10);
    let packed = c.u64().unwrap_or(0);
    let sample_rate = (packed >> 44) as u32;
    let channels = ((packed >> 41) & 0b111) as u16 + 1;
    let total_samples = packed & 0xF_FFFF_FFFF;
    let mut report = base_report(source, Container::Flac);
    if sample_rate > 0 && total_samples > 0 {
        report = with_duration(report, total_samples as f64 / f64::from(sample_rate));
    }
    report.audio.push(AudioTrack {
        codec: "flac".into(),
        channels,
        sample_rate,
        language: None,
        bitrate_bps: None,
    });
    Ok(report)
}

fn avi(source: &Source<'_>) -> ProbeReport {
    let head = source.head();
    let mut report = partial(source, Container::Avi, "AVI");
    // RIFF AVI ␠ → LIST hdrl → avih: dwMicroSecPerFrame @0, dwTotalFrames @16, width @32, height @36.
    let avih = head
        .windows(4)
        .take(4096)
        .position(|w| w == b"avih")
        .map(|p| p + 8);
    if let Some(at) = avih {
        let us_per_frame = le_u32(head, at).unwrap_or(0);
        let frames = le_u32(head, at + 16).unwrap_or(0);
        let width = le_u32(head, at + 32).unwrap_or(0);
        let height = le_u32(head, at + 36).unwrap_or(0);
        if us_per_frame > 0 && frames > 0 {
            report = with_duration(report, f64::from(frames) * f64::from(us_per_frame) / 1e6);
        }
        if width > 0 && height > 0 {
            let codec = head
                .windows(4)
                .take(8192)
                .position(|w| w == b"vids")
                .and_then(|p| head.get(p + 4..p + 8))
                .map(|fourcc| String::from_utf8_lossy(fourcc).trim().to_ascii_lowercase())
                .unwrap_or_else(|| "unknown".into());
            report.video = Some(VideoTrack {
                codec,
                width,
                height,
                frame_rate: (us_per_frame > 0).then(|| round3(1e6 / f64::from(us_per_frame))),
                ..VideoTrack::default()
            });
        }
    }
    report
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
