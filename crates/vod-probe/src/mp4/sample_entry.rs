//! The first sample entry of an `stsd`: the video entry's size and codec configuration
//! (`avcC`, `hvcC`, `vpcC`, `av1C`, `colr`, `pasp`, `btrt`) and the audio entry's codec,
//! channels and rate (`esds`, `dac3`, `dOps`, QuickTime `wave`).

use super::boxes::inner_boxes;
use super::tracks::Track;
use crate::codec::{self, VideoConfig};
use crate::source::Cur;

pub(super) fn sample_description(stsd: &[u8], track: &mut Track) {
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
