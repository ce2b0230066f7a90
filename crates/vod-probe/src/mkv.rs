//! Matroska and WebM: the EBML header, then the Segment's top-level elements with 12-byte
//! header reads, reading only `SeekHead`, `Info` and `Tracks` and stepping over `Cluster`s
//! and `Cues` by size (or jumping with the SeekHead when `Tracks` comes after them).

use crate::codec;
use crate::report::round3;
use crate::source::{Cur, Source, Stop, corrupt, reject, truncated};
use vod_core::probe::{
    AudioTrack, Container, ProbeReport, RejectReason, SubtitleTrack, VideoTrack,
};

const EBML: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const SEEK_HEAD: u32 = 0x114D_9B74;
const SEEK: u32 = 0x4DBB;
const SEEK_ID: u32 = 0x53AB;
const SEEK_POSITION: u32 = 0x53AC;
const INFO: u32 = 0x1549_A966;
const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_TYPE: u32 = 0x83;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const LANGUAGE: u32 = 0x22_B59C;
const LANGUAGE_BCP47: u32 = 0x22_B59D;
const DEFAULT_DURATION: u32 = 0x23_E383;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;
const DISPLAY_WIDTH: u32 = 0x54B0;
const DISPLAY_HEIGHT: u32 = 0x54BA;
const DISPLAY_UNIT: u32 = 0x54B2;
const COLOUR: u32 = 0x55B0;
const BITS_PER_CHANNEL: u32 = 0x55B2;
const TRANSFER: u32 = 0x55BA;
const AUDIO: u32 = 0xE1;
const SAMPLING_FREQUENCY: u32 = 0xB5;
const CHANNELS: u32 = 0x9F;
const CLUSTER: u32 = 0x1F43_B675;

const MAX_SEGMENT_CHILDREN: usize = 4096;
const INFO_CAP: u64 = 64 * 1024;
const TRACKS_CAP: u64 = 1024 * 1024;

/// An element header: id (marker bits kept), data size (`None` = unknown), header length.
#[derive(Debug, Clone, Copy)]
struct Element {
    id: u32,
    size: Option<u64>,
    header_len: u64,
}

/// Reads an EBML element header from the start of `b`.
fn element_header(b: &[u8]) -> Option<Element> {
    let first = *b.first()?;
    let id_len = first.leading_zeros() as usize + 1;
    if id_len > 4 {
        return None;
    }
    let id = b
        .get(..id_len)?
        .iter()
        .fold(0u32, |acc, x| (acc << 8) | u32::from(*x));
    let rest = b.get(id_len..)?;
    let size_first = *rest.first()?;
    let size_len = size_first.leading_zeros() as usize + 1;
    if size_len > 8 {
        return None;
    }
    let raw = rest.get(..size_len)?;
    let mask = if size_len == 8 { 0 } else { 0xFFu8 >> size_len };
    let value = raw
        .iter()
        .skip(1)
        .fold(u64::from(size_first & mask), |acc, x| {
            (acc << 8) | u64::from(*x)
        });
    let all_ones = value == (1u64 << (7 * size_len)) - 1;
    Some(Element {
        id,
        size: (!all_ones).then_some(value),
        header_len: (id_len + size_len) as u64,
    })
}

/// Children of an element already in memory; an unknown size runs to the end of `b`.
fn children(b: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let rest = b.get(pos..)?;
        let e = element_header(rest)?;
        let start = usize::try_from(e.header_len).ok()?;
        let len = match e.size {
            Some(s) => usize::try_from(s).ok()?,
            None => rest.len().checked_sub(start)?,
        };
        let body = rest.get(start..start.checked_add(len)?.min(rest.len()))?;
        pos = pos.checked_add(start)?.checked_add(len)?;
        Some((e.id, body))
    })
}

fn uint(b: &[u8]) -> u64 {
    b.iter()
        .take(8)
        .fold(0u64, |acc, x| (acc << 8) | u64::from(*x))
}

