//! ISO BMFF (MP4, MOV, M4A, 3GP): a top-level box walk with 16-byte header reads to find
//! `moov` wherever it is, then a walk down `trak/mdia/minf/stbl` that reads only the small
//! leaf boxes and steps over the sample tables (`stsz`, `stco`, `co64`, `stss`, `ctts`, …),
//! whose size grows with the file.

use crate::audio::round3;
use crate::codec::{self, VideoConfig};
use crate::source::{Cur, Source, Stop, corrupt, reject, truncated};
use vod_core::probe::{
    AudioTrack, Container, ProbeReport, RejectReason, SubtitleTrack, VideoTrack,
};

/// Top-level boxes walked before `moov` is found (fragmented files have thousands after it).
const MAX_TOP_LEVEL_BOXES: usize = 4096;
/// Children listed per container box inside `moov`.
const MAX_CHILDREN: usize = 512;
/// Boxes listed inside `moov` in total.
const MAX_MOOV_BOXES: usize = 8192;
const MAX_TRACKS: usize = 64;
/// A `moov` this small is read in one request instead of one request per box header.
const MOOV_PREFETCH: u64 = 256 * 1024;
/// Largest leaf box we read (an `stsd` with SPS/PPS and HDR metadata is a few KiB).
const LEAF_CAP: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy)]
struct BoxHeader {
    kind: [u8; 4],
    start: u64,
    header_len: u64,
    /// Total size, header included, with size 0 ("to the end") resolved.
    size: u64,
}

impl BoxHeader {
    fn end(&self) -> u64 {
        self.start.saturating_add(self.size)
    }
    fn payload_start(&self) -> u64 {
        self.start + self.header_len
    }
    fn payload_len(&self) -> u64 {
        self.size - self.header_len
    }
    fn name(&self) -> String {
        fourcc(&self.kind)
    }
}

fn fourcc(kind: &[u8; 4]) -> String {
    kind.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}

fn printable(kind: &[u8; 4]) -> bool {
    kind.iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-' || b == b'_' || b == 0xA9)
}

/// Parses a box header from `bytes` read at `start`; `limit` is where the parent ends.
/// Returns `Ok(None)` when fewer than 8 bytes remain before `limit`.
fn parse_header(bytes: &[u8], start: u64, limit: u64) -> Result<Option<BoxHeader>, Stop> {
    let mut c = Cur::new(bytes);
    let (Some(size32), Some(kind)) = (c.u32(), c.array::<4>()) else {
        return Ok(None);
    };
    let (size, header_len) = match size32 {
        0 => (limit.saturating_sub(start), 8),
        1 => {
            let Some(large) = c.u64() else {
                return Err(truncated(format!(
                    "the file ends inside the header of box `{}` at byte {start}",
                    fourcc(&kind)
                )));
            };
            (large, 16)
        }
        n => (u64::from(n), 8),
    };
    if size < header_len {
        return Err(corrupt(format!(
            "box `{}` at byte {start} declares {size} bytes, less than its own header; the file is damaged",
            fourcc(&kind)
        )));
    }
    Ok(Some(BoxHeader {
        kind,
        start,
        header_len,
        size,
    }))
}

/// Everything learned from one `trak`.
#[derive(Debug, Default)]
struct Track {
    handler: [u8; 4],
    rotation: u16,
    timescale: u32,
    duration: u64,
    language: Option<String>,
    entry: Option<[u8; 4]>,
    width: u32,
    height: u32,
    pasp: Option<(u32, u32)>,
    config: VideoConfig,
    channels: u16,
    sample_rate: u32,
    audio_codec: Option<&'static str>,
    avg_bitrate: Option<u64>,
    stts_entries: u32,
    stts_first_delta: u32,
    sample_count: u32,
}

