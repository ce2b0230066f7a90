//! `vod-bench job-body`, `vod-bench plan` and `vod-bench probe`: what vod-probe reads of a
//! local file, and the CreateJob body our job builder makes from it (per-title with the twin's
//! complexity pass for `plan`).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use vod_aws::config::load_ladder_policy;
use vod_aws::mediaconvert::{JobOptions, plan_request_body};
use vod_core::asset_id::AssetId;
use vod_core::job::JobSpec;
use vod_core::ladder::{LadderPlan, LadderPolicy, plan_ladder, plan_ladder_measured};
use vod_core::ports::{ObjectRange, ObjectVersion};
use vod_core::probe::{ProbeOutcome, ProbeReport};
use vod_testkit::FileMediaReader;

use crate::spread::Spread;

const BUCKET: &str = "src-bucket";

/// One probe of `path`: the outcome, bytes read, read requests and seconds taken.
async fn probe_file(path: &Path) -> anyhow::Result<(ProbeOutcome, u64, usize, f64)> {
    let size = std::fs::metadata(path)
        .with_context(|| path.display().to_string())?
        .len();
    let reader = FileMediaReader::new(path);
    let key = file_name(path);
    let started = Instant::now();
    let outcome = vod_probe::probe(ObjectRange {
        reader: &reader,
        bucket: BUCKET,
        key: &key,
        size,
        version: &ObjectVersion::ANY,
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok((
        outcome,
        reader.log.bytes_read(),
        reader.log.reads().len(),
        seconds,
    ))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The CreateJob body job-submit would send for `path`: probe, ladder policy (the default, or
/// the file `VOD_LADDER_POLICY_FILE` names, loaded as job-submit loads it), job builder.
pub async fn job_body(path: &Path) -> anyhow::Result<Value> {
    let (report, policy) = probe_and_policy(path).await?;
    body_for(path, plan_ladder(&report, &policy)?).await
}

/// `vod-bench plan FILE`: [`job_body`] with the twin's complexity pass when the policy has a
/// quality target: `{"body", "plan" (rungs and reasons), "measure"}`.
pub async fn per_title_plan(path: &Path) -> anyhow::Result<Value> {
    let (report, policy) = probe_and_policy(path).await?;
    let fixed = plan_ladder(&report, &policy)?;
    let measure = match (&policy.target_quality, fixed.rungs.is_empty()) {
        (Some(target), false) => Some(crate::complexity::measure(path, &fixed, target).await?),
        _ => None,
    };
    let plan = plan_ladder_measured(&report, &policy, measure.as_ref())?;
    let body = body_for(path, plan.clone()).await?;
    Ok(json!({ "body": body, "plan": plan, "measure": measure }))
}

async fn probe_and_policy(path: &Path) -> anyhow::Result<(ProbeReport, LadderPolicy)> {
    let (outcome, _, _, _) = probe_file(path).await?;
    let report = match outcome {
        ProbeOutcome::Accepted { report } => report,
        ProbeOutcome::Rejected { rejection } => bail!("probe rejected the file: {rejection:?}"),
    };
    let policy = match std::env::var_os(vod_core::contracts::LADDER_POLICY_FILE) {
        Some(file) if !file.is_empty() => load_ladder_policy(Path::new(&file))?,
        _ => LadderPolicy::default(),
    };
    Ok((report, policy))
}

async fn body_for(path: &Path, plan: LadderPlan) -> anyhow::Result<Value> {
    let key = format!("uploads/{}", file_name(path));
    let spec = JobSpec::new(
        AssetId::derive(BUCKET, &key, "bench"),
        format!("s3://{BUCKET}/{key}"),
        "out-bucket",
        "assets/",
        plan,
        "bench",
    );
    let options = JobOptions::new("arn:aws:iam::000000000000:role/MediaConvertRole");
    Ok(plan_request_body(&spec, &options).await?)
}

/// Bytes read, read requests and probe time (ms, over `repeats` probes) of each `LABEL=FILE`.
pub async fn probe_many(repeats: usize, files: &[String]) -> anyhow::Result<Value> {
    let mut out = Vec::new();
    for arg in files {
        let (label, file) = arg.split_once('=').unwrap_or((arg.as_str(), arg.as_str()));
        let path = Path::new(file);
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..repeats.max(1) {
            let (outcome, bytes, requests, seconds) = probe_file(path).await?;
            times.push(seconds * 1000.0);
            last = Some((outcome, bytes, requests));
        }
        let (Some((outcome, bytes, requests)), Some(ms)) = (last, Spread::of(times)) else {
            continue;
        };
        out.push(json!({
            "label": label,
            "file_bytes": std::fs::metadata(path)?.len(),
            "accepted": matches!(outcome, ProbeOutcome::Accepted { .. }),
            "bytes_read": bytes,
            "read_requests": requests,
            "ms_median": ms.median,
            "ms_min": ms.min,
            "ms_max": ms.max,
            "repeats": repeats,
        }));
    }
    Ok(Value::Array(out))
}