fn float(b: &[u8]) -> Option<f64> {
    let mut c = Cur::new(b);
    match b.len() {
        4 => c.u32().map(|v| f64::from(f32::from_bits(v))),
        8 => c.u64().map(f64::from_bits),
        _ => None,
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim_end_matches('\0').to_owned()
}

#[derive(Debug, Default)]
struct Track {
    kind: u64,
    codec_id: String,
    private: Vec<u8>,
    language: Option<String>,
    default_duration_ns: u64,
    width: u64,
    height: u64,
    display: Option<(u64, u64)>,
    bits: Option<u8>,
    transfer: Option<String>,
    channels: u64,
    sample_rate: f64,
}

pub(crate) async fn probe(source: &mut Source<'_>) -> Result<ProbeReport, Stop> {
    let size = source.size();
    let head = source.head().to_vec();
    let header = element_header(&head).filter(|e| e.id == EBML);
    let Some(Element {
        size: Some(ebml_size),
        header_len,
        ..
    }) = header
    else {
        return Err(corrupt(
            "the EBML header is unreadable; the Matroska/WebM file is damaged",
        ));
    };
    let ebml_end = header_len.saturating_add(ebml_size);
    let Some(ebml_body) = usize::try_from(ebml_end)
        .ok()
        .and_then(|end| head.get(usize::try_from(header_len).ok()?..end))
    else {
        return Err(truncated("the file ends inside its EBML header"));
    };
    let doc_type = children(ebml_body)
        .find(|(id, _)| *id == DOC_TYPE)
        .map(|(_, b)| text(b))
        .unwrap_or_else(|| "matroska".into());
    let container = match doc_type.as_str() {
        "webm" => Container::Webm,
        "matroska" => Container::Matroska,
        other => {
            return Err(reject(
                RejectReason::UnsupportedContainer,
                format!("EBML document type `{other}` is not Matroska or WebM"),
            ));
        }
    };
    let mut report = ProbeReport {
        container,
        brand: Some(doc_type),
        size_bytes: size,
        ..ProbeReport::default()
    };

    let seg_bytes = source.read(ebml_end, 12).await?;
    let Some(segment) = element_header(&seg_bytes).filter(|e| e.id == SEGMENT) else {
        return Err(
            if seg_bytes.len() < 12 && ebml_end + (seg_bytes.len() as u64) >= size {
                truncated("the file ends right after its EBML header; the upload was cut off")
            } else {
                corrupt("no Matroska Segment after the EBML header; the file is damaged")
            },
        );
    };
    let seg_start = ebml_end + segment.header_len;
    let seg_end = match segment.size {
        Some(s) => {
            let end = seg_start.saturating_add(s);
            if end > size {
                return Err(truncated(format!(
                    "the Matroska segment declares {s} bytes but the file ends {} bytes early; the upload was cut off — upload the complete file",
                    end - size
                )));
            }
            end
        }
        None => {
            report
                .notes
                .push("segment of unknown size (live recording)".into());
            size
        }
    };

    let mut info: Option<Vec<u8>> = None;
    let mut tracks: Option<Vec<u8>> = None;
    let mut seek: Vec<(u32, u64)> = Vec::new();
    let mut offset = seg_start;
    let mut count = 0usize;
    while offset < seg_end && (info.is_none() || tracks.is_none()) {
        count += 1;
        if count > MAX_SEGMENT_CHILDREN {
            return Err(corrupt(
                "too many elements before the Matroska Tracks; the file is damaged",
            ));
        }
        let bytes = source.read(offset, 12).await?;
        let Some(e) = element_header(&bytes) else {
            return Err(if bytes.len() < 12 {
                truncated("the file ends inside a Matroska element header")
            } else {
                corrupt(format!(
                    "unreadable Matroska element at byte {offset}; the file is damaged"
                ))
            });
        };
        let body_start = offset + e.header_len;
        let body_end = e.size.map(|s| body_start.saturating_add(s));
        if body_end.is_some_and(|end| end > seg_end) && matches!(e.id, INFO | TRACKS | SEEK_HEAD) {
            return Err(truncated(
                "the file ends inside the Matroska track headers; the upload was cut off",
            ));
        }
        match (e.id, e.size) {
            (SEEK_HEAD, Some(s)) if seek.is_empty() => {
                let b = source.read(body_start, s.min(INFO_CAP)).await?;
                seek = seek_entries(&b, seg_start);
            }
            (INFO, Some(s)) if info.is_none() => {
                info = Some(source.read(body_start, s.min(INFO_CAP)).await?)
            }
            (TRACKS, Some(s)) if tracks.is_none() => {
                tracks = Some(source.read(body_start, s.min(TRACKS_CAP)).await?)
            }
            (CLUSTER, _) => {
                // Media data: jump to what the SeekHead points at, if it points forward.
                let next = seek
                    .iter()
                    .filter(|(id, _)| {
                        (*id == TRACKS && tracks.is_none()) || (*id == INFO && info.is_none())
                    })
                    .map(|(_, pos)| *pos)
                    .filter(|pos| *pos > offset)
                    .min();
                match (next, body_end) {
                    (Some(pos), _) => {
                        offset = pos;
                        continue;
                    }
                    (None, Some(_)) => {}
                    (None, None) => {
                        return Err(corrupt(
                            "a Matroska cluster of unknown size comes before the track headers; remux the file (`ffmpeg -i in -c copy out.mkv`)",
                        ));
                    }
                }
            }
            _ => {}
        }
        let Some(end) = body_end else {
            return Err(corrupt(format!(
                "Matroska element {:#x} at byte {offset} has an unknown size; the file is damaged",
                e.id
            )));
        };
        offset = end;
    }

    let Some(tracks) = tracks else {
        return Err(if seg_end >= size && offset >= size {
            truncated("the file ends before its Matroska Tracks element; the upload was cut off")
        } else {
            corrupt("no Matroska Tracks element: the file lists no streams; re-export it")
        });
    };
    let (scale, duration) = info.as_deref().map(parse_info).unwrap_or((1_000_000, None));
    // The float as written (NaN, infinite, negative or 1e300 included): the bound in `lib.rs`
    // decides what counts as a length.
    let seconds = duration.map(|d| d * (scale as f64 / 1e9));
    report.duration_seconds = seconds.map(round3);
    report.bitrate_bps = seconds
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| (size as f64 * 8.0 / s) as u64);
    if seconds.is_none() {
        report
            .notes
            .push("duration not signalled in the Matroska Info".into());
    }
    let parsed: Vec<Track> = children(&tracks)
        .filter(|(id, _)| *id == TRACK_ENTRY)
        .take(64)
        .map(|(_, b)| parse_track(b))
        .collect();
    source.grow_budget_for_tracks(parsed.len());
    finish(report, &parsed)
}

