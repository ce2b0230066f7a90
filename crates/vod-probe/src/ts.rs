//! MPEG transport streams: PAT → PMT from a bounded prefix lists the streams; ADTS headers
//! give AAC facts; the first H.264/HEVC sequence parameter set in the video PES gives the
//! picture facts (within [`SCAN_CAP`]); the first and last PCR (one read at each end)
//! estimate the duration. Other video codecs leave the report `partial`.

use crate::nal::{self, Sps};
use crate::report::round3;
use crate::source::{Source, Stop, reject};
use vod_core::probe::{
    AudioTrack, Container, ProbeReport, RejectReason, SubtitleTrack, VideoTrack,
};

/// How far into the file we look for the PAT/PMT and first audio frames.
const PREFIX_CAP: u64 = 1024 * 1024;
const TAIL_LEN: u64 = 64 * 1024;
/// How far into the file we keep reading for the first video SPS (and a few timestamps) and
/// the first ADTS header of each AAC stream.
/// Past this the report goes out without video dimensions; the tail read still fits the budget.
const SCAN_CAP: u64 = 512 * 1024;
/// Bytes kept from the start of each video PES: the SPS precedes the first slice of an access
/// unit, so it is near the start; a lying stream cannot grow this buffer.
const PES_KEEP: usize = 16 * 1024;
/// Video PES timestamps kept for the frame-rate fallback.
const MAX_TIMESTAMPS: usize = 16;
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
    let mut video: Option<VideoScan> = None;
    let mut pos = first;
    loop {
        while let Some(b) = prefix.get(pos..pos + 188) {
            pos += packet_len;
            let Some(p) = packet(b) else { continue };
            if let Some(scan) = &mut video {
                scan.packet(&p);
            }
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
                video = list
                    .iter()
                    .find(|s| s.kind == "video")
                    .and_then(VideoScan::new);
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
            let video_done = video.as_ref().is_none_or(|v| v.done(pos));
            if streams.is_some() && first_pcr.is_some() && adts.len() >= aac_count && video_done {
                break;
            }
        }
        let have = prefix.len() as u64;
        let video_done = video.as_ref().is_none_or(|v| v.done(pos));
        let aac_count = streams
            .as_ref()
            .map_or(0, |l| l.iter().filter(|s| s.codec == "aac").count());
        // Audio PES can trail a large first video frame: keep reading for the ADTS headers
        // too, up to the same cap as the SPS search.
        let streams_done = video_done && adts.len() >= aac_count || pos as u64 >= SCAN_CAP;
        let done = streams.is_some() && (first_pcr.is_some() && streams_done || have >= PREFIX_CAP);
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
    if let Some(scan) = &mut video {
        scan.finish_pes();
    }
    let mut report = ProbeReport {
        container: Container::MpegTs,
        size_bytes: size,
        ..ProbeReport::default()
    };

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
                let scan = video.as_ref().filter(|v| v.pid == s.pid);
                let (track, note) = video_track(s.codec, scan);
                report.video = Some(track);
                report.notes.push(note);
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
    // Partial when a fact MediaConvert's ladder needs is missing: the picture size, or the
    // layout of an audio track we could not read.
    report.partial = report.video.as_ref().is_some_and(|v| v.width == 0)
        || report.audio.iter().any(|a| a.channels == 0);
    if report.video.is_none() && report.audio.is_empty() {
        return Err(reject(
            RejectReason::NoStreams,
            "the MPEG-TS program lists no audio or video stream we recognise; check the recording",
        ));
    }
    Ok(report)
}

/// Collects the start of each PES of the first video stream until an SPS parses.
#[derive(Debug)]
struct VideoScan {
    pid: u16,
    hevc: bool,
    /// The first bytes of the current PES payload (at most [`PES_KEEP`]).
    pes: Vec<u8>,
    /// Whether `pes` was already searched (it is searched once, when full or complete).
    searched: bool,
    sps: Option<Sps>,
    /// DTS (or PTS) of the video PES packets seen, in 90 kHz ticks.
    timestamps: Vec<u64>,
}

impl VideoScan {
    fn new(stream: &Stream) -> Option<Self> {
        let hevc = match stream.codec {
            "h264" => false,
            "hevc" => true,
            _ => return None,
        };
        Some(Self {
            pid: stream.pid,
            hevc,
            pes: Vec::new(),
            searched: true,
            sps: None,
            timestamps: Vec::new(),
        })
    }

    fn packet(&mut self, p: &Packet<'_>) {
        if p.pid != self.pid {
            return;
        }
        if p.start {
            self.finish_pes();
            let Some((payload, timestamp)) = pes_payload(p.payload) else {
                return;
            };
            if let Some(t) = timestamp
                && self.timestamps.len() < MAX_TIMESTAMPS
            {
                self.timestamps.push(t);
            }
            if self.sps.is_none() {
                self.searched = false;
                self.append(payload);
            }
        } else if !self.searched {
            self.append(p.payload);
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        let room = PES_KEEP.saturating_sub(self.pes.len());
        self.pes
            .extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or(&[]));
        if self.pes.len() >= PES_KEEP {
            self.finish_pes();
        }
    }

