//! Per-title encoding: a source's measured complexity and the profile's quality target turned
//! into the ladder it gets — which rungs exist, each rung's quality level and cap — and an AV1
//! tier beside the H.264 rungs. Every decision is a line in [`LadderPlan::reasons`].
//!
//! The **complexity pass** ([`ComplexityMeasure`]) is measured where ffmpeg runs (the twin, the
//! bench: short sampled chunks encoded fast at each rung's size and fixed settings, scored with
//! VMAF at the top rung's size); AWS has no cheap way to decode the file in a Lambda, so there
//! the plan keeps the policy's rungs and MediaConvert's QVBR adapts the bits inside each rung.
//!
//! Rules ([`apply`]), in order:
//! 1. **Quality**: a profile with [`TargetQuality`] gets, on every rung, the QVBR level the
//!    shared mapping ([`crate::quality`]) gives for `topVmaf`.
//! 2. **Rungs**: a rung is dropped when the next smaller rung, shown at the top rung's size,
//!    scores within `stepVmaf` of it and of the best rung (its neighbour already covers it, so
//!    its extra bytes buy less than a quality step), or when the next smaller rung would save
//!    less than a quarter of its bytes (no bandwidth step worth a switch). The smallest rung
//!    always stays (the start-up and poor-network rung), and so does at least one rung.
//! 3. **Caps**: a measured rung's cap becomes 2.5 × its measured bitrate, between a quarter of
//!    the policy's cap and the policy's cap (a simple title does not need the cap of a hard one).
//! 4. **AV1 tier** (`av1Tier`): one AV1 rung per H.264 rung, same size and level, the cap at
//!    [`AV1_CAP_SHARE`] of the H.264 cap; MediaConvert encodes AV1 GOPs in frames only.

use crate::ladder::{LadderPlan, Rung};
use crate::quality::{av1_crf_for_qvbr, qvbr_for_vmaf, vmaf_for_qvbr, x264_crf_for_qvbr};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A VMAF target for the top rung and the quality step between rungs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetQuality {
    /// VMAF each rung aims at against the source at its own size (→ QVBR level, → CRF).
    pub top_vmaf: f64,
    /// A rung whose smaller neighbour scores within this many VMAF points of it is dropped.
    pub step_vmaf: f64,
}

/// What the complexity pass measured for one rung size on the sampled chunks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RungMeasure {
    pub short_side: u32,
    /// VMAF of the rung's encode scaled back to the top rung's size.
    pub display_vmaf: f64,
    pub bitrate_bps: u64,
}

/// The complexity pass's result for one source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComplexityMeasure {
    /// How it was measured, for the reasons (e.g. `3 chunks of 1 s, x264 veryfast CRF 21`).
    pub method: String,
    pub rungs: Vec<RungMeasure>,
}

/// The AV1 rungs of a plan (CMAF, beside the H.264 rungs in the same group).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Av1Tier {
    pub rungs: Vec<Rung>,
    /// GOP length in frames (MediaConvert's AV1 takes no seconds), the plan's GOP at the
    /// output frame rate.
    pub gop_frames: u32,
}

/// The AV1 rung's cap as a share of the H.264 rung's: SVT-AV1 needed about 0.67× the bytes of
/// x264 at the same VMAF on the bench's footage.
pub const AV1_CAP_SHARE: f64 = 0.6;
/// A smaller rung that saves less than this share of its neighbour's bits is dropped.
const MIN_BANDWIDTH_SAVING: f64 = 0.25;
/// A measured rung's cap is this many times its measured bitrate (QVBR peaks above the mean).
const CAP_OVER_MEASURED: f64 = 2.5;

