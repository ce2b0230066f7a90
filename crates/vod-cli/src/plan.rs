//! `vod job plan`: the CreateJob body MediaConvert would receive for a probe report, without
//! calling MediaConvert (the SDK serializes the request; it is captured, never sent).

use crate::error::{CliError, CliResult};
use crate::settings::Resources;
use crate::{env, exit, print_json};
use clap::Args;
use serde_json::Value;
use std::path::{Path, PathBuf};
use vod_aws::mediaconvert::{JobOptions, plan_request_body};
use vod_core::AssetId;
use vod_core::job::JobSpec;
use vod_core::ladder::{LadderPlan, LadderPolicy, plan_ladder};
use vod_core::probe::ProbeReport;

/// Revision used to derive an asset id for a bare probe report (no record, so no ETag).
pub const PLAN_ONLY_REVISION: &str = "vod-job-plan";

/// Role ARN put into the body when neither `--role` nor the twin names one.
pub const PLACEHOLDER_ROLE_ARN: &str = "arn:aws:iam::000000000000:role/vod-mediaconvert";

#[derive(Debug, Args)]
pub struct PlanArgs {
    pub probe: PathBuf,
    /// MediaConvert role ARN.
    #[arg(long, env = env::MEDIACONVERT_ROLE_ARN)]
    pub role: Option<String>,
    /// Ladder policy (JSON or TOML).
    #[arg(long, env = env::LADDER_POLICY_FILE)]
    pub policy: Option<PathBuf>,
    /// Source URI (default: the record's source, else s3://<source bucket>/<probe file stem>).
    // The doc line is the help line, printed as written: the placeholders are not HTML.
    #[allow(rustdoc::invalid_html_tags)]
    #[arg(long)]
    pub input: Option<String>,
    #[arg(long, env = env::OUTPUT_BUCKET)]
    pub output_bucket: Option<String>,
    #[arg(long, env = env::PIPELINE_NAME)]
    pub pipeline: Option<String>,
}

/// The ladder in words on stderr, the CreateJob body as JSON on stdout. Flags win, then the
/// twin's names (with `--local`), then placeholders.
pub async fn run(args: PlanArgs, resources: &Resources) -> CliResult<u8> {
    let PlanArgs {
        probe,
        role,
        policy,
        input,
        output_bucket,
        pipeline,
    } = args;
    let twin = resources.twin.as_ref();
    let probe_input = read_probe(&probe)?;
    let policy = read_policy(policy.as_deref())?;
    let role_arn = match role.or_else(|| twin.map(|t| t.media_convert_role_arn.clone())) {
        Some(role) => role,
        None => {
            eprintln!(
                "note: no --role / {}; using the placeholder {PLACEHOLDER_ROLE_ARN}",
                env::MEDIACONVERT_ROLE_ARN
            );
            PLACEHOLDER_ROLE_ARN.to_owned()
        }
    };
    let input_uri = input.or(probe_input.input_uri.clone()).unwrap_or_else(|| {
        let bucket = resources
            .source_bucket
            .clone()
            .unwrap_or_else(|| "vod-source".to_owned());
        let stem = probe
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "source".to_owned());
        format!("s3://{bucket}/{stem}")
    });
    let target = PlanTarget {
        input_uri,
        output_bucket: output_bucket
            .or_else(|| twin.map(|t| t.output_bucket.clone()))
            .unwrap_or_else(|| "vod-output".to_owned()),
        output_prefix: resources.output_prefix.clone(),
        pipeline: pipeline
            .or_else(|| twin.map(|t| t.pipeline_name.clone()))
            .unwrap_or_else(|| "vod".to_owned()),
        role_arn,
    };
    let planned = plan(&probe_input, &policy, &target).await?;
    eprintln!("ladder for {}:", probe.display());
    for rung in &planned.plan.rungs {
        eprintln!(
            "  {} {}x{} (QVBR {}, max {} kb/s)",
            rung.name,
            rung.width,
            rung.height,
            rung.qvbr_quality_level,
            rung.max_bitrate_bps / 1000
        );
    }
    for audio in &planned.plan.audio {
        eprintln!(
            "  audio {} {} ch {} kb/s",
            audio.name,
            audio.channels,
            audio.bitrate_bps / 1000
        );
    }
    for reason in &planned.plan.reasons {
        eprintln!("  - {reason}");
    }
    print_json(&planned.body)?;
    Ok(exit::OK)
}