pub(crate) async fn probe(source: &mut Source<'_>) -> Result<ProbeReport, Stop> {
    let size = source.size();
    let mut report = ProbeReport {
        container: Container::Mov,
        size_bytes: size,
        ..ProbeReport::default()
    };
    let mut moov: Option<BoxHeader> = None;
    let mut last_kind = [0u8; 4];
    let mut offset = 0u64;
    let mut count = 0usize;
    let mut saw_ftyp = false;

    while offset < size {
        count += 1;
        if count > MAX_TOP_LEVEL_BOXES {
            if moov.is_some() {
                report
                    .notes
                    .push("stopped walking top-level boxes after moov".into());
                break;
            }
            return Err(corrupt(format!(
                "more than {MAX_TOP_LEVEL_BOXES} top-level boxes before any `moov`; the file is damaged or not a playable MP4"
            )));
        }
        let bytes = source.read(offset, 16).await?;
        let Some(header) = parse_header(&bytes, offset, size)? else {
            report.notes.push(format!(
                "{} stray bytes at the end of the file",
                size - offset
            ));
            break;
        };
        if !printable(&header.kind) {
            if moov.is_some() {
                report
                    .notes
                    .push(format!("unreadable data after byte {offset} ignored"));
                break;
            }
            return Err(corrupt(format!(
                "bytes at offset {offset} are not an MP4 box (found `{}`); the file is damaged",
                header.name()
            )));
        }
        let end = header.start.saturating_add(header.size);
        if end > size {
            let missing = end - size;
            return Err(match &header.kind {
                b"moov" => truncated(format!(
                    "the file ends {missing} bytes before the end of its `moov` index; the upload was cut off — upload the complete file"
                )),
                b"mdat" if moov.is_none() => truncated(format!(
                    "the media data (`mdat`) claims {} bytes but the file ends {missing} bytes early and no `moov` index was found; the upload was cut off or the recording was not finalised",
                    header.size
                )),
                b"mdat" => truncated(format!(
                    "the media data (`mdat`) ends {missing} bytes past the end of the file; the upload was cut off — upload the complete file"
                )),
                _ if moov.is_some() => {
                    report
                        .notes
                        .push(format!("box `{}` at the end is cut short", header.name()));
                    break;
                }
                _ => truncated(format!(
                    "box `{}` at byte {offset} runs {missing} bytes past the end of the file and no `moov` was found; the file is cut off",
                    header.name()
                )),
            });
        }
        match &header.kind {
            b"ftyp" if !saw_ftyp => {
                saw_ftyp = true;
                let payload = source
                    .read(header.payload_start(), header.payload_len().min(256))
                    .await?;
                brand(&mut report, &payload);
            }
            b"moov" if moov.is_none() => {
                if offset > 0 && last_kind == *b"mdat" {
                    report
                        .notes
                        .push("moov at end of file (not fast-start)".into());
                }
                moov = Some(header);
            }
            b"moof" if moov.is_some() => {
                report.notes.push("fragmented MP4".into());
                break;
            }
            _ => {}
        }
        last_kind = header.kind;
        offset = end;
    }

    let Some(moov) = moov else {
        return Err(if last_kind == *b"mdat" {
            truncated(
                "the file has media data but no `moov` index after it; the upload was cut off or the recording was not finalised",
            )
        } else {
            corrupt(
                "no `moov` box: the file has no index of its tracks and cannot be read; re-export it",
            )
        });
    };

    if moov.size <= MOOV_PREFETCH {
        source.prefetch(moov.start, moov.size).await?;
    }
    let mut walker = Walker { boxes: 0 };
    let mut tracks = Vec::new();
    let (mut movie_timescale, mut movie_duration) = (0u32, 0u64);
    let mut fragmented = false;
    for child in walker.children(source, moov).await? {
        match &child.kind {
            b"mvhd" => {
                let b = read_leaf(source, child).await?;
                (movie_timescale, movie_duration) = time_header(&b).unwrap_or((0, 0));
            }
            b"trak" if tracks.len() < MAX_TRACKS => {
                tracks.push(walker.track(source, child).await?);
                source.grow_budget_for_tracks(tracks.len());
            }
            b"mvex" => fragmented = true,
            _ => {}
        }
    }
    if fragmented && !report.notes.iter().any(|n| n == "fragmented MP4") {
        report.notes.push("fragmented MP4".into());
    }

    finish(report, &tracks, movie_timescale, movie_duration)
}

fn brand(report: &mut ProbeReport, ftyp: &[u8]) {
    let Some(major) = ftyp.first_chunk::<4>() else {
        return;
    };
    report.brand = Some(fourcc(major));
    let brands: Vec<&[u8]> = std::iter::once(&major[..])
        .chain(ftyp.get(8..).unwrap_or(&[]).chunks_exact(4))
        .collect();
    let quicktime = &major[..] == b"qt  ";
    report.container = if quicktime {
        Container::Mov
    } else {
        Container::Mp4
    };
    if brands
        .iter()
        .any(|b| matches!(*b, b"heic" | b"heix" | b"mif1" | b"avif" | b"msf1"))
        && !brands
            .iter()
            .any(|b| matches!(*b, b"isom" | b"mp41" | b"mp42" | b"iso2" | b"qt  "))
    {
        report.notes.push("HEIF/AVIF image brand".into());
    }
}