/// Applies the per-title rules to a plan made from the fixed ladder (see the module doc).
/// `fps` is the output frame rate if known (for the AV1 GOP).
pub fn apply(
    plan: &mut LadderPlan,
    target: Option<&TargetQuality>,
    measure: Option<&ComplexityMeasure>,
    av1_tier: bool,
    fps: Option<f64>,
) {
    if plan.rungs.is_empty() {
        return;
    }
    if let Some(target) = target {
        let level = qvbr_for_vmaf(target.top_vmaf);
        for rung in &mut plan.rungs {
            rung.qvbr_quality_level = level;
        }
        plan.reasons.push(format!(
            "target VMAF {:.1}: QVBR level {level} on every rung (expected VMAF {:.1}; the twin's x264 CRF {}, SVT-AV1 CRF {})",
            target.top_vmaf,
            vmaf_for_qvbr(f64::from(level)),
            x264_crf_for_qvbr(f64::from(level)),
            av1_crf_for_qvbr(f64::from(level)),
        ));
        match measure {
            Some(m) => per_title_rungs(plan, target, m),
            None => plan.reasons.push(
                "no complexity measure (the pass runs where ffmpeg does: the twin, the bench): the policy's rungs and caps; QVBR adapts the bits inside each rung"
                    .to_owned(),
            ),
        }
    }
    if av1_tier {
        let gop_frames = (plan.gop_seconds
            * fps.filter(|f| f.is_finite() && *f > 0.0).unwrap_or(30.0))
        .round()
        .clamp(1.0, 1000.0) as u32;
        let rungs = plan
            .rungs
            .iter()
            .map(|r| Rung {
                name: format!("_av1{}", r.name),
                max_bitrate_bps: ((r.max_bitrate_bps as f64) * AV1_CAP_SHARE).max(1000.0) as u64,
                ..r.clone()
            })
            .collect::<Vec<_>>();
        plan.reasons.push(format!(
            "AV1 tier by policy: {} AV1 rung(s) beside the H.264 ones, caps at {:.0}% of H.264's, GOP {gop_frames} frames",
            rungs.len(),
            AV1_CAP_SHARE * 100.0
        ));
        plan.av1 = Some(Av1Tier { rungs, gop_frames });
    }
}

fn per_title_rungs(plan: &mut LadderPlan, target: &TargetQuality, m: &ComplexityMeasure) {
    let measured = |r: &Rung| {
        let short = r.width.min(r.height);
        m.rungs.iter().find(|x| x.short_side == short).cloned()
    };
    let measures: Vec<Option<RungMeasure>> = plan.rungs.iter().map(measured).collect();
    let name = |i: usize| plan.rungs[i].name.trim_start_matches('_').to_owned();
    let n = plan.rungs.len();
    let best = measures
        .iter()
        .flatten()
        .map(|x| x.display_vmaf)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut keep = vec![true; n];
    let mut reasons = Vec::new();
    // A larger rung its smaller neighbour covers within the step (the smallest always stays).
    for i in 0..n.saturating_sub(1) {
        let (Some(here), Some(below)) = (&measures[i], &measures[i + 1]) else {
            continue;
        };
        if below.display_vmaf >= here.display_vmaf - target.step_vmaf
            && below.display_vmaf >= best - target.step_vmaf
        {
            keep[i] = false;
            reasons.push(format!(
                "{} dropped: {} scores {:.1} VMAF at the top size against its {:.1} (within the {:.1} step), for {:.0}% of its bits",
                name(i),
                name(i + 1),
                below.display_vmaf,
                here.display_vmaf,
                target.step_vmaf,
                percent(below.bitrate_bps, here.bitrate_bps)
            ));
        }
    }
    // A smaller rung that saves too little against the kept rung above it.
    let mut above: Option<usize> = None;
    for j in 0..n {
        if !keep[j] {
            continue;
        }
        if let (Some(a), Some(here), true) = (above, &measures[j], j + 1 < n)
            && let Some(up) = &measures[a]
            && (here.bitrate_bps as f64) >= (1.0 - MIN_BANDWIDTH_SAVING) * up.bitrate_bps as f64
        {
            keep[j] = false;
            let saving = 100.0 - percent(here.bitrate_bps, up.bitrate_bps);
            reasons.push(if saving > 0.0 {
                format!(
                    "{} dropped: it would save only {saving:.0}% of {}'s bits ({} vs {} kbit/s)",
                    name(j),
                    name(a),
                    here.bitrate_bps / 1000,
                    up.bitrate_bps / 1000
                )
            } else {
                format!(
                    "{} dropped: it would need more bits than {} ({} vs {} kbit/s)",
                    name(j),
                    name(a),
                    here.bitrate_bps / 1000,
                    up.bitrate_bps / 1000
                )
            });
            continue;
        }
        above = Some(j);
    }
    let mut kept: Vec<Rung> = Vec::new();
    for (i, rung) in plan.rungs.iter().enumerate() {
        if !keep[i] {
            continue;
        }
        let mut rung = rung.clone();
        if let Some(x) = &measures[i] {
            let policy_cap = rung.max_bitrate_bps;
            let cap = ((x.bitrate_bps as f64) * CAP_OVER_MEASURED)
                .clamp(policy_cap as f64 / 4.0, policy_cap as f64) as u64;
            if cap < policy_cap {
                reasons.push(format!(
                    "{} cap {} kbit/s (measured {} kbit/s by {}; policy cap {} kbit/s)",
                    name(i),
                    cap / 1000,
                    x.bitrate_bps / 1000,
                    m.method,
                    policy_cap / 1000
                ));
            }
            rung.max_bitrate_bps = cap;
        }
        kept.push(rung);
    }
    plan.rungs = kept;
    plan.reasons.extend(reasons);
}

