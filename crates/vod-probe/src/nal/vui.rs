//! Video usability information (Annex E): sample aspect ratio, colour transfer and, for H.264,
//! timing.

use super::Sps;
use super::bits::Bits;
use crate::codec::transfer_name;

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
pub(super) fn vui(r: &mut Bits<'_>, sps: &mut Sps, h264: bool) -> Option<()> {
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
