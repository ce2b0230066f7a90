//! H.264 and HEVC sequence parameter sets: the one place that reads dimensions, profile,
//! bit depth, sample aspect, transfer and (H.264) timing from a video bitstream.
//!
//! Used for MPEG-TS (Annex B byte streams found in the PES payload) and for the SPS inside an
//! MP4/Matroska `avcC`. Every input is untrusted: NAL units are found by scanning a slice we
//! already hold, emulation-prevention removal writes at most [`MAX_RBSP`] bytes, Exp-Golomb
//! codes longer than 32 bits are refused, and every loop count read from the stream is
//! checked against the limit the specification sets before it is used.

use crate::codec::{h264_profile_name, hevc_profile_name, transfer_name};

/// Bytes of RBSP kept from one SPS NAL unit. Real ones are under 100 bytes; 4 KiB leaves
/// room for scaling matrices and long VUI without letting a lying stream grow memory.
pub(crate) const MAX_RBSP: usize = 4096;
/// Largest width or height we believe (H.264 and HEVC levels stop at 8192×4320 / 16888 lines).
const MAX_DIMENSION: u64 = 32_768;

/// What a sequence parameter set says about the pictures that follow it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sps {
    pub(crate) profile: Option<String>,
    /// `level_idc` as coded: H.264 `40` is level 4.0; HEVC `120` is level 4.0 (×30).
    pub(crate) level_idc: u8,
    /// Displayed size after cropping (H.264 frame cropping, HEVC conformance window).
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) bit_depth: u8,
    /// Sample (pixel) aspect ratio when the VUI signals one other than square.
    pub(crate) sample_aspect: Option<(u32, u32)>,
    /// Frames per second from the VUI timing info (H.264 only here).
    pub(crate) frame_rate: Option<f64>,
    pub(crate) transfer: Option<String>,
}

/// The NAL units of an Annex B byte stream: the bytes between `00 00 01` start codes (a
/// four-byte start code leaves one trailing zero on the unit before it, which no parser here
/// reads). Bytes before the first start code are skipped.
pub(crate) fn nal_units(stream: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = after_start_code(stream);
    std::iter::from_fn(move || {
        let unit = rest?;
        match find_start_code(unit) {
            Some(at) => {
                rest = unit.get(at + 3..);
                Some(unit.get(..at).unwrap_or(unit))
            }
            None => {
                rest = None;
                Some(unit)
            }
        }
    })
}

fn find_start_code(b: &[u8]) -> Option<usize> {
    b.windows(3).position(|w| w == [0, 0, 1])
}

fn after_start_code(b: &[u8]) -> Option<&[u8]> {
    b.get(find_start_code(b)? + 3..)
}

/// NAL unit payload → RBSP: drops each `03` that follows two zero bytes (emulation
/// prevention, H.264 7.4.1 / HEVC 7.4.2), keeping at most `cap` output bytes.
pub(crate) fn unescape(nal: &[u8], cap: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len().min(cap));
    let mut zeros = 0usize;
    for &b in nal {
        if out.len() >= cap {
            break;
        }
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// A most-significant-bit-first reader with Exp-Golomb codes. Every getter returns `None`
/// past the end instead of panicking or inventing zeros.
#[derive(Debug, Clone)]
pub(crate) struct Bits<'b> {
    buf: &'b [u8],
    /// Position in bits.
    pos: usize,
}

impl<'b> Bits<'b> {
    pub(crate) fn new(buf: &'b [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn bit(&mut self) -> Option<u32> {
        let byte = self.buf.get(self.pos / 8)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(bit))
    }

    pub(crate) fn flag(&mut self) -> Option<bool> {
        self.bit().map(|b| b == 1)
    }

    /// `n` bits (at most 32) as an unsigned number.
    pub(crate) fn bits(&mut self, n: u32) -> Option<u32> {
        if n > 32 {
            return None;
        }
        let mut v = 0u64;
        for _ in 0..n {
            v = (v << 1) | u64::from(self.bit()?);
        }
        u32::try_from(v).ok()
    }

    pub(crate) fn skip(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        if end > self.buf.len().checked_mul(8)? {
            return None;
        }
        self.pos = end;
        Some(())
    }

    /// `ue(v)`: unsigned Exp-Golomb. Codes with more than 31 leading zeros (values past
    /// 2³² − 2) are not valid in either standard and are refused.
    pub(crate) fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0u32;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let suffix = u64::from(self.bits(zeros)?);
        u32::try_from((1u64 << zeros) - 1 + suffix).ok()
    }

    /// `se(v)`: signed Exp-Golomb (1, −1, 2, −2, … for codes 1, 2, 3, 4, …).
    pub(crate) fn se(&mut self) -> Option<i32> {
        let k = i64::from(self.ue()?);
        let v = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        i32::try_from(v).ok()
    }

    /// `ue(v)` that must not exceed `max` (a range the standard sets).
    fn ue_max(&mut self, max: u32) -> Option<u32> {
        self.ue().filter(|v| *v <= max)
    }
}

