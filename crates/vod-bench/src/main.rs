//! `vod-bench`: small helpers driven by `bench/run.sh`. Prints JSON; asserts nothing.
//!
//! - `vod-bench job-body FILE`: probes FILE with `vod-probe` (ranged reads), applies the ladder
//!   policy (the default, or the file named by `VOD_LADDER_POLICY_FILE`, loaded as job-submit
//!   loads it) and prints the CreateJob body our job builder (`vod-aws`) sends for it.
//! - `vod-bench probe REPEATS LABEL=FILE...`: bytes read, read requests and probe time per file.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use vod_aws::config::load_ladder_policy;
use vod_aws::mediaconvert::{JobOptions, plan_request_body};
use vod_core::asset_id::AssetId;
use vod_core::job::JobSpec;
use vod_core::ladder::{LadderPolicy, plan_ladder};
use vod_core::ports::ObjectRange;
use vod_core::probe::ProbeOutcome;
use vod_testkit::FileMediaReader;

const BUCKET: &str = "src-bucket";

async fn probe_file(path: &Path) -> anyhow::Result<(ProbeOutcome, u64, usize, f64)> {
    let size = std::fs::metadata(path)
        .with_context(|| path.display().to_string())?
        .len();
    let reader = FileMediaReader::new(path);
    let key = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let started = Instant::now();
    let outcome = vod_probe::probe(ObjectRange {
        reader: &reader,
        bucket: BUCKET,
        key: &key,
        size,
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

async fn job_body(path: &Path) -> anyhow::Result<Value> {
    let (outcome, _, _, _) = probe_file(path).await?;
    let report = match outcome {
        ProbeOutcome::Accepted { report } => report,
        ProbeOutcome::Rejected { rejection } => bail!("probe rejected the file: {rejection:?}"),
    };
    let policy = match std::env::var_os(vod_core::contracts::LADDER_POLICY_FILE) {
        Some(file) if !file.is_empty() => load_ladder_policy(Path::new(&file))?,
        _ => LadderPolicy::default(),
    };
    let plan = plan_ladder(&report, &policy)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let key = format!("uploads/{name}");
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

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

async fn probe_many(repeats: usize, files: &[String]) -> anyhow::Result<Value> {
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
        let Some((outcome, bytes, requests)) = last else {
            continue;
        };
        let accepted = matches!(outcome, ProbeOutcome::Accepted { .. });
        let min = times.iter().copied().fold(f64::INFINITY, f64::min);
        let max = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        out.push(json!({
            "label": label,
            "file_bytes": std::fs::metadata(path)?.len(),
            "accepted": accepted,
            "bytes_read": bytes,
            "read_requests": requests,
            "ms_median": median(&mut times),
            "ms_min": min,
            "ms_max": max,
            "repeats": repeats,
        }));
    }
    Ok(Value::Array(out))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let value = match args.first().map(String::as_str) {
        Some("job-body") if args.len() == 2 => runtime.block_on(job_body(Path::new(&args[1])))?,
        Some("probe") if args.len() >= 3 => {
            let repeats: usize = args[1].parse().context("REPEATS")?;
            runtime.block_on(probe_many(repeats, &args[2..]))?
        }
        _ => bail!("usage: vod-bench job-body FILE | vod-bench probe REPEATS LABEL=FILE..."),
    };
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}
