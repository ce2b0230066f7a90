//! The facts both homes (AWS via CDK, and the local twin) must agree on: which Lambdas exist,
//! their binary names, their `${...}` placeholders in the state machine, and the environment
//! variables each one requires. [`ENV_VARS`] is the only list of who reads what: vod-aws's
//! `Config` reads exactly these names, refuses to start a function without its `required_by`
//! ones and hands a function only the variables listed for it; the CDK app sets exactly these
//! names (checked by a test against `docs/contracts/lambdas.json`, which [`contract_json`]
//! generates).

use serde::Serialize;

/// One of the four per-stage Lambdas, or the reconciler that finishes what they left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LambdaFunction {
    IngestProbe,
    JobSubmit,
    CompletionHandler,
    Notifier,
    /// On a schedule: finishes records whose execution died or overran its bounds.
    Reconciler,
}

impl LambdaFunction {
    pub const ALL: [LambdaFunction; 5] = [
        Self::IngestProbe,
        Self::JobSubmit,
        Self::CompletionHandler,
        Self::Notifier,
        Self::Reconciler,
    ];

    /// The `src/bin/` name in vod-functions and the cargo-lambda `binaryName`.
    pub fn binary_name(self) -> &'static str {
        match self {
            Self::IngestProbe => "ingest-probe",
            Self::JobSubmit => "job-submit",
            Self::CompletionHandler => "completion-handler",
            Self::Notifier => "notifier",
            Self::Reconciler => "reconciler",
        }
    }

    /// Memory of the deployed function in MB (the CDK app reads it from `lambdas.json`).
    pub const fn memory_mb(self) -> u32 {
        match self {
            Self::IngestProbe => 512,
            Self::JobSubmit | Self::CompletionHandler | Self::Reconciler => 256,
            Self::Notifier => 128,
        }
    }

    /// How long one invocation may run before Lambda kills it and reports
    /// [`crate::error_names::SANDBOX_TIMED_OUT`]: the CDK app's `timeout` (through
    /// `lambdas.json`) and the local twin's in-process limit are both this number. The probe
    /// does ranged reads and parsing; the others make a few small API calls, but the
    /// reconciler makes them for every in-flight asset (a page at a time; what it does not
    /// reach, the next run does).
    pub const fn timeout_seconds(self) -> u32 {
        match self {
            Self::IngestProbe => 60,
            Self::JobSubmit | Self::CompletionHandler => 30,
            Self::Notifier => 15,
            Self::Reconciler => 300,
        }
    }

    /// [`Self::timeout_seconds`] as a duration.
    pub fn timeout(self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.timeout_seconds()))
    }

    /// The `${...}` placeholder name in the ASL definition, when the state machine calls it.
    /// The completion handler and the reconciler are invoked by EventBridge rules, not by the
    /// state machine.
    pub fn asl_placeholder(self) -> Option<&'static str> {
        match self {
            Self::IngestProbe => Some("IngestProbeFunctionArn"),
            Self::JobSubmit => Some("JobSubmitFunctionArn"),
            Self::CompletionHandler | Self::Reconciler => None,
            Self::Notifier => Some("NotifierFunctionArn"),
        }
    }

    /// Environment variables this Lambda cannot start without.
    pub fn required_env(self) -> Vec<&'static str> {
        ENV_VARS
            .iter()
            .filter(|v| v.required_by.contains(&self))
            .map(|v| v.name)
            .collect()
    }
}

/// A documented environment variable of the pipeline.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: &'static str,
    pub doc: &'static str,
    /// Lambdas that fail at start-up without it.
    pub required_by: &'static [LambdaFunction],
    /// Lambdas that read it when present.
    pub optional_for: &'static [LambdaFunction],
}

use LambdaFunction::*;

/// DynamoDB table holding one record per asset.
pub const ASSET_TABLE: &str = "VOD_ASSET_TABLE";
/// Bucket MediaConvert writes renditions into (and where the storyboard goes).
pub const OUTPUT_BUCKET: &str = "VOD_OUTPUT_BUCKET";
/// Key prefix under the output bucket; each asset lives under `<prefix><assetId>/`.
pub const OUTPUT_PREFIX: &str = "VOD_OUTPUT_PREFIX";
/// SNS topic that receives lifecycle events.
pub const TOPIC_ARN: &str = "VOD_TOPIC_ARN";
/// IAM role MediaConvert assumes to read sources and write outputs.
pub const MEDIACONVERT_ROLE_ARN: &str = "VOD_MEDIACONVERT_ROLE_ARN";
/// MediaConvert queue ARN; the account's default queue when unset.
pub const MEDIACONVERT_QUEUE_ARN: &str = "VOD_MEDIACONVERT_QUEUE_ARN";
/// `DISABLED` (default), `ENABLED` or `PREFERRED`: MediaConvert accelerated transcoding.
pub const MEDIACONVERT_ACCELERATION: &str = "VOD_MEDIACONVERT_ACCELERATION";
/// Base URL of the CDN serving the output bucket (CloudFront domain, or the local CDN).
pub const CDN_BASE_URL: &str = "VOD_CDN_BASE_URL";
/// Name of this pipeline (the stack name), put in each job's `UserMetadata` so the
/// MediaConvert event rule only forwards this pipeline's jobs.
pub const PIPELINE_NAME: &str = "VOD_PIPELINE_NAME";
/// Path of a JSON or TOML file overriding the default ladder policy.
pub const LADDER_POLICY_FILE: &str = "VOD_LADDER_POLICY_FILE";
/// Seconds the Transcode state waits between job events before it fails the asset.
pub const TRANSCODE_HEARTBEAT_SECONDS: &str = "VOD_TRANSCODE_HEARTBEAT_SECONDS";