/// The first H.264 SPS (`nal_unit_type` 7) in an Annex B stream that parses.
pub(crate) fn first_h264_sps(stream: &[u8]) -> Option<Sps> {
    nal_units(stream)
        .filter(|nal| nal.first().is_some_and(|h| h & 0x1F == 7))
        .find_map(h264_sps)
}

/// The first HEVC SPS (`nal_unit_type` 33) in an Annex B stream that parses.
pub(crate) fn first_hevc_sps(stream: &[u8]) -> Option<Sps> {
    nal_units(stream)
        .filter(|nal| nal.first().is_some_and(|h| (h >> 1) & 0x3F == 33))
        .find_map(hevc_sps)
}

/// An H.264 `seq_parameter_set_rbsp` (7.3.2.1.1), given the NAL unit with its one-byte header.
pub(crate) fn h264_sps(nal: &[u8]) -> Option<Sps> {
    let rbsp = unescape(nal.get(1..)?, MAX_RBSP);
    let mut r = Bits::new(&rbsp);
    let profile_idc = r.bits(8)? as u8;
    let _constraint_flags = r.bits(8)?;
    let level_idc = r.bits(8)? as u8;
    let _sps_id = r.ue_max(31)?;
    let mut chroma_format_idc = 1;
    let mut separate_colour_planes = false;
    let mut bit_depth = 8;
    if matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        chroma_format_idc = r.ue_max(3)?;
        if chroma_format_idc == 3 {
            separate_colour_planes = r.flag()?;
        }
        bit_depth = 8 + r.ue_max(6)? as u8;
        let _bit_depth_chroma = r.ue_max(6)?;
        let _transform_bypass = r.flag()?;
        if r.flag()? {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.flag()? {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    let _log2_max_frame_num = r.ue_max(12)?;
    match r.ue_max(2)? {
        0 => {
            r.ue_max(12)?;
        }
        1 => {
            let _delta_always_zero = r.flag()?;
            r.se()?;
            r.se()?;
            let cycle = r.ue_max(255)?;
            for _ in 0..cycle {
                r.se()?;
            }
        }
        _ => {}
    }
    let _max_num_ref_frames = r.ue()?;
    let _gaps_allowed = r.flag()?;
    let width_mbs = u64::from(r.ue()?) + 1;
    let height_map_units = u64::from(r.ue()?) + 1;
    let frame_mbs_only = r.flag()?;
    if !frame_mbs_only {
        let _mbaff = r.flag()?;
    }
    let _direct_8x8 = r.flag()?;
    let crop = if r.flag()? {
        [r.ue()?, r.ue()?, r.ue()?, r.ue()?].map(u64::from)
    } else {
        [0; 4]
    };
    // Table 6-1: SubWidthC/SubHeightC; monochrome or separate planes crop in whole samples.
    let chroma_array_type = if separate_colour_planes {
        0
    } else {
        chroma_format_idc
    };
    let (sub_w, sub_h) = match chroma_array_type {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let field_factor = if frame_mbs_only { 1 } else { 2 };
    let crop_unit_y = sub_h * field_factor;
    let width = (width_mbs * 16).checked_sub(sub_w * (crop[0] + crop[1]))?;
    let height =
        (height_map_units * 16 * field_factor).checked_sub(crop_unit_y * (crop[2] + crop[3]))?;
    let mut sps = Sps {
        profile: Some(h264_profile_name(profile_idc).to_owned()),
        level_idc,
        width: dimension(width)?,
        height: dimension(height)?,
        bit_depth,
        ..Sps::default()
    };
    if r.flag()? {
        // A VUI cut short (a truncated buffer) keeps what was read before the cut.
        let _ = vui(&mut r, &mut sps, true);
    }
    Some(sps)
}

fn dimension(v: u64) -> Option<u32> {
    (1..=MAX_DIMENSION)
        .contains(&v)
        .then(|| u32::try_from(v).ok())
        .flatten()
}

/// `scaling_list()` (7.3.2.1.1.1): only its length matters here.
fn skip_scaling_list(r: &mut Bits<'_>, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            let delta = r.se()?;
            next = (last + delta).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

/// Table E-1: `aspect_ratio_idc` → sample aspect ratio.
fn sample_aspect(idc: u32) -> Option<(u32, u32)> {
    const TABLE: [(u32, u32); 16] = [
        (1, 1),
        (12, 11),
        (10, 11),
        (16, 11),
        (40, 33),
        (24, 11),
        (20, 11),
        (32, 11),
        (80, 33),
        (18, 11),
        (15, 11),
        (64, 33),
        (160, 99),
        (4, 3),
        (3, 2),
        (2, 1),
    ];
    TABLE
        .get(usize::try_from(idc.checked_sub(1)?).ok()?)
        .copied()
}

/// The start of `vui_parameters()` shared by H.264 (E.1.1) and HEVC (E.2.1): aspect ratio,
/// overscan, video signal type; then, for H.264, the timing info that follows directly.
fn vui(r: &mut Bits<'_>, sps: &mut Sps, h264: bool) -> Option<()> {
    if r.flag()? {
        let idc = r.bits(8)?;
        let sar = if idc == 255 {
            Some((r.bits(16)?, r.bits(16)?))
        } else {
            sample_aspect(idc)
        };
        sps.sample_aspect = sar.filter(|&(w, h)| w > 0 && h > 0 && w != h);
    }
    if r.flag()? {
        let _overscan_appropriate = r.flag()?;
    }
    if r.flag()? {
        let _video_format = r.bits(3)?;
        let _full_range = r.flag()?;
        if r.flag()? {
            let _primaries = r.bits(8)?;
            sps.transfer = transfer_name(u64::from(r.bits(8)?));
            let _matrix = r.bits(8)?;
        }
    }
    if r.flag()? {
        r.ue()?;
        r.ue()?;
    }
    if !h264 {
        return Some(());
    }
    if r.flag()? {
        let units = r.bits(32)?;
        let scale = r.bits(32)?;
        // H.264 counts field ticks: a frame lasts two `num_units_in_tick`.
        let fps = f64::from(scale) / (2.0 * f64::from(units));
        if units > 0 && scale > 0 && fps > 0.0 && fps <= 1000.0 {
            sps.frame_rate = Some(fps);
        }
    }
    Some(())
}

/// An HEVC `seq_parameter_set_rbsp` (7.3.2.2.1) up to the bit depth, given the NAL unit with
/// its two-byte header. The VUI sits behind reference picture sets; frame rate comes from
/// elsewhere (the container's timestamps).
pub(crate) fn hevc_sps(nal: &[u8]) -> Option<Sps> {
    let rbsp = unescape(nal.get(2..)?, MAX_RBSP);
    let mut r = Bits::new(&rbsp);
    let _vps_id = r.bits(4)?;
    let max_sub_layers_minus1 = r.bits(3)?;
    if max_sub_layers_minus1 > 6 {
        return None;
    }
    let _temporal_id_nesting = r.flag()?;
    // profile_tier_level(1, max_sub_layers_minus1) (7.3.3)
    let _profile_space = r.bits(2)?;
    let _tier = r.flag()?;
    let profile_idc = r.bits(5)? as u8;
    let compatibility = r.bits(32)?;
    r.skip(48)?; // source flags and constraint flags
    let level_idc = r.bits(8)? as u8;
    let mut sub_layers = [(false, false); 7];
    for layer in sub_layers.iter_mut().take(max_sub_layers_minus1 as usize) {
        *layer = (r.flag()?, r.flag()?);
    }
    if max_sub_layers_minus1 > 0 {
        r.skip(2 * (8 - max_sub_layers_minus1 as usize))?;
    }
    for &(profile_present, level_present) in sub_layers.iter().take(max_sub_layers_minus1 as usize)
    {
        if profile_present {
            r.skip(88)?;
        }
        if level_present {
            r.skip(8)?;
        }
    }
    let _sps_id = r.ue_max(15)?;
    let chroma_format_idc = r.ue_max(3)?;
    let separate_colour_planes = chroma_format_idc == 3 && r.flag()?;
    let width = u64::from(r.ue()?);
    let height = u64::from(r.ue()?);
    let window = if r.flag()? {
        [r.ue()?, r.ue()?, r.ue()?, r.ue()?].map(u64::from)
    } else {
        [0; 4]
    };
    let bit_depth = 8 + r.ue_max(8)? as u8;
    let chroma_array_type = if separate_colour_planes {
        0
    } else {
        chroma_format_idc
    };
    let (sub_w, sub_h) = match chroma_array_type {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let width = width.checked_sub(sub_w * (window[0] + window[1]))?;
    let height = height.checked_sub(sub_h * (window[2] + window[3]))?;
    // A zero general_profile_idc names its profile through the compatibility flags.
    let profile_idc = if profile_idc == 0 {
        (1..32u8)
            .find(|i| compatibility & (1 << (31 - u32::from(*i))) != 0)
            .unwrap_or(0)
    } else {
        profile_idc
    };
    Some(Sps {
        profile: Some(hevc_profile_name(profile_idc).to_owned()),
        level_idc,
        width: dimension(width)?,
        height: dimension(height)?,
        bit_depth,
        ..Sps::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes bits MSB first; for building SPS fixtures field by field.
    #[derive(Default)]
    struct Writer {
        bytes: Vec<u8>,
        bits: usize,
    }

    impl Writer {
        fn put(&mut self, value: u64, n: u32) -> &mut Self {
            for i in (0..n).rev() {
                if self.bits.is_multiple_of(8) {
                    self.bytes.push(0);
                }
                let bit = value.checked_shr(i).map_or(0, |v| (v & 1) as u8);
                if let Some(last) = self.bytes.last_mut() {
                    *last |= bit << (7 - self.bits % 8);
                }
                self.bits += 1;
            }
            self
        }
        fn flag(&mut self, f: bool) -> &mut Self {
            self.put(u64::from(f), 1)
        }
        fn ue(&mut self, v: u64) -> &mut Self {
            let x = v + 1;
            let len = 64 - x.leading_zeros();
            self.put(0, len - 1).put(x, len)
        }
        fn se(&mut self, v: i64) -> &mut Self {
            let k = if v > 0 { 2 * v - 1 } else { -2 * v };
            self.ue(k as u64)
        }
        /// rbsp_trailing_bits, then emulation prevention as an encoder would add it.
        fn nal(&mut self, header: &[u8]) -> Vec<u8> {
            self.put(1, 1);
            while !self.bits.is_multiple_of(8) {
                self.put(0, 1);
            }
            let mut out = header.to_vec();
            let mut zeros = 0;
            for &b in &self.bytes {
                if zeros >= 2 && b <= 3 {
                    out.push(3);
                    zeros = 0;
                }
                zeros = if b == 0 { zeros + 1 } else { 0 };
                out.push(b);
            }
            out
        }
    }

    #[test]
    fn exp_golomb_round_trips() {
        let values = [0u64, 1, 2, 3, 7, 8, 254, 255, 1 << 16, (1 << 32) - 2];
        let mut w = Writer::default();
        for v in values {
            w.ue(v);
        }
        for v in [0i64, 1, -1, 2, -2, 1000, -1000] {
            w.se(v);
        }
        let mut r = Bits::new(&w.bytes);
        for v in values {
            assert_eq!(r.ue().map(u64::from), Some(v));
        }
        for v in [0i32, 1, -1, 2, -2, 1000, -1000] {
            assert_eq!(r.se(), Some(v));
        }
    }

    #[test]
    fn exp_golomb_known_codes() {
        // 1 → 0; 010 → 1; 011 → 2; 00100 → 3; 00111 → 6
        let mut r = Bits::new(&[0b1010_0110, 0b0100_0011, 0b1000_0000]);
        assert_eq!(
            [r.ue(), r.ue(), r.ue(), r.ue(), r.ue()],
            [Some(0), Some(1), Some(2), Some(3), Some(6)]
        );
    }

    #[test]
    fn exp_golomb_refuses_malformed_codes() {
        // Runs off the end while counting zeros.
        assert_eq!(Bits::new(&[0, 0]).ue(), None);
        assert_eq!(Bits::new(&[]).ue(), None);
        // 0001 010 → 9; and a complete prefix whose suffix is cut off.
        assert_eq!(Bits::new(&[0b0001_0100]).ue(), Some(9));
        assert_eq!(Bits::new(&[0b0000_0001]).ue(), None);
        // 32 leading zeros: a value past 2^32 - 2, refused rather than wrapped.
        let mut long = vec![0u8; 4];
        long.extend([0x80, 0, 0, 0, 0]);
        assert_eq!(Bits::new(&long).ue(), None);
        // 31 leading zeros and all-ones suffix: the largest valid value.
        let mut max = vec![0u8; 3];
        max.extend([0b0000_0001, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(Bits::new(&max).ue(), Some(u32::MAX - 1));
        // 2^32 - 1 + 2^32 - 1 does not fit: the top suffix with 31 zeros is in range, and
        // se() of the largest code stays in i32.
        assert_eq!(Bits::new(&max).se(), Some(i32::MIN + 1));
    }

    #[test]
    fn bits_stop_at_the_end() {
        let mut r = Bits::new(&[0xA5]);
        assert_eq!(r.bits(4), Some(0xA));
        assert_eq!(r.bits(5), None);
        assert_eq!(r.bits(33), None);
        let mut r = Bits::new(&[0xFF; 8]);
        assert_eq!(r.bits(32), Some(u32::MAX));
        assert_eq!(r.skip(usize::MAX), None);
        assert_eq!(r.skip(32), Some(()));
        assert_eq!(r.bit(), None);
    }

    #[test]
    fn emulation_prevention_is_removed() {
        assert_eq!(unescape(&[0, 0, 3, 1], 64), [0, 0, 1]);
        assert_eq!(unescape(&[0, 0, 3, 0, 0, 3, 0], 64), [0, 0, 0, 0, 0]);
        // A 03 not after two zeros stays.
        assert_eq!(unescape(&[0, 3, 0, 3], 64), [0, 3, 0, 3]);
        // 00 00 03 03: only the first 03 is prevention.
        assert_eq!(unescape(&[0, 0, 3, 3], 64), [0, 0, 3]);
        // A trailing 00 00 03 (cabac_zero_words) loses its 03.
        assert_eq!(unescape(&[5, 0, 0, 3], 64), [5, 0, 0]);
        assert_eq!(unescape(&[], 64), Vec::<u8>::new());
        assert_eq!(unescape(&[0, 0, 3], 0), Vec::<u8>::new());
        // The cap bounds the output whatever the input length.
        assert_eq!(unescape(&[7; 10_000], 16).len(), 16);
    }

    #[test]
    fn nal_units_between_start_codes() {
        let s = [9, 9, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 1];
        let units: Vec<&[u8]> = nal_units(&s).collect();
        assert_eq!(units, [&[0x67, 1, 2][..], &[0x68, 3][..], &[][..]]);
        assert_eq!(nal_units(&[1, 2, 3]).count(), 0);
        assert_eq!(nal_units(&[0, 0]).count(), 0);
        assert_eq!(
            nal_units(&[0, 0, 1]).collect::<Vec<&[u8]>>(),
            [&[0u8; 0][..]]
        );
    }

    /// A Baseline SPS as x264 writes it for 1280x720 at 30 fps.
    const X264_720P30: [u8; 23] = [
        0x67, 0x42, 0xC0, 0x1F, 0xDA, 0x01, 0x40, 0x16, 0xEC, 0x04, 0x40, 0x00, 0x00, 0x03, 0x00,
        0x40, 0x00, 0x00, 0x0F, 0x03, 0xC6, 0x0C, 0xA8,
    ];

    #[test]
    fn x264_sps() {
        let sps = h264_sps(&X264_720P30).expect("parses");
        assert_eq!(sps.profile.as_deref(), Some("baseline"));
        assert_eq!(sps.level_idc, 31);
        assert_eq!((sps.width, sps.height, sps.bit_depth), (1280, 720, 8));
        assert_eq!(sps.frame_rate, Some(30.0));
        assert_eq!(sps.sample_aspect, None);
        let mut stream = vec![0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1];
        stream.extend(X264_720P30);
        stream.extend([0, 0, 1, 0x68, 0xCE]);
        assert_eq!(first_h264_sps(&stream), Some(sps));
    }

    #[test]
    fn every_truncation_of_a_real_sps_is_safe() {
        for len in 0..X264_720P30.len() {
            if let Some(sps) = h264_sps(&X264_720P30[..len]) {
                // Cut inside the VUI: dimensions stand, the frame rate may not.
                assert_eq!((sps.width, sps.height), (1280, 720), "len {len}");
            }
        }
    }

    fn high_sps(crop_bottom: u64, frame_mbs_only: bool, vui: impl Fn(&mut Writer)) -> Vec<u8> {
        let mut w = Writer::default();
        w.put(110, 8).put(0, 8).put(40, 8).ue(0);
        w.ue(1).ue(2).ue(2).flag(false); // 4:2:0, 10-bit luma and chroma
        w.flag(true); // scaling matrix present
        for i in 0..8 {
            w.flag(i == 0 || i == 6);
            if i == 0 || i == 6 {
                let size = if i < 6 { 16 } else { 64 };
                for j in 0..size {
                    w.se(if j == size - 1 { -8 } else { 1 });
                }
            }
        }
        w.ue(0).ue(1); // log2_max_frame_num, poc type 1
        w.flag(false).se(-2).se(3).ue(3).se(1).se(-1).se(5);
        w.ue(4).flag(false);
        w.ue(119); // 1920
        if frame_mbs_only {
            w.ue(67).flag(true); // 1088 frame
        } else {
            w.ue(33).flag(false).flag(true); // 34 field map units ×2
        }
        w.flag(true); // direct_8x8
        w.flag(true).ue(0).ue(0).ue(0).ue(crop_bottom);
        w.flag(true);
        vui(&mut w);
        w.nal(&[0x67])
    }

    #[test]
    fn high10_with_scaling_lists_poc_type_1_cropping_and_vui() {
        let nal = high_sps(4, true, |w| {
            w.flag(true).put(255, 8).put(4, 16).put(3, 16); // extended SAR 4:3
            w.flag(false); // overscan
            w.flag(true)
                .put(5, 3)
                .flag(false)
                .flag(true)
                .put(9, 8)
                .put(16, 8)
                .put(9, 8);
            w.flag(false); // chroma loc
            w.flag(true).put(1001, 32).put(60_000, 32).flag(true);
        });
        let sps = h264_sps(&nal).expect("parses");
        assert_eq!(sps.profile.as_deref(), Some("high10"));
        assert_eq!(sps.level_idc, 40);
        assert_eq!((sps.width, sps.height, sps.bit_depth), (1920, 1080, 10));
        assert_eq!(sps.sample_aspect, Some((4, 3)));
        assert_eq!(sps.transfer.as_deref(), Some("pq"));
        let fps = sps.frame_rate.expect("timing");
        assert!((fps - 29.97).abs() < 0.001, "{fps}");
    }

    #[test]
    fn interlaced_crop_counts_field_pairs() {
        // frame_mbs_only = 0: map units are field MB pairs, crop units are two lines each.
        let nal = high_sps(4, false, |w| {
            w.flag(true).put(14, 8); // SAR 4:3 from the table
            w.flag(false).flag(false).flag(false).flag(false);
        });
        let sps = h264_sps(&nal).expect("parses");
        assert_eq!((sps.width, sps.height), (1920, 1072));
        assert_eq!(sps.sample_aspect, Some((4, 3)));
        assert_eq!(sps.frame_rate, None);
    }

    #[test]
    fn lying_sps_fields_are_refused() {
        // Cropping more than the picture.
        assert_eq!(h264_sps(&high_sps(10_000, true, |_| {})), None);
        // chroma_format_idc 4 (out of range).
        let mut w = Writer::default();
        w.put(100, 8).put(0, 8).put(40, 8).ue(0).ue(4);
        assert_eq!(h264_sps(&w.nal(&[0x67])), None);
        // A picture-order cycle of 256 entries (the limit is 255).
        let mut w = Writer::default();
        w.put(66, 8)
            .put(0, 8)
            .put(30, 8)
            .ue(0)
            .ue(0)
            .ue(1)
            .flag(false)
            .se(0)
            .se(0)
            .ue(256);
        assert_eq!(h264_sps(&w.nal(&[0x67])), None);
        // Width of 2^32 - 1 macroblocks.
        let mut w = Writer::default();
        w.put(66, 8)
            .put(0, 8)
            .put(30, 8)
            .ue(0)
            .ue(0)
            .ue(2)
            .ue(1)
            .flag(false);
        w.ue((1 << 32) - 2)
            .ue(10)
            .flag(true)
            .flag(true)
            .flag(false)
            .flag(false);
        assert_eq!(h264_sps(&w.nal(&[0x67])), None);
        // Zero timing units do not make an infinite frame rate.
        let mut w = Writer::default();
        w.put(66, 8)
            .put(0, 8)
            .put(30, 8)
            .ue(0)
            .ue(0)
            .ue(2)
            .ue(1)
            .flag(false);
        w.ue(19).ue(14).flag(true).flag(true).flag(false).flag(true);
        w.flag(false).flag(false).flag(false).flag(false);
        w.flag(true).put(0, 32).put(50, 32).flag(true);
        let sps = h264_sps(&w.nal(&[0x67])).expect("dimensions stand");
        assert_eq!((sps.width, sps.height, sps.frame_rate), (320, 240, None));
        // Empty, header-only, all-0xFF.
        assert_eq!(h264_sps(&[]), None);
        assert_eq!(h264_sps(&[0x67]), None);
        // All ones: every ue(v) is 0, so a 16x16 picture; nothing out of range.
        let ones = h264_sps(&[0xFF; 64]).expect("bitwise valid");
        assert_eq!((ones.width, ones.height), (16, 16));
        assert_eq!(hevc_sps(&[0x42, 0x01]), None);
        assert_eq!(hevc_sps(&[0xFF; 64]), None);
        assert_eq!(hevc_sps(&[0; 64]), None);
    }

    fn hevc(sub_layers_minus1: u32, chroma: u64, size: (u64, u64), window: [u64; 4]) -> Vec<u8> {
        let mut w = Writer::default();
        w.put(0, 4).put(u64::from(sub_layers_minus1), 3).flag(true);
        w.put(0, 2)
            .flag(false)
            .put(2, 5)
            .put(0x2000_0000, 32)
            .put(0, 48)
            .put(120, 8);
        for _ in 0..sub_layers_minus1 {
            w.flag(true).flag(true);
        }
        if sub_layers_minus1 > 0 {
            w.put(0, 2 * (8 - sub_layers_minus1));
        }
        for _ in 0..sub_layers_minus1 {
            w.put(0, 88).put(0, 8);
        }
        w.ue(0).ue(chroma);
        if chroma == 3 {
            w.flag(false);
        }
        w.ue(size.0).ue(size.1);
        w.flag(window != [0; 4]);
        if window != [0; 4] {
            for v in window {
                w.ue(v);
            }
        }
        w.ue(2).ue(2).ue(4);
        w.nal(&[0x42, 0x01])
    }

    #[test]
    fn hevc_main10_with_sub_layers_and_a_conformance_window() {
        let sps = hevc_sps(&hevc(2, 1, (1920, 1088), [0, 0, 0, 4])).expect("parses");
        assert_eq!(sps.profile.as_deref(), Some("main10"));
        assert_eq!(sps.level_idc, 120);
        assert_eq!((sps.width, sps.height, sps.bit_depth), (1920, 1080, 10));
        let sps = hevc_sps(&hevc(0, 3, (642, 362), [0, 1, 0, 1])).expect("4:4:4");
        assert_eq!((sps.width, sps.height), (641, 361));
        let mut stream = vec![0, 0, 1, 0x40, 0x01, 0x0C, 0, 0, 1];
        stream.extend(hevc(0, 1, (640, 360), [0; 4]));
        assert_eq!(first_hevc_sps(&stream).map(|s| s.width), Some(640));
        assert_eq!(
            hevc_sps(&hevc(7, 1, (64, 64), [0; 4])),
            None,
            "8 sub-layers"
        );
        assert_eq!(hevc_sps(&hevc(0, 1, (64, 64), [40, 0, 0, 0])), None);
        assert_eq!(hevc_sps(&hevc(0, 1, (0, 64), [0; 4])), None);
    }
}