    /// Searches the kept start of the current PES for an SPS, once.
    fn finish_pes(&mut self) {
        if !self.searched && self.sps.is_none() {
            self.sps = if self.hevc {
                nal::first_hevc_sps(&self.pes)
            } else {
                nal::first_h264_sps(&self.pes)
            };
        }
        self.searched = true;
        self.pes.clear();
    }

    /// Nothing more worth reading: an SPS with a frame rate (or enough timestamps to
    /// estimate one), or the scan cap reached.
    fn done(&self, scanned: usize) -> bool {
        let enough = self
            .sps
            .as_ref()
            .is_some_and(|s| s.frame_rate.is_some() || self.timestamps.len() >= MAX_TIMESTAMPS / 2);
        enough || scanned as u64 >= SCAN_CAP
    }

    /// Frames per second from the spacing of consecutive PES timestamps: the median step,
    /// averaged with the steps close to it (23.976 fps alternates 3753 and 3754 ticks).
    fn timestamp_rate(&self) -> Option<f64> {
        let mut steps: Vec<u64> = self
            .timestamps
            .windows(2)
            .map(|w| w[1].wrapping_sub(w[0]) & ((1 << 33) - 1))
            .filter(|d| (1..=90_000).contains(d))
            .collect();
        if steps.len() < 2 {
            return None;
        }
        steps.sort_unstable();
        let median = steps[steps.len() / 2];
        let near: Vec<u64> = steps
            .into_iter()
            .filter(|d| d.abs_diff(median) <= 2)
            .collect();
        let mean = near.iter().sum::<u64>() as f64 / near.len() as f64;
        Some(PCR_HZ / mean).filter(|f| (1.0..=300.0).contains(f))
    }
}

/// The elementary-stream bytes of a PES packet start, and its DTS (or PTS when there is no
/// DTS), in 90 kHz ticks.
fn pes_payload(pes: &[u8]) -> Option<(&[u8], Option<u64>)> {
    if pes.get(..3)? != [0, 0, 1] {
        return None;
    }
    let flags = *pes.get(7)?;
    let header_len = usize::from(*pes.get(8)?);
    let timestamp = match flags >> 6 {
        0b10 => pes.get(9..14).and_then(timestamp),
        0b11 => pes.get(14..19).and_then(timestamp),
        _ => None,
    };
    Some((pes.get(9 + header_len..)?, timestamp))
}

/// A 33-bit PTS/DTS from its five marker-laced bytes.
fn timestamp(b: &[u8]) -> Option<u64> {
    let b: [u8; 5] = b.try_into().ok()?;
    Some(
        (u64::from((b[0] >> 1) & 0x07) << 30)
            | (u64::from(b[1]) << 22)
            | (u64::from(b[2] >> 1) << 15)
            | (u64::from(b[3]) << 7)
            | u64::from(b[4] >> 1),
    )
}

/// The video track of the report, and a note on where its facts came from.
fn video_track(codec: &str, scan: Option<&VideoScan>) -> (VideoTrack, String) {
    let mut track = VideoTrack {
        codec: codec.into(),
        ..VideoTrack::default()
    };
    let name = if codec == "hevc" { "HEVC" } else { "H.264" };
    let Some(scan) = scan else {
        return (
            track,
            format!(
                "MPEG-TS: {codec} video dimensions and frame rate are not read from the stream"
            ),
        );
    };
    let Some(sps) = &scan.sps else {
        return (
            track,
            format!(
                "MPEG-TS: no {name} sequence parameter set in the first {} KiB; video dimensions unknown",
                SCAN_CAP / 1024
            ),
        );
    };
    let (sar_w, sar_h) = sps.sample_aspect.unwrap_or((1, 1));
    track.profile.clone_from(&sps.profile);
    track.width = sps.width;
    track.height = sps.height;
    track.display_aspect = crate::report::aspect(
        u64::from(sps.width) * u64::from(sar_w),
        u64::from(sps.height) * u64::from(sar_h),
    );
    track.bit_depth = Some(sps.bit_depth);
    track.transfer.clone_from(&sps.transfer);
    let (rate, from) = match sps.frame_rate {
        Some(r) => (Some(r), "its timing info"),
        None => (scan.timestamp_rate(), "PES timestamps"),
    };
    track.frame_rate = rate.map(round3);
    let level = if scan.hevc {
        format!("{:.1}", f64::from(sps.level_idc) / 30.0)
    } else {
        format!("{:.1}", f64::from(sps.level_idc) / 10.0)
    };
    let note = format!(
        "MPEG-TS: video facts from the {name} sequence parameter set (level {level}); frame rate from {}",
        if rate.is_some() {
            from
        } else {
            "nowhere (unknown)"
        }
    );
    (track, note)
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