/// How often the completion handler's queue keeper runs ([`crate::job::CallbackTimeouts`]): an
/// EventBridge schedule on AWS (the CDK app reads this from `lambdas.json`), a timer in the
/// local twin. Well below the Transcode heartbeat (1800 s), so a queued job is heartbeated
/// several times per heartbeat window.
pub const QUEUE_KEEPER_PERIOD_SECONDS: u32 = 300;

/// How often the reconciler runs ([`crate::reconcile`]): an EventBridge schedule on AWS (the
/// CDK app reads this from `lambdas.json`), a timer in the local twin. Its bounds are tens of
/// minutes to hours, so five minutes finishes a stuck asset soon after its bound passes
/// without paying for a DescribeExecution per in-flight asset every minute.
pub const RECONCILER_PERIOD_SECONDS: u32 = 300;

pub const ENV_VARS: &[EnvVar] = &[
    EnvVar {
        name: ASSET_TABLE,
        doc: "DynamoDB table holding one record per asset.",
        required_by: &[
            IngestProbe,
            JobSubmit,
            CompletionHandler,
            Notifier,
            Reconciler,
        ],
        optional_for: &[],
    },
    EnvVar {
        name: OUTPUT_BUCKET,
        doc: "Bucket MediaConvert writes renditions into; the storyboard is written beside them. The reconciler lists an asset's outputs there when its COMPLETE event was lost.",
        required_by: &[JobSubmit, CompletionHandler, Reconciler],
        optional_for: &[],
    },
    EnvVar {
        name: OUTPUT_PREFIX,
        doc: "Key prefix for outputs; each asset lives under <prefix><assetId>/. Default: assets/",
        required_by: &[],
        optional_for: &[JobSubmit, CompletionHandler, Reconciler],
    },
    EnvVar {
        name: TOPIC_ARN,
        doc: "SNS topic that receives the versioned lifecycle events (the notifier's, and the reconciler's when it finishes an asset whose execution is gone).",
        required_by: &[Notifier, Reconciler],
        optional_for: &[],
    },
    EnvVar {
        name: MEDIACONVERT_ROLE_ARN,
        doc: "IAM role MediaConvert assumes to read sources and write outputs.",
        required_by: &[JobSubmit],
        optional_for: &[],
    },
    EnvVar {
        name: MEDIACONVERT_QUEUE_ARN,
        doc: "MediaConvert queue ARN; the account's Default queue when unset. The completion handler's queue keeper lists the jobs waiting in it; the reconciler looks for an asset's jobs there.",
        required_by: &[],
        optional_for: &[JobSubmit, CompletionHandler, Reconciler],
    },
    EnvVar {
        name: MEDIACONVERT_ACCELERATION,
        doc: "MediaConvert accelerated transcoding: DISABLED (default), ENABLED or PREFERRED.",
        required_by: &[],
        optional_for: &[JobSubmit],
    },
    EnvVar {
        name: CDN_BASE_URL,
        doc: "Base URL of the CDN serving the output bucket, e.g. https://d111.cloudfront.net",
        required_by: &[CompletionHandler, Reconciler],
        optional_for: &[],
    },
    EnvVar {
        name: PIPELINE_NAME,
        doc: "Pipeline (stack) name stamped into each job's UserMetadata as vodPipeline; the MediaConvert event rule matches it, and the queue keeper heartbeats only this pipeline's queued jobs, and the reconciler cancels only this pipeline's jobs.",
        required_by: &[JobSubmit, CompletionHandler, Reconciler],
        optional_for: &[],
    },
    EnvVar {
        name: LADDER_POLICY_FILE,
        doc: "Path of a JSON or TOML file that replaces the default ladder policy.",
        required_by: &[],
        optional_for: &[JobSubmit],
    },
    EnvVar {
        name: TRANSCODE_HEARTBEAT_SECONDS,
        doc: "Longest silence (seconds) between a running job's events before the Transcode state fails the asset; default 1800. Queued jobs are kept alive by the queue keeper, whose period must stay well below it.",
        required_by: &[],
        optional_for: &[IngestProbe],
    },
];

/// The contract as JSON, checked in at `docs/contracts/lambdas.json` for the CDK tests.
pub fn contract_json() -> serde_json::Value {
    let lambdas: Vec<_> = LambdaFunction::ALL
        .iter()
        .map(|f| {
            serde_json::json!({
                "function": f,
                "binaryName": f.binary_name(),
                "aslPlaceholder": f.asl_placeholder(),
                "memoryMb": f.memory_mb(),
                "timeoutSeconds": f.timeout_seconds(),
                "requiredEnv": f.required_env(),
                "optionalEnv": ENV_VARS.iter().filter(|v| v.optional_for.contains(f)).map(|v| v.name).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "lambdas": lambdas,
        "envVars": ENV_VARS,
        "errorNames": crate::error_names::ALL,
        "queueKeeperPeriodSeconds": QUEUE_KEEPER_PERIOD_SECONDS,
        "reconcilerPeriodSeconds": RECONCILER_PERIOD_SECONDS,
    })
}
