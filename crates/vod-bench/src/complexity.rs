//! The complexity pass for `vod-bench plan`: the twin's sampled-chunk measure
//! ([`vod_mediaconvert_local::quality::complexity_pass`]) at the sizes of the fixed ladder's
//! rungs, with the pinned ffmpeg the twin uses.

use std::path::Path;

use anyhow::Context;
use vod_core::ladder::LadderPlan;
use vod_core::pertitle::{ComplexityMeasure, TargetQuality};
use vod_core::quality::qvbr_for_vmaf;
use vod_mediaconvert_local::quality::{CHUNK_SECONDS, Samples, complexity_pass};

pub async fn measure(
    path: &Path,
    fixed: &LadderPlan,
    target: &TargetQuality,
) -> anyhow::Result<ComplexityMeasure> {
    let ffmpeg = vod_mediaconvert_local::find_ffmpeg()?;
    let input = vod_mediaconvert_local::identify(path)
        .await
        .map_err(|f| anyhow::anyhow!("{}", f.message))?;
    let source = vod_mediaconvert_local::probe(&ffmpeg, &input)
        .await
        .map_err(|f| anyhow::anyhow!("{}", f.message))?;
    let sizes: Vec<(u32, u32)> = fixed.rungs.iter().map(|r| (r.width, r.height)).collect();
    let level = f64::from(qvbr_for_vmaf(target.top_vmaf));
    tokio::task::spawn_blocking(move || {
        let samples = Samples::cut(&ffmpeg, &input, &source, CHUNK_SECONDS)?;
        complexity_pass(&ffmpeg, &samples, &sizes, level)
    })
    .await?
    .context("the complexity pass")
}
