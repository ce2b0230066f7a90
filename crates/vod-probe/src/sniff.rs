//! What the first bytes say the object is, whatever its key's extension claims.

/// A family recognised from magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// ISO BMFF: MP4, MOV, M4A, M4V, 3GP (and HEIF images, told apart by brand later).
    IsoBmff,
    /// EBML: Matroska or WebM.
    Ebml,
    /// MPEG transport stream; `packet` is 188 or 192 (M2TS) bytes, `offset` the first sync.
    MpegTs {
        packet: usize,
        offset: usize,
    },
    /// MPEG program stream (DVD/VOB style).
    MpegPs,
    Avi,
    Mxf,
    Asf,
    Flv,
    Mp3,
    Wav,
    Flac,
    AdtsAac,
    Ogg,
    Aiff,
    /// Recognised, not audio or video; the text is what a person would call it.
    NotMedia(&'static str),
    Unknown,
}

const ASF_GUID: [u8; 16] = [
    0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C,
];
/// SMPTE universal label prefix of an MXF partition pack.
const MXF_PARTITION: [u8; 11] = [
    0x06, 0x0E, 0x2B, 0x34, 0x02, 0x05, 0x01, 0x01, 0x0D, 0x01, 0x02,
];

/// Boxes an ISO BMFF file may start with (QuickTime files often have no `ftyp`).
const BMFF_FIRST_BOXES: [&[u8; 4]; 9] = [
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp",
];

/// Classifies `head`, the object's first bytes.
pub fn sniff(head: &[u8]) -> Family {
    let starts = |magic: &[u8]| head.starts_with(magic);
    let at = |offset: usize, magic: &[u8]| {
        head.get(offset..offset + magic.len())
            .is_some_and(|b| b == magic)
    };

    if head.len() >= 8 && BMFF_FIRST_BOXES.iter().any(|t| at(4, &t[..])) {
        return Family::IsoBmff;
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Family::Ebml;
    }
    if starts(b"RIFF") && at(8, b"AVI ") {
        return Family::Avi;
    }
    if starts(b"RIFF") && at(8, b"WAVE") || starts(b"RF64") && at(8, b"WAVE") {
        return Family::Wav;
    }
    if starts(b"RIFF") && at(8, b"WEBP") {
        return Family::NotMedia("WebP image");
    }
    if starts(b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        return Family::Aiff;
    }
    if starts(&MXF_PARTITION) {
        return Family::Mxf;
    }
    if starts(&ASF_GUID) {
        return Family::Asf;
    }
    if starts(b"FLV\x01") {
        return Family::Flv;
    }
    if starts(b"fLaC") {
        return Family::Flac;
    }
    if starts(b"OggS") {
        return Family::Ogg;
    }
    if starts(&[0x00, 0x00, 0x01, 0xBA]) {
        return Family::MpegPs;
    }
    if starts(b"ID3") {
        return Family::Mp3;
    }
    if let Some(family) = not_media(head) {
        return family;
    }
    if let Some(ts) = mpeg_ts(head) {
        return ts;
    }
    // Frame syncs last: 11-12 set bits are easy to meet by chance in other binaries.
    if head.len() >= 4 && head[0] == 0xFF && head[1] & 0xF6 == 0xF0 {
        return Family::AdtsAac;
    }
    if crate::audio_only::mp3_frame(head).is_some() {
        return Family::Mp3;
    }
    if let Some(kind) = text_kind(head) {
        return Family::NotMedia(kind);
    }
    Family::Unknown
}

fn mpeg_ts(head: &[u8]) -> Option<Family> {
    for (packet, offset) in [(188usize, 0usize), (192, 4)] {
        let syncs = (0..5)
            .map(|i| offset + i * packet)
            .take_while(|&o| o < head.len())
            .collect::<Vec<_>>();
        // A lone 0x47 ('G') proves nothing: ask for three syncs, or two in a short file.
        let needed = if head.len() > offset + 2 * packet {
            3
        } else {
            2
        };
        if syncs.len() >= needed && syncs.iter().all(|&o| head.get(o) == Some(&0x47)) {
            return Some(Family::MpegTs { packet, offset });
        }
    }
    None
}

fn not_media(head: &[u8]) -> Option<Family> {
    let table: [(&[u8], &'static str); 16] = [
        (b"%PDF", "PDF document"),
        (&[0xFF, 0xD8, 0xFF], "JPEG image"),
        (
            &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
            "PNG image",
        ),
        (b"GIF87a", "GIF image"),
        (b"GIF89a", "GIF image"),
        (b"PK\x03\x04", "ZIP archive (or an Office document)"),
        (b"PK\x05\x06", "ZIP archive (empty)"),
        (&[0x1F, 0x8B], "gzip archive"),
        (b"7z\xBC\xAF\x27\x1C", "7-Zip archive"),
        (b"Rar!\x1A\x07", "RAR archive"),
        (b"BZh", "bzip2 archive"),
        (&[0xFD, b'7', b'z', b'X', b'Z', 0x00], "xz archive"),
        (b"\x7FELF", "ELF executable"),
        (b"II*\x00", "TIFF image"),
        (b"MM\x00*", "TIFF image"),
        (
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            "legacy Office document",
        ),
    ];
    table
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|(_, what)| Family::NotMedia(what))
        .or_else(|| {
            (head.starts_with(b"BM") && head.len() >= 26 && head.get(6..10) == Some(&[0; 4]))
                .then_some(Family::NotMedia("BMP image"))
        })
        .or_else(|| {
            head.starts_with(b"MZ")
                .then_some(Family::NotMedia("Windows executable"))
        })
}

/// Text: valid UTF-8 (allowing a cut final character) without control bytes other than
/// whitespace.
fn text_kind(head: &[u8]) -> Option<&'static str> {
    let sample = &head[..head.len().min(4096)];
    let body = sample.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(sample);
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&body[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0C'))
    {
        return None;
    }
    let lead = text.trim_start().to_ascii_lowercase();
    Some(
        if lead.starts_with("<!doctype html") || lead.starts_with("<html") {
            "HTML document"
        } else if lead.starts_with("<?xml") || lead.starts_with("<svg") {
            "XML document"
        } else if lead.starts_with('{') || lead.starts_with('[') {
            "JSON document"
        } else if lead.starts_with("#extm3u") {
            "HLS playlist (text)"
        } else if lead.starts_with("webvtt") {
            "WebVTT subtitles (text)"
        } else {
            "plain text"
        },
    )
}
