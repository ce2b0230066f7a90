//! MPEG transport streams: PAT → PMT from a bounded prefix lists the streams; ADTS headers
//! give AAC facts; the first and last PCR (one read at each end) estimate the duration.
//! Video dimensions are not parsed, so reports are `partial`.

use crate::audio::round3;
use crate::source::{Source, Stop, reject};
use vod_core::probe::{
    AudioTrack, Container, ProbeReport, RejectReason, SubtitleTrack, VideoTrack,
};

/// How far into the file we look for the PAT/PMT and first audio frames.
const PREFIX_CAP: u64 = 1024 * 1024;
const TAIL_LEN: u64 = 64 * 1024;
const PCR_HZ: f64 = 90_000.0;

#[derive(Debug, Clone, Copy)]
struct Packet<'b> {
    pid: u16,
    start: bool,
    pcr: Option<u64>,
    payload: &'b [u8],
}

fn packet(b: &[u8]) -> Option<Packet<'_>> {
    if *b.first()? != 0x47 {
        return None;
    }
    let pid = (u16::from(*b.get(1)? & 0x1F) << 8) | u16::from(*b.get(2)?);
    let start = b.get(1)? & 0x40 != 0;
    let control = (b.get(3)? >> 4) & 0b11;
    let mut at = 4usize;
    let mut pcr = None;
    if control & 0b10 != 0 {
        let len = usize::from(*b.get(4)?);
        if len > 0 && b.get(5)? & 0x10 != 0 && len >= 7 {
            let p = b.get(6..11)?;
            pcr = Some(
                (u64::from(p[0]) << 25)
                    | (u64::from(p[1]) << 17)
                    | (u64::from(p[2]) << 9)
                    | (u64::from(p[3]) << 1)
                    | (u64::from(p[4]) >> 7),
            );
        }
        at = 5 + len;
    }
    let payload = if control & 0b01 != 0 {
        b.get(at..).unwrap_or(&[])
    } else {
        &[]
    };
    Some(Packet {
        pid,
        start,
        pcr,
        payload,
    })
}

/// The PSI section of a payload-unit-start packet (skips the pointer field).
fn section(payload: &[u8], table_id: u8) -> Option<&[u8]> {
    let pointer = usize::from(*payload.first()?);
    let s = payload.get(1 + pointer..)?;
    if *s.first()? != table_id {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([*s.get(1)?, *s.get(2)?]) & 0x0FFF);
    // Body after the 8-byte common header, without the CRC.
    s.get(8..(3 + len).saturating_sub(4).min(s.len()))
}

#[derive(Debug, Clone)]
struct Stream {
    pid: u16,
    kind: &'static str,
    codec: &'static str,
}

fn stream_of(stream_type: u8, descriptors: &[u8]) -> Option<(&'static str, &'static str)> {
    Some(match stream_type {
        0x01 => ("video", "mpeg1"),
        0x02 => ("video", "mpeg2"),
        0x10 => ("video", "mpeg4"),
        0x1B => ("video", "h264"),
        0x24 => ("video", "hevc"),
        0xEA => ("video", "vc1"),
        0x03 | 0x04 => ("audio", "mp3"),
        0x0F => ("audio", "aac"),
        0x11 => ("audio", "aac_latm"),
        0x81 => ("audio", "ac3"),
        0x87 => ("audio", "eac3"),
        0x06 => {
            // Private data: the descriptors say what it is (DVB style).
            let mut d = descriptors;
            while let [tag, len, rest @ ..] = d {
                match tag {
                    0x6A => return Some(("audio", "ac3")),
                    0x7A => return Some(("audio", "eac3")),
                    0x59 => return Some(("subtitle", "dvbsub")),
                    0x56 => return Some(("subtitle", "teletext")),
                    _ => {}
                }
                d = rest.get(usize::from(*len)..).unwrap_or(&[]);
            }
            return None;
        }
        _ => return None,
    })
}