/// Reads `(timescale, duration)` from an `mvhd`/`mdhd` payload: version 1 widens the
/// creation/modification times and the duration to 64 bits.
fn time_header(b: &[u8]) -> Option<(u32, u64)> {
    let mut c = Cur::new(b);
    let version = c.u8()?;
    c.skip(3)?;
    if version == 1 {
        c.skip(16)?;
        return Some((c.u32()?, c.u64()?));
    }
    c.skip(8)?;
    let timescale = c.u32()?;
    let duration = c.u32()?;
    // All ones means "unknown" in version 0.
    Some((
        timescale,
        if duration == u32::MAX {
            0
        } else {
            u64::from(duration)
        },
    ))
}

async fn read_leaf(source: &mut Source<'_>, header: BoxHeader) -> Result<Vec<u8>, Stop> {
    source
        .read(header.payload_start(), header.payload_len().min(LEAF_CAP))
        .await
}

struct Walker {
    boxes: usize,
}

impl Walker {
    /// Lists the child boxes of `parent` with one 16-byte read each (served from memory when
    /// the parent was prefetched).
    async fn children(
        &mut self,
        source: &mut Source<'_>,
        parent: BoxHeader,
    ) -> Result<Vec<BoxHeader>, Stop> {
        let mut out = Vec::new();
        let end = parent.end();
        let mut offset = parent.payload_start();
        while offset.saturating_add(8) <= end {
            self.boxes += 1;
            if out.len() >= MAX_CHILDREN || self.boxes > MAX_MOOV_BOXES {
                return Err(corrupt(format!(
                    "box `{}` holds too many child boxes; the file is damaged",
                    parent.name()
                )));
            }
            let bytes = source.read(offset, 16.min(end - offset)).await?;
            let Some(header) = parse_header(&bytes, offset, end)? else {
                break;
            };
            if header
                .start
                .checked_add(header.size)
                .is_none_or(|e| e > end)
            {
                return Err(corrupt(format!(
                    "box `{}` at byte {offset} overruns its parent `{}`; the file is damaged",
                    header.name(),
                    parent.name()
                )));
            }
            offset = header.end();
            out.push(header);
        }
        Ok(out)
    }

    async fn track(&mut self, source: &mut Source<'_>, trak: BoxHeader) -> Result<Track, Stop> {
        let mut track = Track::default();
        for child in self.children(source, trak).await? {
            match &child.kind {
                b"tkhd" => {
                    let b = read_leaf(source, child).await?;
                    track.rotation = tkhd_rotation(&b).unwrap_or(0);
                }
                b"mdia" => self.mdia(source, child, &mut track).await?,
                _ => {}
            }
        }
        Ok(track)
    }

