//! The one quality scale shared by AWS and the twin: a VMAF target ↔ MediaConvert's QVBR level
//! ↔ the CRF the twin gives x264 and SVT-AV1 for that level.
//!
//! MediaConvert's QVBR is a quality target with a cap: levels 1–10, "most broadcast-quality
//! transcodes are between 6 and 9", 10 "nearly lossless". The job for MediaConvert carries the
//! level; the twin has no QVBR, so it either uses the level's CRF (a capped CRF, fast) or
//! searches the CRF that reaches the level's VMAF on sampled chunks (`VOD_MEDIACONVERT_QUALITY_SEARCH`).
//!
//! The VMAF figures are what a rung scores against the source scaled to the rung's own size
//! (libvmaf's default 1080p model): the encode's fidelity, not the picture a viewer sees on a
//! larger screen. They were set so that level 8 → x264 CRF 21 scores about 94.5 on the 1080p
//! footage of `make bench`; [`av1_crf_for_qvbr`] puts SVT-AV1 at the same score (the bench's
//! codec probe: SVT-AV1 CRF 28 was +0.3 VMAF over x264 CRF 21). Every function is monotonic
//! (tested): a higher target never gets a lower level, a higher level never a higher CRF.
//!
//! ```
//! use vod_core::quality::{qvbr_for_vmaf, vmaf_for_qvbr, x264_crf_for_qvbr};
//! assert_eq!(qvbr_for_vmaf(94.0), 8);
//! assert_eq!(x264_crf_for_qvbr(8.0), 21.0);
//! assert!(vmaf_for_qvbr(8.0) >= 94.0);
//! ```

/// Expected VMAF at each QVBR level 1..=10 (index 0 is level 1).
const VMAF_AT_LEVEL: [f64; 10] = [70.0, 75.0, 80.0, 84.0, 87.0, 90.0, 92.5, 94.5, 96.5, 98.0];

/// The VMAF a QVBR level (fine-tune included, e.g. 7.33) aims at: linear between levels,
/// clamped to 1..=10.
pub fn vmaf_for_qvbr(level: f64) -> f64 {
    let level = if level.is_finite() {
        level.clamp(1.0, 10.0)
    } else {
        7.0
    };
    let low = (level.floor() as usize).clamp(1, 10);
    let high = (low + 1).min(10);
    let frac = level - low as f64;
    VMAF_AT_LEVEL[low - 1] + (VMAF_AT_LEVEL[high - 1] - VMAF_AT_LEVEL[low - 1]) * frac
}

/// The lowest whole QVBR level whose VMAF reaches `target` (1 below the scale, 10 above it).
pub fn qvbr_for_vmaf(target: f64) -> u8 {
    if !target.is_finite() {
        return 7;
    }
    VMAF_AT_LEVEL
        .iter()
        .position(|v| *v >= target - 1e-9)
        .map_or(10, |i| (i + 1) as u8)
}

/// x264's CRF for a QVBR level: `37 − 2 × level`, clamped to 15..=40. Level 7 lands on x264's
/// default CRF 23, 8–9 on 21–19, 10 on 17 (visually lossless for most content).
pub fn x264_crf_for_qvbr(level: f64) -> f64 {
    (37.0 - 2.0 * level).clamp(15.0, 40.0)
}

/// SVT-AV1's CRF for a QVBR level: `62 − 4 × level`, clamped to 10..=63 (level 8 → 30,
/// 7 → 34, 10 → 22). AV1 CRFs are on a 0–63 scale and about twice as steep as x264's.
pub fn av1_crf_for_qvbr(level: f64) -> f64 {
    (62.0 - 4.0 * level).clamp(10.0, 63.0)
}

/// The CRF range each encoder's search stays in (the twin's quality search).
pub const X264_CRF_RANGE: (f64, f64) = (15.0, 40.0);
pub const AV1_CRF_RANGE: (f64, f64) = (10.0, 63.0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapping_is_monotonic() {
        let levels: Vec<f64> = (10..=100).map(|l| f64::from(l) / 10.0).collect();
        for w in levels.windows(2) {
            assert!(vmaf_for_qvbr(w[1]) > vmaf_for_qvbr(w[0]), "{w:?}");
            assert!(x264_crf_for_qvbr(w[1]) <= x264_crf_for_qvbr(w[0]), "{w:?}");
            assert!(av1_crf_for_qvbr(w[1]) < av1_crf_for_qvbr(w[0]), "{w:?}");
        }
        let targets: Vec<f64> = (600..=1000).map(|t| f64::from(t) / 10.0).collect();
        for w in targets.windows(2) {
            assert!(qvbr_for_vmaf(w[1]) >= qvbr_for_vmaf(w[0]), "{w:?}");
        }
    }

    #[test]
    fn the_level_for_a_target_reaches_it_and_the_level_below_does_not() {
        for target in [75.0, 88.0, 93.0, 94.5, 95.0, 97.0] {
            let level = qvbr_for_vmaf(target);
            assert!(vmaf_for_qvbr(f64::from(level)) >= target, "{target}");
            if level > 1 {
                assert!(vmaf_for_qvbr(f64::from(level - 1)) < target, "{target}");
            }
        }
        assert_eq!(qvbr_for_vmaf(99.5), 10);
        assert_eq!(qvbr_for_vmaf(10.0), 1);
        assert_eq!(qvbr_for_vmaf(f64::NAN), 7);
    }

    #[test]
    fn the_documented_points_hold() {
        assert_eq!(x264_crf_for_qvbr(7.0), 23.0);
        assert_eq!(x264_crf_for_qvbr(10.0), 17.0);
        assert_eq!(av1_crf_for_qvbr(8.0), 30.0);
        assert_eq!(vmaf_for_qvbr(7.5), 93.5);
    }
}