/// What the probe file held: a bare report, or a record with its id and source.
#[derive(Debug, Clone)]
pub struct ProbeInput {
    pub report: ProbeReport,
    pub asset_id: Option<AssetId>,
    pub input_uri: Option<String>,
}

pub fn read_probe(path: &Path) -> CliResult<ProbeInput> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::read(path, e))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::bad_input(format!("{} is not JSON: {e}", path.display())))?;
    let not_a_probe = |e: serde_json::Error| {
        CliError::bad_input(format!(
            "{} is neither a probe report nor an asset record with a `probe` field: {e}",
            path.display()
        ))
    };
    if let Some(probe) = value.get("probe") {
        let report = serde_json::from_value(probe.clone()).map_err(not_a_probe)?;
        let asset_id = value
            .get("assetId")
            .and_then(Value::as_str)
            .and_then(|s| AssetId::parse(s).ok());
        let bucket = value.pointer("/source/bucket").and_then(Value::as_str);
        let key = value
            .pointer("/source/resolvedKey")
            .or_else(|| value.pointer("/source/key/decoded"))
            .and_then(Value::as_str);
        let input_uri = bucket.zip(key).map(|(b, k)| format!("s3://{b}/{k}"));
        Ok(ProbeInput {
            report,
            asset_id,
            input_uri,
        })
    } else {
        Ok(ProbeInput {
            report: serde_json::from_value(value).map_err(not_a_probe)?,
            asset_id: None,
            input_uri: None,
        })
    }
}

pub fn read_policy(path: Option<&Path>) -> CliResult<LadderPolicy> {
    match path {
        None => Ok(LadderPolicy::default()),
        Some(p) => vod_aws::config::load_ladder_policy(p).map_err(|e| {
            CliError::bad_input(format!(
                "{e}; fix the file or drop --policy / VOD_LADDER_POLICY_FILE"
            ))
        }),
    }
}

/// Job-level choices that do not come from the probe.
#[derive(Debug, Clone)]
pub struct PlanTarget {
    pub input_uri: String,
    pub output_bucket: String,
    pub output_prefix: String,
    pub pipeline: String,
    pub role_arn: String,
}

#[derive(Debug)]
pub struct Planned {
    pub plan: LadderPlan,
    pub body: Value,
}

pub async fn plan(
    input: &ProbeInput,
    policy: &LadderPolicy,
    target: &PlanTarget,
) -> CliResult<Planned> {
    let plan = plan_ladder(&input.report, policy)
        .map_err(|e| CliError::bad_input(format!("no job can be planned for this source: {e}")))?;
    let asset_id = input.asset_id.clone().unwrap_or_else(|| {
        let (bucket, key) = split_s3_uri(&target.input_uri).unwrap_or(("", &target.input_uri));
        AssetId::derive(bucket, key, PLAN_ONLY_REVISION)
    });
    let spec = JobSpec::new(
        asset_id,
        target.input_uri.clone(),
        &target.output_bucket,
        &target.output_prefix,
        plan.clone(),
        &target.pipeline,
    );
    let body = plan_request_body(&spec, &JobOptions::new(&target.role_arn))
        .await
        .map_err(|e| CliError::bad_input(format!("the job body could not be produced: {e}")))?;
    Ok(Planned { plan, body })
}

/// `s3://bucket/key` → (`bucket`, `key`).
pub fn split_s3_uri(uri: &str) -> Option<(&str, &str)> {
    uri.strip_prefix("s3://")?.split_once('/')
}