    async fn mdia(
        &mut self,
        source: &mut Source<'_>,
        mdia: BoxHeader,
        track: &mut Track,
    ) -> Result<(), Stop> {
        for child in self.children(source, mdia).await? {
            match &child.kind {
                b"mdhd" => {
                    let b = read_leaf(source, child).await?;
                    if let Some((timescale, duration)) = time_header(&b) {
                        track.timescale = timescale;
                        track.duration = duration;
                    }
                    let lang_at = if b.first() == Some(&1) {
                        4 + 28
                    } else {
                        4 + 16
                    };
                    track.language = b
                        .get(lang_at..lang_at + 2)
                        .and_then(|l| language(u16::from_be_bytes([l[0], l[1]])));
                }
                b"hdlr" => {
                    let b = source
                        .read(child.payload_start(), 12.min(child.payload_len()))
                        .await?;
                    if let Some(h) = b.get(8..12).and_then(|h| h.first_chunk::<4>()) {
                        track.handler = *h;
                    }
                }
                b"minf" => {
                    for minf_child in self.children(source, child).await? {
                        if &minf_child.kind == b"stbl" {
                            self.stbl(source, minf_child, track).await?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    async fn stbl(
        &mut self,
        source: &mut Source<'_>,
        stbl: BoxHeader,
        track: &mut Track,
    ) -> Result<(), Stop> {
        for child in self.children(source, stbl).await? {
            match &child.kind {
                b"stsd" => {
                    let b = read_leaf(source, child).await?;
                    sample_description(&b, track);
                }
                b"stts" => {
                    // version/flags, entry_count, then the first (count, delta) entry only.
                    let b = source
                        .read(child.payload_start(), 16.min(child.payload_len()))
                        .await?;
                    let mut c = Cur::new(&b);
                    let _ = c.skip(4);
                    track.stts_entries = c.u32().unwrap_or(0);
                    let _count = c.u32();
                    track.stts_first_delta = c.u32().unwrap_or(0);
                }
                b"stsz" | b"stz2" => {
                    // version/flags, sample_size (or reserved+field_size), sample_count.
                    let b = source
                        .read(child.payload_start(), 12.min(child.payload_len()))
                        .await?;
                    track.sample_count = b
                        .get(8..12)
                        .and_then(|s| s.first_chunk::<4>())
                        .map(|s| u32::from_be_bytes(*s))
                        .unwrap_or(0);
                }
                // stco, co64, stss, ctts, stsc, sdtp, sgpd, sbgp, …: sizes grow with the file;
                // never read.
                _ => {}
            }
        }
        Ok(())
    }
}

/// Clockwise rotation in degrees from the `tkhd` matrix `[a b u; c d v; x y w]` (16.16 fixed point).
fn tkhd_rotation(b: &[u8]) -> Option<u16> {
    // version/flags, times, track_ID, reserved, duration, reserved(8), layer, group, volume,
    // reserved: the matrix follows.
    let matrix_at = if *b.first()? == 1 { 52 } else { 40 };
    let mut c = Cur::new(b.get(matrix_at..)?);
    let a = c.u32()? as i32;
    let bb = c.u32()? as i32;
    // The matrix maps (x, y) to (a·x + c·y, b·x + d·y) in screen coordinates, y pointing down,
    // so atan2(b, a) is already the clockwise angle: [0 1; -1 0] turns right into down, a
    // quarter turn clockwise, as an upright iPhone portrait clip has it (90; ffmpeg reads the
    // same matrix as "rotation of -90 degrees", its display matrices counting anticlockwise).
    let degrees = f64::from(bb).atan2(f64::from(a)).to_degrees();
    let quarter = ((degrees / 90.0).round() as i64).rem_euclid(4);
    Some((quarter * 90) as u16)
}

/// ISO 639-2/T packed as three 5-bit letters (each `letter - 0x60`).
fn language(packed: u16) -> Option<String> {
    let letters: String = [10u16, 5, 0]
        .iter()
        .map(|shift| char::from(((packed >> shift) & 0x1F) as u8 + 0x60))
        .collect();
    (letters.chars().all(|c| c.is_ascii_lowercase()) && letters != "und").then_some(letters)
}

/// Child boxes inside bytes already in memory.
fn inner_boxes(b: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let mut c = Cur::new(b.get(pos..)?);
        let size = usize::try_from(c.u32()?).ok()?;
        let kind = c.array::<4>()?;
        if size < 8 {
            return None;
        }
        let body = b.get(pos + 8..pos.checked_add(size)?)?;
        pos += size;
        Some((kind, body))
    })
}

fn sample_description(stsd: &[u8], track: &mut Track) {
    // version/flags, entry_count, then the first sample entry box.
    let Some(entry) = stsd.get(8..) else { return };
    let mut c = Cur::new(entry);
    let (Some(size), Some(kind)) = (c.u32(), c.array::<4>()) else {
        return;
    };
    track.entry = Some(kind);
    let body = entry
        .get(8..usize::try_from(size).unwrap_or(0).min(entry.len()))
        .unwrap_or(&[]);
    match &track.handler {
        b"vide" => visual_entry(body, track),
        b"soun" => audio_entry(&kind, body, track),
        _ => {}
    }
}

fn visual_entry(body: &[u8], track: &mut Track) {
    // reserved(6) dref(2) pre_defined/reserved(16) width(2) height(2) … 78 bytes in all.
    let mut c = Cur::new(body);
    let _ = c.skip(24);
    track.width = c.u16().map(u32::from).unwrap_or(0);
    track.height = c.u16().map(u32::from).unwrap_or(0);
    for (kind, b) in inner_boxes(body.get(78..).unwrap_or(&[])) {
        match &kind {
            b"avcC" => track.config = merge(codec::avcc(b), &track.config),
            b"hvcC" => track.config = merge(codec::hvcc(b), &track.config),
            b"vpcC" => track.config = merge(codec::vpcc(b), &track.config),
            b"av1C" => track.config = merge(codec::av1c(b), &track.config),
            b"colr" => {
                let mut c = Cur::new(b);
                if matches!(c.array::<4>().as_ref(), Some(b"nclx" | b"nclc")) {
                    let _primaries = c.u16();
                    if let Some(tc) = c.u16().and_then(|t| codec::transfer_name(u64::from(t))) {
                        track.config.transfer = Some(tc);
                    }
                }
            }
            b"pasp" => {
                let mut c = Cur::new(b);
                if let (Some(h), Some(v)) = (c.u32(), c.u32())
                    && h > 0
                    && v > 0
                {
                    track.pasp = Some((h, v));
                }
            }
            b"btrt" => {
                let mut c = Cur::new(b);
                let _buffer = c.u32();
                let _max = c.u32();
                track.avg_bitrate = c.u32().filter(|r| *r > 0).map(u64::from);
            }
            _ => {}
        }
    }
}

fn merge(mut new: VideoConfig, old: &VideoConfig) -> VideoConfig {
    if new.transfer.is_none() {
        new.transfer.clone_from(&old.transfer);
    }
    new
}

fn audio_entry(kind: &[u8; 4], body: &[u8], track: &mut Track) {
    // reserved(6) dref(2) version(2) revision(2) vendor(4) channels(2) sample_size(2)
    // compression_id(2) packet_size(2) sample_rate(16.16) = 28 bytes, + QuickTime v1/v2 extras.
    let mut c = Cur::new(body);
    let _ = c.skip(8);
    let version = c.u16().unwrap_or(0);
    let _ = c.skip(6);
    track.channels = c.u16().unwrap_or(0);
    let _ = c.skip(6);
    track.sample_rate = c.u32().map(|r| r >> 16).unwrap_or(0);
    let children_at = match version {
        1 => 28 + 16,
        2 => {
            let mut v2 = Cur::new(body.get(32..).unwrap_or(&[]));
            if let (Some(rate), Some(channels)) = (v2.u64(), v2.u32()) {
                track.sample_rate = f64::from_bits(rate) as u32;
                track.channels = u16::try_from(channels).unwrap_or(0);
            }
            28 + 36
        }
        _ => 28,
    };
    track.audio_codec = Some(match kind {
        b"mp4a" => "aac",
        b"ac-3" => "ac3",
        b"ec-3" => "eac3",
        b"Opus" => "opus",
        b"fLaC" => "flac",
        b".mp3" => "mp3",
        b"alac" => "alac",
        b"lpcm" | b"sowt" | b"twos" | b"in24" | b"in32" | b"fl32" | b"fl64" | b"raw " => "pcm",
        b"samr" => "amr_nb",
        b"sawb" => "amr_wb",
        b"ac-4" => "ac4",
        _ => "other",
    });
    audio_children(body.get(children_at..).unwrap_or(&[]), track, 0);
}

fn audio_children(b: &[u8], track: &mut Track, depth: u8) {
    for (kind, body) in inner_boxes(b) {
        match &kind {
            b"esds" => esds(body.get(4..).unwrap_or(&[]), track),
            // QuickTime wraps `esds` in `wave`.
            b"wave" if depth == 0 => audio_children(body, track, 1),
            b"dac3" => {
                // fscod(2) bsid(5) bsmod(3) acmod(3) lfeon(1)
                if let Some(b1) = body.get(1) {
                    let acmod = usize::from((b1 >> 3) & 0x07);
                    let lfe = (b1 >> 2) & 1;
                    let front = [2u8, 1, 2, 3, 3, 4, 4, 5].get(acmod).copied().unwrap_or(2);
                    track.channels = u16::from(front + lfe);
                }
            }
            b"dOps" => {
                if let Some(ch) = body.get(1) {
                    track.channels = u16::from(*ch);
                }
            }
            _ => {}
        }
    }
}

/// `ES_Descriptor` → `DecoderConfigDescriptor` (object type, average bitrate) →
/// `DecoderSpecificInfo` (AudioSpecificConfig: channel configuration).
fn esds(b: &[u8], track: &mut Track) {
    let mut c = Cur::new(b);
    let Some(es) = descriptor(&mut c, 0x03) else {
        return;
    };
    let mut es = Cur::new(es);
    let _id = es.u16();
    let flags = es.u8().unwrap_or(0);
    if flags & 0x80 != 0 {
        let _ = es.skip(2);
    }
    if flags & 0x40 != 0 {
        let len = es.u8().unwrap_or(0);
        let _ = es.skip(usize::from(len));
    }
    if flags & 0x20 != 0 {
        let _ = es.skip(2);
    }
    let Some(dcd) = descriptor(&mut es, 0x04) else {
        return;
    };
    let mut d = Cur::new(dcd);
    let object_type = d.u8().unwrap_or(0);
    let _ = d.skip(4 + 4); // stream type, buffer size, max bitrate
    if let Some(avg) = d.u32().filter(|r| *r > 0) {
        track.avg_bitrate = Some(u64::from(avg));
    }
    match object_type {
        0x69 | 0x6B => track.audio_codec = Some("mp3"),
        0xA5 => track.audio_codec = Some("ac3"),
        0xA6 => track.audio_codec = Some("eac3"),
        0xAD => track.audio_codec = Some("opus"),
        _ => {}
    }
    if object_type == 0x40
        && let Some(asc) = descriptor(&mut d, 0x05)
        && let Some([a, b]) = asc.first_chunk::<2>().copied()
    {
        let freq_index = ((a & 0x07) << 1) | (b >> 7);
        let channel_config = if freq_index == 15 {
            // 24-bit explicit frequency: channel config sits after it.
            asc.get(4..6)
                .map(|x| ((x[0] & 0x07) << 1) | (x[1] >> 7))
                .unwrap_or(0)
        } else {
            (b >> 3) & 0x0F
        };
        match channel_config {
            1..=6 => track.channels = u16::from(channel_config),
            7 => track.channels = 8,
            _ => {}
        }
    }
}

/// Reads one MPEG-4 descriptor with `tag` (variable-length size) and returns its body.
fn descriptor<'b>(c: &mut Cur<'b>, tag: u8) -> Option<&'b [u8]> {
    if c.u8()? != tag {
        return None;
    }
    let mut len = 0usize;
    for _ in 0..4 {
        let byte = c.u8()?;
        len = (len << 7) | usize::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            break;
        }
    }
    let take = len.min(c.remaining());
    c.bytes(take)
}

fn seconds(duration: u64, timescale: u32) -> Option<f64> {
    (timescale > 0 && duration > 0).then(|| duration as f64 / f64::from(timescale))
}

fn finish(
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
        display_aspect: crate::aspect(
            u64::from(width) * u64::from(h_spacing),
            u64::from(height) * u64::from(v_spacing),
        ),
        frame_rate: frame_rate.map(round3),
        bit_depth: track.config.bit_depth,
        transfer: track.config.transfer.clone(),
        bitrate_bps: track.avg_bitrate,
    }
}

#[cfg(test)]
mod tests {
    use super::tkhd_rotation;

    /// A version-0 `tkhd` payload whose matrix starts `[a b 0; c d 0]` (16.16 fixed point).
    fn tkhd(a: i32, b: i32, c: i32, d: i32) -> Vec<u8> {
        let mut payload = vec![0u8; 40];
        for value in [a, b, 0, c, d, 0, 0, 0] {
            payload.extend_from_slice(&(value * 0x1_0000).to_be_bytes()[..]);
        }
        payload.extend_from_slice(&0x4000_0000i32.to_be_bytes()[..]); // w = 1.0 in 2.30
        payload
    }

    #[test]
    fn tkhd_matrices_give_clockwise_quarter_turns() {
        assert_eq!(tkhd_rotation(&tkhd(1, 0, 0, 1)), Some(0));
        // An upright iPhone portrait clip: right turns into down.
        assert_eq!(tkhd_rotation(&tkhd(0, 1, -1, 0)), Some(90));
        assert_eq!(tkhd_rotation(&tkhd(-1, 0, 0, -1)), Some(180));
        assert_eq!(tkhd_rotation(&tkhd(0, -1, 1, 0)), Some(270));
    }
}
