//! The HEVC sequence parameter set up to the bit depth: profile (also from the compatibility
//! flags), level, size inside the conformance window, bit depth.

use super::annexb::{nal_units, unescape};
use super::bits::Bits;
use super::{MAX_RBSP, Sps, chroma_subsampling, dimension};
use crate::codec::hevc_profile_name;

/// The first HEVC SPS (`nal_unit_type` 33) in an Annex B stream that parses.
pub(crate) fn first_hevc_sps(stream: &[u8]) -> Option<Sps> {
    nal_units(stream)
        .filter(|nal| nal.first().is_some_and(|h| (h >> 1) & 0x3F == 33))
        .find_map(hevc_sps)
}

/// An HEVC `seq_parameter_set_rbsp` (7.3.2.2.1) up to the bit depth, given the NAL unit with
/// its two-byte header. The VUI sits behind reference picture sets; frame rate comes from
/// elsewhere (the container's timestamps).
pub(super) fn hevc_sps(nal: &[u8]) -> Option<Sps> {
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
    let (sub_w, sub_h) = chroma_subsampling(chroma_format_idc, separate_colour_planes);
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
    use crate::nal::writer::Writer;

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
