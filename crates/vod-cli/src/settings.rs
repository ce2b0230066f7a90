//! Where `vod` finds its resources: flags, then environment variables, then (with `--local`)
//! the local twin's `localstack/twin.json`; and the AWS SDK configuration to reach them.

use crate::env;
use crate::error::{CliError, CliResult};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Path of the twin description relative to the repository root.
pub const TWIN_FILE: &str = "localstack/twin.json";
/// Credentials used with the local twin when `twin.json` names none (moto accepts any).
pub const LOCAL_ACCESS_KEY: &str = "test";

/// The local twin's names and ports (the parts `vod` needs).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Twin {
    pub region: String,
    pub account_id: String,
    pub pipeline_name: String,
    pub source_bucket: String,
    pub output_bucket: String,
    pub output_prefix: String,
    pub asset_table: String,
    pub topic_name: String,
    pub media_convert_role_arn: String,
    pub ports: TwinPorts,
    #[serde(default)]
    pub credentials: Option<TwinCredentials>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TwinPorts {
    pub moto: u16,
    pub cdn: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwinCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl Twin {
    /// Reads `twin.json` from `VOD_REPO_ROOT`, else from the first ancestor of the current
    /// directory that has one.
    pub fn discover() -> CliResult<Self> {
        let path = find_twin_file()?;
        Self::load(&path)
    }

    pub fn load(path: &Path) -> CliResult<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| CliError::read(path, e))?;
        serde_json::from_str(&text).map_err(|e| {
            CliError::bad_input(format!(
                "{} is not a twin description vod understands: {e}",
                path.display()
            ))
        })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.moto)
    }

    pub fn topic_arn(&self) -> String {
        format!(
            "arn:aws:sns:{}:{}:{}",
            self.region, self.account_id, self.topic_name
        )
    }

    pub fn cdn_base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.cdn)
    }
}

fn find_twin_file() -> CliResult<PathBuf> {
    if let Some(root) = env::get(env::REPO_ROOT) {
        let path = Path::new(&root).join(TWIN_FILE);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(CliError::bad_input(format!(
                "{} points at {root}, which has no {TWIN_FILE}: point it at the repository root",
                env::REPO_ROOT
            )))
        };
    }
    let cwd = std::env::current_dir().map_err(|e| CliError::read(".", e))?;
    cwd.ancestors()
        .map(|dir| dir.join(TWIN_FILE))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            CliError::bad_input(format!(
                "--local needs {TWIN_FILE}: run vod inside the repository or set {} to its root",
                env::REPO_ROOT
            ))
        })
}

/// Resource names after flags, environment and the twin have been consulted.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub source_bucket: Option<String>,
    pub table: Option<String>,
    pub topic_arn: Option<String>,
    pub cdn: Option<String>,
    pub output_prefix: String,
    pub twin: Option<Twin>,
}

/// What the user passed (flags already merged with their env var by clap).
#[derive(Debug, Clone, Default)]
pub struct ResourceFlags {
    pub source_bucket: Option<String>,
    pub table: Option<String>,
    pub topic_arn: Option<String>,
    pub cdn: Option<String>,
    pub local: bool,
}

impl Resources {
    pub fn resolve(flags: ResourceFlags) -> CliResult<Self> {
        let twin = if flags.local || env::local_requested() {
            Some(Twin::discover()?)
        } else {
            None
        };
        let or_twin = |given: Option<String>, from: fn(&Twin) -> String| {
            given.or_else(|| twin.as_ref().map(from))
        };
        Ok(Self {
            source_bucket: or_twin(flags.source_bucket, |t| t.source_bucket.clone()),
            table: or_twin(flags.table, |t| t.asset_table.clone()),
            topic_arn: or_twin(flags.topic_arn, Twin::topic_arn),
            cdn: or_twin(flags.cdn, Twin::cdn_base_url).map(|c| c.trim_end_matches('/').to_owned()),
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
                    .endpoint_url(twin.endpoint())
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
