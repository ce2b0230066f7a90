//! Where `vod` finds its resources: flags, then environment variables, then (with `--local`)
//! the local twin's `localstack/twin.json`; and the AWS SDK configuration to reach them.

use crate::env;
use crate::error::{CliError, CliResult};
use std::path::{Path, PathBuf};
use vod_local::TwinFile;
use vod_local::twin_file::TwinFileError;
pub use vod_toolchain::TWIN_FILE;

/// Credentials used with the local twin when `twin.json` names none (moto accepts any).
pub const LOCAL_ACCESS_KEY: &str = "test";

/// Reads the `twin.json` of the repository [`vod_toolchain::repo_root`] finds (`VOD_REPO_ROOT`,
/// else the checkout around the current directory, else the one `vod` was built from).
pub fn discover_twin() -> CliResult<TwinFile> {
    let path = find_twin_file()?;
    load_twin(&path)
}

pub fn load_twin(path: &Path) -> CliResult<TwinFile> {
    TwinFile::load(path).map_err(|e| match e {
        TwinFileError::Read { path, cause } => CliError::read(path, cause),
        TwinFileError::Parse { path, cause } => CliError::bad_input(format!(
            "{} is not a twin description vod understands: {cause}",
            path.display()
        )),
    })
}

/// The twin's data-plane endpoint (moto), at the port `twin.json` names.
pub fn twin_endpoint(twin: &TwinFile) -> String {
    format!("http://127.0.0.1:{}", twin.ports.moto)
}

/// The ARN of the twin's events topic.
pub fn twin_topic_arn(twin: &TwinFile) -> String {
    format!(
        "arn:aws:sns:{}:{}:{}",
        twin.region, twin.account_id, twin.topic_name
    )
}

/// The twin's CDN, at the port `twin.json` names.
pub fn twin_cdn_base_url(twin: &TwinFile) -> String {
    format!("http://127.0.0.1:{}", twin.ports.cdn)
}

fn find_twin_file() -> CliResult<PathBuf> {
    let Some(root) = vod_toolchain::repo_root() else {
        return Err(CliError::bad_input(format!(
            "--local needs {TWIN_FILE}: run vod inside the repository or set {} to its root",
            env::REPO_ROOT
        )));
    };
    let path = root.join(TWIN_FILE);
    if path.is_file() {
        return Ok(path);
    }
    // Only a VOD_REPO_ROOT can name a root without the file.
    Err(CliError::bad_input(format!(
        "{} points at {}, which has no {TWIN_FILE}: point it at the repository root",
        env::REPO_ROOT,
        root.display()
    )))
}

/// Resource names after flags, environment and the twin have been consulted.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub source_bucket: Option<String>,
    pub table: Option<String>,
    pub topic_arn: Option<String>,
    pub cdn: Option<String>,
    pub output_prefix: String,
    pub twin: Option<TwinFile>,
}

/// What the user passed (flags already merged with their env var by clap). Global: they may
/// stand before or after the subcommand.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ResourceFlags {
    /// Use the local twin: names, endpoint and test credentials from localstack/twin.json.
    #[arg(long, global = true)]
    pub local: bool,
    /// Bucket uploads go to.
    #[arg(long, global = true, env = env::SOURCE_BUCKET)]
    pub source_bucket: Option<String>,
    /// DynamoDB table of asset records.
    #[arg(long, global = true, env = env::ASSET_TABLE)]
    pub table: Option<String>,
    /// SNS topic of lifecycle events.
    #[arg(long, global = true, env = env::TOPIC_ARN)]
    pub topic_arn: Option<String>,
    /// CDN base URL serving the outputs.
    #[arg(long, global = true, env = env::CDN_BASE_URL)]
    pub cdn: Option<String>,
}

impl Resources {
    pub fn resolve(flags: ResourceFlags) -> CliResult<Self> {
        let twin = if flags.local || env::local_requested() {
            Some(discover_twin()?)
        } else {
            None
        };
        let or_twin = |given: Option<String>, from: fn(&TwinFile) -> String| {
            given.or_else(|| twin.as_ref().map(from))
        };
        Ok(Self {
            source_bucket: or_twin(flags.source_bucket, |t| t.source_bucket.clone()),
            table: or_twin(flags.table, |t| t.asset_table.clone()),
            topic_arn: or_twin(flags.topic_arn, twin_topic_arn),
            cdn: or_twin(flags.cdn, twin_cdn_base_url).map(|c| c.trim_end_matches('/').to_owned()),
            output_prefix: env::get(env::OUTPUT_PREFIX)
                .or_else(|| twin.as_ref().map(|t| t.output_prefix.clone()))
                .unwrap_or_else(|| vod_aws::config::DEFAULT_OUTPUT_PREFIX.to_owned()),
            twin,
        })
    }

    pub fn source_bucket(&self) -> CliResult<&str> {
        required(
            &self.source_bucket,
            "source bucket",
            "--source-bucket",
            env::SOURCE_BUCKET,
        )
    }

    pub fn table(&self) -> CliResult<&str> {
        required(&self.table, "asset table", "--table", env::ASSET_TABLE)
    }

    pub fn topic_arn(&self) -> CliResult<&str> {
        required(&self.topic_arn, "topic ARN", "--topic-arn", env::TOPIC_ARN)
    }

    pub fn cdn(&self) -> CliResult<&str> {
        required(&self.cdn, "CDN base URL", "--cdn", env::CDN_BASE_URL)
    }

    /// The SDK configuration: the standard chain (env, profile, SSO, IMDS), or the twin's
    /// endpoint, region and test credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        match &self.twin {
            None => loader.load().await,
            Some(twin) => {
                let (id, secret) = twin
                    .credentials
                    .as_ref()
                    .map(|c| (c.access_key_id.clone(), c.secret_access_key.clone()))
                    .unwrap_or_else(|| (LOCAL_ACCESS_KEY.to_owned(), LOCAL_ACCESS_KEY.to_owned()));
                loader
                    .endpoint_url(twin_endpoint(twin))
                    .region(aws_config::Region::new(twin.region.clone()))
                    .credentials_provider(aws_sdk_s3::config::Credentials::new(
                        id,
                        secret,
                        None,
                        None,
                        "vod-local-twin",
                    ))
                    .load()
                    .await
            }
        }
    }
}

fn required<'a>(
    value: &'a Option<String>,
    what: &'static str,
    flag: &'static str,
    env: &'static str,
) -> CliResult<&'a str> {
    value.as_deref().ok_or(CliError::MissingSetting {
        what,
        flag,
        env,
        hint: " (or --local for the local twin)",
    })
}

/// Parses `90s`, `30m`, `2h`, `1d` (the same grammar as `vod sign --expires`).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let delta = vod_signing::parse_duration(text).map_err(|e| e.to_string())?;
    delta
        .to_std()
        .map_err(|_| format!("invalid duration {text:?}"))
}
