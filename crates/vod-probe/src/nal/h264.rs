//! The H.264 sequence parameter set: profile, level, cropped size, bit depth, then the VUI.

use super::annexb::{nal_units, unescape};
use super::bits::Bits;
use super::vui::vui;
use super::{MAX_RBSP, Sps, chroma_subsampling, dimension};
use crate::codec::h264_profile_name;

/// The first H.264 SPS (`nal_unit_type` 7) in an Annex B stream that parses.
pub(crate) fn first_h264_sps(stream: &[u8]) -> Option<Sps> {
    nal_units(stream)
        .filter(|nal| nal.first().is_some_and(|h| h & 0x1F == 7))
        .find_map(h264_sps)
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
    let (sub_w, sub_h) = chroma_subsampling(chroma_format_idc, separate_colour_planes);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nal::hevc::hevc_sps;
    use crate::nal::writer::Writer;

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

    /// A Baseline level 3.0 SPS up to the picture size: sps id 0, log2_max_frame_num 4,
    /// picture order count type 2, one reference frame, no gaps.
    fn baseline_up_to_size() -> Writer {
        let mut w = Writer::default();
        w.put(66, 8)
            .put(0, 8)
            .put(30, 8)
            .ue(0)
            .ue(0)
            .ue(2)
            .ue(1)
            .flag(false);
        w
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
        let mut w = baseline_up_to_size();
        w.ue((1 << 32) - 2)
            .ue(10)
            .flag(true)
            .flag(true)
            .flag(false)
            .flag(false);
        assert_eq!(h264_sps(&w.nal(&[0x67])), None);
        // Zero timing units do not make an infinite frame rate.
        let mut w = baseline_up_to_size();
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
}
