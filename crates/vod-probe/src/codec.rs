//! Decoder configuration records shared by MP4 sample entries and Matroska `CodecPrivate`,
//! and the line between codecs MediaConvert takes and codecs it does not.

use crate::source::Cur;

/// What a decoder configuration record tells about a video stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct VideoConfig {
    pub(crate) profile: Option<String>,
    pub(crate) bit_depth: Option<u8>,
    pub(crate) transfer: Option<String>,
}

/// `AVCDecoderConfigurationRecord` (ISO/IEC 14496-15): profile_idc is the second byte; the
/// first SPS in the record, when it parses, gives the bit depth and transfer.
pub(crate) fn avcc(b: &[u8]) -> VideoConfig {
    let profile_idc = b.get(1).copied();
    let sps = avcc_first_sps(b).and_then(crate::nal::h264_sps);
    VideoConfig {
        profile: profile_idc.map(|p| h264_profile_name(p).to_owned()),
        bit_depth: sps.as_ref().map(|s| s.bit_depth).or_else(|| {
            // Without an SPS: only the High 10/4:2:2/4:4:4 family can carry more than 8 bits.
            profile_idc
                .filter(|p| matches!(p, 66 | 77 | 88 | 100))
                .map(|_| 8)
        }),
        transfer: sps.and_then(|s| s.transfer),
    }
}

/// The first `sequenceParameterSetNALUnit` of an `avcC` record.
fn avcc_first_sps(b: &[u8]) -> Option<&[u8]> {
    let mut c = Cur::new(b);
    c.skip(5)?;
    if c.u8()? & 0x1F == 0 {
        return None;
    }
    let len = usize::from(c.u16()?);
    c.bytes(len)
}

/// H.264 `profile_idc` → our profile word (shared by `avcC` and in-band SPS).
pub(crate) fn h264_profile_name(profile_idc: u8) -> &'static str {
    match profile_idc {
        66 => "baseline",
        77 => "main",
        88 => "extended",
        100 => "high",
        110 => "high10",
        122 => "high422",
        244 => "high444",
        _ => "other",
    }
}

/// HEVC `general_profile_idc` → our profile word (shared by `hvcC` and in-band SPS).
pub(crate) fn hevc_profile_name(profile_idc: u8) -> &'static str {
    match profile_idc {
        1 => "main",
        2 => "main10",
        3 => "mainstillpicture",
        4 => "rext",
        _ => "other",
    }
}

/// `HEVCDecoderConfigurationRecord`: profile in byte 1, luma bit depth in byte 17.
pub(crate) fn hvcc(b: &[u8]) -> VideoConfig {
    VideoConfig {
        profile: b.get(1).map(|p| hevc_profile_name(p & 0x1F).to_owned()),
        bit_depth: b.get(17).map(|d| (d & 0x07) + 8),
        transfer: None,
    }
}

/// `VPCodecConfigurationRecord` as carried in `vpcC` (a full box: skip version and flags).
pub(crate) fn vpcc(b: &[u8]) -> VideoConfig {
    let mut c = Cur::new(b);
    let _ = c.skip(4);
    let profile = c.u8();
    let _level = c.u8();
    let depth = c.u8().map(|d| d >> 4);
    let _primaries = c.u8();
    let transfer = c.u8().and_then(|t| transfer_name(u64::from(t)));
    VideoConfig {
        profile: profile.map(|p| format!("profile{p}")),
        bit_depth: depth.filter(|d| *d > 0),
        transfer,
    }
}

/// `AV1CodecConfigurationRecord`: seq_profile and the high_bitdepth/twelve_bit flags.
pub(crate) fn av1c(b: &[u8]) -> VideoConfig {
    let profile = b.get(1).map(|x| x >> 5);
    let depth = b.get(2).map(|x| match (x & 0x40 != 0, x & 0x20 != 0) {
        (true, true) => 12,
        (true, false) => 10,
        _ => 8,
    });
    VideoConfig {
        profile: profile.map(|p| {
            match p {
                0 => "main",
                1 => "high",
                _ => "professional",
            }
            .to_owned()
        }),
        bit_depth: depth,
        transfer: None,
    }
}

/// ITU-T H.273 transfer characteristics → our three words.
pub(crate) fn transfer_name(tc: u64) -> Option<String> {
    match tc {
        16 => Some("pq".into()),
        18 => Some("hlg".into()),
        1 | 4..=8 | 11 | 13..=15 => Some("sdr".into()),
        _ => None,
    }
}

/// Whether MediaConvert can decode this video codec (our short names).
pub(crate) fn video_supported(codec: &str) -> bool {
    matches!(
        codec,
        "h264"
            | "hevc"
            | "av1"
            | "vp8"
            | "vp9"
            | "mpeg2"
            | "mpeg4"
            | "mpeg1"
            | "prores"
            | "dv"
            | "jpeg2000"
            | "vc1"
            | "vc3"
            | "h263"
    )
}

/// MP4/MOV video sample entry fourcc → short codec name.
pub(crate) fn mp4_video_codec(fourcc: &[u8; 4]) -> Option<&'static str> {
    Some(match fourcc {
        b"avc1" | b"avc3" | b"avc2" | b"avc4" => "h264",
        b"hvc1" | b"hev1" | b"dvh1" | b"dvhe" => "hevc",
        b"av01" => "av1",
        b"vp08" => "vp8",
        b"vp09" => "vp9",
        b"mp4v" => "mpeg4",
        b"m2v1" | b"mp2v" | b"xdvc" | b"xd5c" | b"xd5e" | b"hdv2" | b"hdv3" | b"xdv4" => "mpeg2",
        b"apch" | b"apcn" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => "prores",
        b"dvc " | b"dvcp" | b"dv5n" | b"dv5p" | b"dvh5" | b"dvh6" | b"dvhp" | b"dvhq" => "dv",
        b"mjp2" => "jpeg2000",
        b"vc-1" | b"wvc1" => "vc1",
        b"AVdn" | b"AVdh" => "vc3",
        b"s263" | b"h263" => "h263",
        b"jpeg" | b"mjpa" | b"mjpb" => "mjpeg",
        b"png " => "png",
        b"rle " => "qtrle",
        b"SVQ3" | b"SVQ1" => "sorenson",
        b"cvid" => "cinepak",
        b"encv" => "encrypted",
        _ => return None,
    })
}