fn percent(part: u64, whole: u64) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ladder::{LadderPolicy, plan_ladder_measured};
    use crate::probe::{ProbeReport, VideoTrack};

    fn source() -> ProbeReport {
        ProbeReport {
            duration_seconds: Some(600.0),
            video: Some(VideoTrack {
                codec: "h264".into(),
                width: 1920,
                height: 1080,
                frame_rate: Some(30.0),
                ..VideoTrack::default()
            }),
            ..ProbeReport::default()
        }
    }

    /// The seed's four rungs with a 95 VMAF target and a 1-point step.
    fn policy() -> LadderPolicy {
        let mut p = LadderPolicy::default();
        p.rungs
            .retain(|r| [1080, 720, 540, 360].contains(&r.short_side));
        p.target_quality = Some(TargetQuality {
            top_vmaf: 94.0,
            step_vmaf: 1.0,
        });
        p
    }

    fn measure(points: &[(u32, f64, u64)]) -> ComplexityMeasure {
        ComplexityMeasure {
            method: "test".into(),
            rungs: points
                .iter()
                .map(|&(short_side, display_vmaf, kbps)| RungMeasure {
                    short_side,
                    display_vmaf,
                    bitrate_bps: kbps * 1000,
                })
                .collect(),
        }
    }

    fn heights(plan: &LadderPlan) -> Vec<u32> {
        plan.rungs.iter().map(|r| r.height).collect()
    }

    #[test]
    fn a_hard_title_keeps_every_rung_and_the_policy_caps() -> Result<(), crate::ladder::LadderError>
    {
        let m = measure(&[
            (1080, 95.0, 5000),
            (720, 90.0, 2600),
            (540, 84.0, 1500),
            (360, 72.0, 700),
        ]);
        let plan = plan_ladder_measured(&source(), &policy(), Some(&m))?;
        assert_eq!(heights(&plan), vec![1080, 720, 540, 360]);
        assert_eq!(plan.rungs[0].max_bitrate_bps, 6_000_000);
        assert!(plan.rungs.iter().all(|r| r.qvbr_quality_level == 8));
        Ok(())
    }

    #[test]
    fn a_rung_its_smaller_neighbour_covers_within_the_step_is_dropped()
    -> Result<(), crate::ladder::LadderError> {
        // A cartoon: 720p upscaled is within half a point of 1080p.
        let m = measure(&[
            (1080, 96.0, 1200),
            (720, 95.5, 700),
            (540, 92.0, 420),
            (360, 86.0, 250),
        ]);
        let plan = plan_ladder_measured(&source(), &policy(), Some(&m))?;
        assert_eq!(heights(&plan), vec![720, 540, 360]);
        assert!(
            plan.reasons
                .iter()
                .any(|r| r.starts_with("1080p dropped: 720p scores 95.5")),
            "{:?}",
            plan.reasons
        );
        // Caps follow the measured bitrate, never above the policy's.
        assert_eq!(plan.rungs[0].max_bitrate_bps, 1_750_000);
        Ok(())
    }

    #[test]
    fn drops_never_chain_more_than_a_step_below_the_best_rung()
    -> Result<(), crate::ladder::LadderError> {
        let m = measure(&[
            (1080, 96.0, 1200),
            (720, 95.4, 700),
            (540, 94.8, 420),
            (360, 94.2, 250),
        ]);
        let plan = plan_ladder_measured(&source(), &policy(), Some(&m))?;
        // 540p is within a step of 720p but 1.2 below the best: 720p stays.
        assert_eq!(heights(&plan), vec![720, 540, 360]);
        Ok(())
    }

    #[test]
    fn a_smaller_rung_that_saves_too_few_bits_is_dropped_but_never_the_smallest()
    -> Result<(), crate::ladder::LadderError> {
        let m = measure(&[
            (1080, 95.0, 1000),
            (720, 91.0, 900),
            (540, 87.0, 500),
            (360, 80.0, 450),
        ]);
        let plan = plan_ladder_measured(&source(), &policy(), Some(&m))?;
        assert_eq!(heights(&plan), vec![1080, 540, 360]);
        assert!(
            plan.reasons
                .iter()
                .any(|r| r.starts_with("720p dropped: it would save only 10%")),
            "{:?}",
            plan.reasons
        );
        Ok(())
    }

    #[test]
    fn without_a_measure_the_rungs_stay_and_the_reasons_say_why()
    -> Result<(), crate::ladder::LadderError> {
        let plan = plan_ladder_measured(&source(), &policy(), None)?;
        assert_eq!(heights(&plan), vec![1080, 720, 540, 360]);
        assert!(
            plan.reasons
                .iter()
                .any(|r| r.starts_with("no complexity measure"))
        );
        assert!(
            plan.reasons
                .iter()
                .any(|r| r.starts_with("target VMAF 94.0: QVBR level 8"))
        );
        Ok(())
    }

    #[test]
    fn the_av1_tier_mirrors_the_h264_rungs_with_lower_caps_and_a_gop_in_frames()
    -> Result<(), crate::ladder::LadderError> {
        let mut p = policy();
        p.av1_tier = true;
        let plan = plan_ladder_measured(&source(), &p, None)?;
        let tier = plan
            .av1
            .as_ref()
            .ok_or(crate::ladder::LadderError::NothingToTranscode)?;
        assert_eq!(tier.gop_frames, 60);
        assert_eq!(tier.rungs.len(), plan.rungs.len());
        for (a, h) in tier.rungs.iter().zip(&plan.rungs) {
            assert_eq!(
                (a.width, a.height, a.qvbr_quality_level),
                (h.width, h.height, h.qvbr_quality_level)
            );
            assert!(a.max_bitrate_bps < h.max_bitrate_bps);
            assert_eq!(a.name, format!("_av1{}", h.name));
        }
        Ok(())
    }

    #[test]
    fn a_bad_target_is_refused() {
        let mut p = policy();
        p.target_quality = Some(TargetQuality {
            top_vmaf: 120.0,
            step_vmaf: 1.0,
        });
        assert!(p.validate().is_err());
    }
}
