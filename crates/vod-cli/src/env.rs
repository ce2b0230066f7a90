//! Every environment variable `vod` reads, in one place (flags override them).
//!
//! The AWS SDK's own settings are read by the SDK, not here: credentials and region
//! (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, `AWS_REGION`, …) and endpoints (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB`, …), which is how one binary talks to AWS
//! or to the local twin. `--local` replaces them with the twin's values.

/// Bucket uploads go to (`--source-bucket`).
pub const SOURCE_BUCKET: &str = "VOD_SOURCE_BUCKET";
/// DynamoDB table of asset records (`--table`); the Lambdas read the same name.
pub const ASSET_TABLE: &str = vod_core::contracts::ASSET_TABLE;
/// SNS topic of lifecycle events (`--topic-arn`); the notifier reads the same name.
pub const TOPIC_ARN: &str = vod_core::contracts::TOPIC_ARN;
/// CDN base URL, e.g. `https://d111.cloudfront.net` (`--cdn`).
pub const CDN_BASE_URL: &str = vod_core::contracts::CDN_BASE_URL;
/// Key prefix of each asset's outputs (default `assets/`); used by `playback` and `job plan`.
pub const OUTPUT_PREFIX: &str = vod_core::contracts::OUTPUT_PREFIX;
/// Output bucket shown in `job plan` destinations (`--output-bucket`).
pub const OUTPUT_BUCKET: &str = vod_core::contracts::OUTPUT_BUCKET;
/// Role ARN put into `job plan` bodies (`--role`).
pub const MEDIACONVERT_ROLE_ARN: &str = vod_core::contracts::MEDIACONVERT_ROLE_ARN;
/// Pipeline name stamped into `job plan` user metadata (`--pipeline`).
pub const PIPELINE_NAME: &str = vod_core::contracts::PIPELINE_NAME;
/// JSON or TOML ladder policy for `job plan` (`--policy`).
pub const LADDER_POLICY_FILE: &str = vod_core::contracts::LADDER_POLICY_FILE;
/// `1`/`true`: act as if `--local` were given (the local twin's names, endpoint, credentials).
pub const LOCAL: &str = "VOD_LOCAL";
/// Repository root holding `localstack/twin.json`; otherwise found by walking up from the
/// current directory ([`vod_toolchain::repo_root`]).
pub const REPO_ROOT: &str = vod_toolchain::REPO_ROOT_ENV;
/// CloudFront public-key id for `sign` and `playback` (`--key-pair-id`).
pub const SIGNING_KEY_PAIR_ID: &str = "VOD_SIGNING_KEY_PAIR_ID";
/// PEM file of the CloudFront private key for `sign` and `playback` (`--private-key`).
pub const SIGNING_PRIVATE_KEY_FILE: &str = "VOD_SIGNING_PRIVATE_KEY_FILE";

/// Every variable above with a one-line description (for `vod env` and the docs).
pub const ALL: &[(&str, &str)] = &[
    (SOURCE_BUCKET, "bucket uploads go to"),
    (ASSET_TABLE, "DynamoDB table of asset records"),
    (TOPIC_ARN, "SNS topic of lifecycle events"),
    (CDN_BASE_URL, "CDN base URL serving the outputs"),
    (
        OUTPUT_PREFIX,
        "key prefix of each asset's outputs (default assets/)",
    ),
    (OUTPUT_BUCKET, "output bucket shown by `job plan`"),
    (MEDIACONVERT_ROLE_ARN, "role ARN put into `job plan` bodies"),
    (
        PIPELINE_NAME,
        "pipeline name stamped into `job plan` user metadata",
    ),
    (
        LADDER_POLICY_FILE,
        "JSON or TOML ladder policy for `job plan`",
    ),
    (LOCAL, "1/true: use the local twin (same as --local)"),
    (REPO_ROOT, "repository root holding localstack/twin.json"),
    (
        SIGNING_KEY_PAIR_ID,
        "CloudFront key-pair id for `sign`/`playback`",
    ),
    (
        SIGNING_PRIVATE_KEY_FILE,
        "CloudFront private key PEM for `sign`/`playback`",
    ),
];

/// `vod env`: every variable above with its description.
pub fn run() -> u8 {
    for (name, doc) in ALL {
        println!("{name:<30} {doc}");
    }
    crate::exit::OK
}

/// A variable's value, treating empty as unset.
pub fn get(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// True when `VOD_LOCAL` asks for the twin.
pub fn local_requested() -> bool {
    get(LOCAL).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}