fn seek_entries(b: &[u8], seg_start: u64) -> Vec<(u32, u64)> {
    children(b)
        .filter(|(id, _)| *id == SEEK)
        .take(64)
        .filter_map(|(_, entry)| {
            let mut id = None;
            let mut pos = None;
            for (cid, body) in children(entry) {
                match cid {
                    SEEK_ID => id = u32::try_from(uint(body)).ok(),
                    SEEK_POSITION => pos = seg_start.checked_add(uint(body)),
                    _ => {}
                }
            }
            Some((id?, pos?))
        })
        .collect()
}

fn parse_info(b: &[u8]) -> (u64, Option<f64>) {
    let mut scale = 1_000_000;
    let mut duration = None;
    for (id, body) in children(b) {
        match id {
            TIMESTAMP_SCALE => scale = uint(body).max(1),
            DURATION => duration = float(body),
            _ => {}
        }
    }
    (scale, duration)
}

fn parse_track(b: &[u8]) -> Track {
    let mut t = Track::default();
    for (id, body) in children(b) {
        match id {
            TRACK_TYPE => t.kind = uint(body),
            CODEC_ID => t.codec_id = text(body),
            CODEC_PRIVATE => t.private = body.get(..body.len().min(4096)).unwrap_or(&[]).to_vec(),
            LANGUAGE if t.language.is_none() => t.language = Some(text(body)),
            LANGUAGE_BCP47 => t.language = Some(text(body)),
            DEFAULT_DURATION => t.default_duration_ns = uint(body),
            VIDEO => {
                let mut unit = 0;
                let (mut dw, mut dh) = (0, 0);
                for (vid, v) in children(body) {
                    match vid {
                        PIXEL_WIDTH => t.width = uint(v),
                        PIXEL_HEIGHT => t.height = uint(v),
                        DISPLAY_WIDTH => dw = uint(v),
                        DISPLAY_HEIGHT => dh = uint(v),
                        DISPLAY_UNIT => unit = uint(v),
                        COLOUR => {
                            for (cid, c) in children(v) {
                                match cid {
                                    BITS_PER_CHANNEL => {
                                        t.bits = u8::try_from(uint(c)).ok().filter(|b| *b > 0)
                                    }
                                    TRANSFER => t.transfer = codec::transfer_name(uint(c)),
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if unit == 0 && dw > 0 && dh > 0 {
                    t.display = Some((dw, dh));
                }
            }
            AUDIO => {
                for (aid, a) in children(body) {
                    match aid {
                        SAMPLING_FREQUENCY => t.sample_rate = float(a).unwrap_or(0.0),
                        CHANNELS => t.channels = uint(a),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if t.language.as_deref() == Some("und") {
        t.language = None;
    }
    t
}

fn video_codec(id: &str) -> &'static str {
    match id {
        "V_MPEG4/ISO/AVC" => "h264",
        "V_MPEGH/ISO/HEVC" => "hevc",
        "V_AV1" => "av1",
        "V_VP8" => "vp8",
        "V_VP9" => "vp9",
        "V_MPEG2" => "mpeg2",
        "V_MPEG1" => "mpeg1",
        "V_MPEG4/ISO/ASP" | "V_MPEG4/ISO/SP" | "V_MPEG4/ISO/AP" => "mpeg4",
        "V_PRORES" => "prores",
        "V_MS/VFW/FOURCC" => "vfw",
        "V_THEORA" => "theora",
        "V_MJPEG" => "mjpeg",
        "V_UNCOMPRESSED" => "rawvideo",
        _ => "unknown",
    }
}

fn audio_codec(id: &str) -> &str {
    match id {
        id if id.starts_with("A_AAC") => "aac",
        "A_OPUS" => "opus",
        "A_VORBIS" => "vorbis",
        "A_AC3" => "ac3",
        "A_EAC3" => "eac3",
        "A_FLAC" => "flac",
        "A_MPEG/L3" => "mp3",
        "A_MPEG/L2" => "mp2",
        id if id.starts_with("A_PCM") => "pcm",
        id if id.starts_with("A_DTS") => "dts",
        "A_TRUEHD" => "truehd",
        _ => "other",
    }
}

fn subtitle_codec(id: &str) -> &str {
    match id {
        "S_TEXT/UTF8" => "srt",
        "S_TEXT/ASS" | "S_TEXT/SSA" => "ass",
        "S_TEXT/WEBVTT" | "D_WEBVTT/SUBTITLES" => "webvtt",
        "S_HDMV/PGS" => "pgs",
        "S_VOBSUB" => "vobsub",
        "S_DVBSUB" => "dvbsub",
        _ => "other",
    }
}

fn finish(mut report: ProbeReport, tracks: &[Track]) -> Result<ProbeReport, Stop> {
    for t in tracks {
        match t.kind {
            1 if report.video.is_none() => {
                let name = video_codec(&t.codec_id);
                if !codec::video_supported(name) {
                    return Err(reject(
                        RejectReason::UnsupportedCodec,
                        format!(
                            "the video codec `{}` is not one MediaConvert can decode; re-encode to H.264, HEVC or VP9 and upload again",
                            t.codec_id
                        ),
                    ));
                }
                let config = match name {
                    "h264" => codec::avcc(&t.private),
                    "hevc" => codec::hvcc(&t.private),
                    "av1" => codec::av1c(&t.private),
                    _ => codec::VideoConfig::default(),
                };
                let (dw, dh) = t.display.unwrap_or((t.width, t.height));
                report.video = Some(VideoTrack {
                    codec: name.into(),
                    profile: config.profile,
                    width: u32::try_from(t.width).unwrap_or(0),
                    height: u32::try_from(t.height).unwrap_or(0),
                    rotation: 0,
                    display_aspect: crate::report::aspect(dw, dh),
                    frame_rate: (t.default_duration_ns > 0)
                        .then(|| round3(1e9 / t.default_duration_ns as f64)),
                    bit_depth: t.bits.or(config.bit_depth),
                    transfer: t.transfer.clone().or(config.transfer),
                    bitrate_bps: None,
                });
            }
            1 => report
                .notes
                .push("more than one video track; the first is used".into()),
            2 => report.audio.push(AudioTrack {
                codec: audio_codec(&t.codec_id).into(),
                channels: u16::try_from(t.channels).unwrap_or(0).max(1),
                sample_rate: if t.sample_rate.is_finite() && t.sample_rate > 0.0 {
                    t.sample_rate as u32
                } else {
                    8000
                },
                language: t.language.clone(),
                bitrate_bps: None,
            }),
            17 => report.subtitles.push(SubtitleTrack {
                codec: subtitle_codec(&t.codec_id).into(),
                language: t.language.clone(),
            }),
            _ => {}
        }
    }
    if report.video.is_none() && report.audio.is_empty() {
        return Err(reject(
            RejectReason::NoStreams,
            "the Matroska/WebM file holds no audio or video track; check the export settings and upload again",
        ));
    }
    Ok(report)
}
