//! Audio-only files: MP3 (ID3 tag skipped, first MPEG audio frame), WAV (RIFF `fmt ` and
//! `data` chunks) and FLAC (`STREAMINFO`). Facts come from the first header; an MP3's duration
//! is an estimate.

use crate::report::{base_report, with_duration};
use crate::source::{Cur, Source, Stop, le_u16, le_u32, reject};
use vod_core::probe::{AudioTrack, Container, ProbeReport, RejectReason};

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

/// MP3: skips an ID3v2 tag, then reads the first frame header, which must start right after it.
pub(crate) async fn mp3(source: &mut Source<'_>) -> Result<ProbeReport, Stop> {
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
    // The first frame starts where the tag ends, nowhere else: a frame header found further on
    // would let any ID3-prefixed file (a playlist, say) pass as MP3.
    let window = source.read(offset, 4).await?;
    let Some(frame) = mp3_frame(&window) else {
        return Err(reject(
            RejectReason::Corrupt,
            "the file has an MP3 (ID3) tag but no MPEG audio frame right after it",
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

/// WAV: format and data size from the RIFF chunks in the cached head.
pub(crate) fn wav(source: &Source<'_>) -> Result<ProbeReport, Stop> {
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

/// FLAC: rate, channels and length from the `STREAMINFO` block.
pub(crate) fn flac(source: &Source<'_>) -> Result<ProbeReport, Stop> {
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