pub(crate) async fn probe(
    source: &mut Source<'_>,
    packet_len: usize,
    first: usize,
) -> Result<ProbeReport, Stop> {
    let size = source.size();
    let mut prefix = source.head().to_vec();
    let mut pmt_pid = None;
    let mut streams: Option<Vec<Stream>> = None;
    let mut pcr_pid = None;
    let mut first_pcr = None;
    let mut adts: Vec<(u16, u16, u32)> = Vec::new();
    let mut pos = first;
    loop {
        while let Some(b) = prefix.get(pos..pos + 188) {
            pos += packet_len;
            let Some(p) = packet(b) else { continue };
            if p.pid == 0 && p.start && pmt_pid.is_none() {
                pmt_pid = section(p.payload, 0x00).and_then(|body| {
                    body.chunks_exact(4)
                        .find(|e| u16::from_be_bytes([e[0], e[1]]) != 0)
                        .map(|e| u16::from_be_bytes([e[2], e[3]]) & 0x1FFF)
                });
            } else if Some(p.pid) == pmt_pid
                && p.start
                && streams.is_none()
                && let Some(body) = section(p.payload, 0x02)
            {
                let (pcr, list) = parse_pmt(body);
                pcr_pid = pcr;
                streams = Some(list);
            }
            if first_pcr.is_none() && pcr_pid == Some(p.pid) {
                first_pcr = p.pcr;
            }
            if p.start
                && let Some(list) = &streams
                && list.iter().any(|s| s.pid == p.pid && s.codec == "aac")
                && !adts.iter().any(|(pid, _, _)| *pid == p.pid)
                && let Some((channels, rate)) = adts_in_pes(p.payload)
            {
                adts.push((p.pid, channels, rate));
            }
            let aac_count = streams
                .as_ref()
                .map_or(0, |l| l.iter().filter(|s| s.codec == "aac").count());
            if streams.is_some() && first_pcr.is_some() && adts.len() >= aac_count {
                break;
            }
        }
        let have = prefix.len() as u64;
        let done = streams.is_some() && (first_pcr.is_some() || have >= PREFIX_CAP);
        if done || have >= PREFIX_CAP || have >= size {
            break;
        }
        let more = source
            .read(have, (PREFIX_CAP - have).min(256 * 1024))
            .await?;
        if more.is_empty() {
            break;
        }
        prefix.extend_from_slice(&more);
    }

    let Some(streams) = streams else {
        return Err(reject(
            RejectReason::Corrupt,
            "no program table (PAT/PMT) in the first MiB of the MPEG-TS file; the stream is damaged or not a complete recording",
        ));
    };
    let mut report = ProbeReport {
        container: Container::MpegTs,
        size_bytes: size,
        partial: true,
        ..ProbeReport::default()
    };
    report
        .notes
        .push("MPEG-TS: video dimensions and frame rate are not read from the stream".into());

    if let (Some(pid), Some(start)) = (pcr_pid, first_pcr) {
        let tail_start = size.saturating_sub(TAIL_LEN).max(prefix.len() as u64);
        let tail = if tail_start < size && source.remaining_budget() >= size - tail_start {
            source.read(tail_start, size - tail_start).await?
        } else {
            Vec::new()
        };
        let buf = if tail.is_empty() {
            &prefix[..]
        } else {
            &tail[..]
        };
        let align = (0..packet_len.min(buf.len()))
            .find(|&i| buf.get(i) == Some(&0x47) && buf.get(i + packet_len) == Some(&0x47));
        if let Some(align) = align {
            let last = buf
                .get(align..)
                .unwrap_or(&[])
                .chunks(packet_len)
                .filter_map(|c| packet(c.get(..188)?))
                .filter(|p| p.pid == pid)
                .filter_map(|p| p.pcr)
                .next_back();
            if let Some(end) = last {
                let ticks = end.wrapping_sub(start) & ((1 << 33) - 1);
                let seconds = ticks as f64 / PCR_HZ;
                if seconds > 0.0 && seconds < 86_400.0 {
                    report.duration_seconds = Some(round3(seconds));
                    report.bitrate_bps = Some((size as f64 * 8.0 / seconds) as u64);
                    report
                        .notes
                        .push("MPEG-TS duration estimated from the first and last PCR".into());
                }
            }
        }
    }

    for s in &streams {
        match s.kind {
            "video" if report.video.is_none() => {
                report.video = Some(VideoTrack {
                    codec: s.codec.into(),
                    ..VideoTrack::default()
                });
            }
            "audio" => {
                let facts = adts.iter().find(|(pid, _, _)| *pid == s.pid);
                report.audio.push(AudioTrack {
                    codec: s.codec.into(),
                    channels: facts.map_or(0, |f| f.1),
                    sample_rate: facts.map_or(0, |f| f.2),
                    language: None,
                    bitrate_bps: None,
                });
            }
            "subtitle" => report.subtitles.push(SubtitleTrack {
                codec: s.codec.into(),
                language: None,
            }),
            _ => {}
        }
    }
    if report.video.is_none() && report.audio.is_empty() {
        return Err(reject(
            RejectReason::NoStreams,
            "the MPEG-TS program lists no audio or video stream we recognise; check the recording",
        ));
    }
    Ok(report)
}

fn parse_pmt(body: &[u8]) -> (Option<u16>, Vec<Stream>) {
    let Some(&[p0, p1, i0, i1]) = body.first_chunk::<4>() else {
        return (None, Vec::new());
    };
    let pcr_pid = (
        u16::from_be_bytes([p0, p1]) & 0x1FFF,
        usize::from(u16::from_be_bytes([i0, i1]) & 0x0FFF),
    );
    let mut rest = body.get(4 + pcr_pid.1..).unwrap_or(&[]);
    let mut list = Vec::new();
    while let [stream_type, pid0, pid1, len0, len1, tail @ ..] = rest {
        let pid = u16::from_be_bytes([*pid0, *pid1]) & 0x1FFF;
        let len = usize::from(u16::from_be_bytes([*len0, *len1]) & 0x0FFF);
        let descriptors = tail.get(..len).unwrap_or(tail);
        if let Some((kind, codec)) = stream_of(*stream_type, descriptors) {
            list.push(Stream { pid, kind, codec });
        }
        rest = tail.get(len..).unwrap_or(&[]);
        if list.len() > 64 {
            break;
        }
    }
    (Some(pcr_pid.0), list)
}

/// Channels and sample rate from the ADTS header at the start of a PES payload.
fn adts_in_pes(pes: &[u8]) -> Option<(u16, u32)> {
    if pes.get(..3)? != [0, 0, 1] {
        return None;
    }
    let header_len = usize::from(*pes.get(8)?);
    let a = pes.get(9 + header_len..)?;
    if *a.first()? != 0xFF || a.get(1)? & 0xF6 != 0xF0 {
        return None;
    }
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let rate = *RATES.get(usize::from((a.get(2)? >> 2) & 0x0F))?;
    let config = ((a.get(2)? & 0x01) << 2) | (a.get(3)? >> 6);
    let channels = match config {
        7 => 8,
        c => u16::from(c),
    };
    Some((channels, rate))
}
