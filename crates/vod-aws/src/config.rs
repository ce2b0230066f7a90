//! `Config::from_env`: the only place the Lambdas read their environment.
//!
//! Variable names are the documented constants in [`vod_core::contracts`]; each Lambda fails
//! at start-up, naming every missing variable, rather than on its first event. AWS endpoints
//! are not configured here: the SDK's standard settings (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_SFN`, `AWS_ENDPOINT_URL_MEDIACONVERT`, …) select AWS or the local twin.

use std::path::Path;
use vod_core::contracts::{self as env, LambdaFunction};
use vod_core::ladder::LadderPolicy;

/// Output prefix when `VOD_OUTPUT_PREFIX` is unset.
pub const DEFAULT_OUTPUT_PREFIX: &str = "assets/";

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub asset_table: String,
    pub output_bucket: Option<String>,
    pub output_prefix: String,
    pub topic_arn: Option<String>,
    pub mediaconvert_role_arn: Option<String>,
    pub mediaconvert_queue_arn: Option<String>,
    pub mediaconvert_acceleration: Option<String>,
    pub pipeline_name: Option<String>,
    pub cdn_base_url: Option<String>,
    pub ladder_policy: LadderPolicy,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{function} cannot start: missing environment variable(s) {}", names.join(", "))]
    Missing {
        function: &'static str,
        names: Vec<&'static str>,
    },
    #[error("{name} must be one of {allowed}, got '{value}'")]
    Invalid {
        name: &'static str,
        value: String,
        allowed: &'static str,
    },
    #[error("{name} is not set (this function does not need it; a caller asked for it anyway)")]
    NotConfigured { name: &'static str },
    #[error("the ladder policy file {path} cannot be used: {message}")]
    LadderPolicy { path: String, message: String },
}

impl Config {
    /// Reads the process environment for `function`.
    pub fn from_env(function: LambdaFunction) -> Result<Self, ConfigError> {
        Self::from_lookup(function, |name| std::env::var(name).ok())
    }

    /// Same as [`Config::from_env`] over any lookup (tests, the local twin's shared config).
    pub fn from_lookup(
        function: LambdaFunction,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let missing: Vec<&'static str> = function
            .required_env()
            .into_iter()
            .filter(|name| get(name).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(ConfigError::Missing {
                function: function.binary_name(),
                names: missing,
            });
        }
        let acceleration = get(env::MEDIACONVERT_ACCELERATION)
            .map(|v| v.to_ascii_uppercase())
            .map(|v| match v.as_str() {
                "DISABLED" | "ENABLED" | "PREFERRED" => Ok(v),
                _ => Err(ConfigError::Invalid {
                    name: env::MEDIACONVERT_ACCELERATION,
                    value: v.clone(),
                    allowed: "DISABLED, ENABLED, PREFERRED",
                }),
            })
            .transpose()?;
        let ladder_policy = match get(env::LADDER_POLICY_FILE) {
            Some(path) => load_ladder_policy(Path::new(&path))?,
            None => LadderPolicy::default(),
        };
        Ok(Self {
            asset_table: get(env::ASSET_TABLE).unwrap_or_default(),
            output_bucket: get(env::OUTPUT_BUCKET),
            output_prefix: get(env::OUTPUT_PREFIX)
                .unwrap_or_else(|| DEFAULT_OUTPUT_PREFIX.to_owned()),
            topic_arn: get(env::TOPIC_ARN),
            mediaconvert_role_arn: get(env::MEDIACONVERT_ROLE_ARN),
            mediaconvert_queue_arn: get(env::MEDIACONVERT_QUEUE_ARN),
            mediaconvert_acceleration: acceleration,
            pipeline_name: get(env::PIPELINE_NAME),
            cdn_base_url: get(env::CDN_BASE_URL).map(|u| u.trim_end_matches('/').to_owned()),
            ladder_policy,
        })
    }

    pub fn output_bucket(&self) -> Result<&str, ConfigError> {
        required(&self.output_bucket, env::OUTPUT_BUCKET)
    }

    pub fn topic_arn(&self) -> Result<&str, ConfigError> {
        required(&self.topic_arn, env::TOPIC_ARN)
    }

    pub fn mediaconvert_role_arn(&self) -> Result<&str, ConfigError> {
        required(&self.mediaconvert_role_arn, env::MEDIACONVERT_ROLE_ARN)
    }

    pub fn pipeline_name(&self) -> Result<&str, ConfigError> {
        required(&self.pipeline_name, env::PIPELINE_NAME)
    }

    pub fn cdn_base_url(&self) -> Result<&str, ConfigError> {
        required(&self.cdn_base_url, env::CDN_BASE_URL)
    }
}

fn required<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, ConfigError> {
    value.as_deref().ok_or(ConfigError::NotConfigured { name })
}

/// Loads a ladder policy from JSON (`.json`) or TOML (any other extension) and validates it.
pub fn load_ladder_policy(path: &Path) -> Result<LadderPolicy, ConfigError> {
    let fail = |message: String| ConfigError::LadderPolicy {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let policy: LadderPolicy = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?
    } else {
        toml::from_str(&text).map_err(|e| fail(e.to_string()))?
    };
    policy.validate().map_err(|e| fail(e.to_string()))?;
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn names_every_missing_variable() {
        let err = Config::from_lookup(
            LambdaFunction::JobSubmit,
            lookup(&[(env::ASSET_TABLE, "t")]),
        );
        assert_eq!(
            err,
            Err(ConfigError::Missing {
                function: "job-submit",
                names: vec![
                    env::OUTPUT_BUCKET,
                    env::MEDIACONVERT_ROLE_ARN,
                    env::PIPELINE_NAME
                ]
            })
        );
    }

    #[test]
    fn defaults_and_normalisation() -> Result<(), ConfigError> {
        let c = Config::from_lookup(
            LambdaFunction::CompletionHandler,
            lookup(&[
                (env::ASSET_TABLE, "t"),
                (env::OUTPUT_BUCKET, "o"),
                (env::CDN_BASE_URL, "https://d.example/"),
            ]),
        )?;
        assert_eq!(c.output_prefix, DEFAULT_OUTPUT_PREFIX);
        assert_eq!(c.cdn_base_url()?, "https://d.example");
        assert_eq!(
            c.topic_arn(),
            Err(ConfigError::NotConfigured {
                name: env::TOPIC_ARN
            })
        );
        Ok(())
    }

    #[test]
    fn bad_acceleration_is_refused() {
        let r = Config::from_lookup(
            LambdaFunction::IngestProbe,
            lookup(&[
                (env::ASSET_TABLE, "t"),
                (env::MEDIACONVERT_ACCELERATION, "turbo"),
            ]),
        );
        assert!(matches!(r, Err(ConfigError::Invalid { .. })));
    }

    #[test]
    fn ladder_policy_files_load_and_bad_ones_are_refused() {
        let dir = std::env::temp_dir().join(format!("vod-ladder-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let json = dir.join("policy.json");
        let mut policy = LadderPolicy::default();
        policy.rungs.truncate(3);
        let _ = std::fs::write(&json, serde_json::to_string(&policy).unwrap_or_default());
        assert_eq!(load_ladder_policy(&json), Ok(policy.clone()));
        let toml_path = dir.join("policy.toml");
        let _ = std::fs::write(&toml_path, toml::to_string(&policy).unwrap_or_default());
        assert_eq!(load_ladder_policy(&toml_path), Ok(policy));
        let bad = dir.join("bad.json");
        let _ = std::fs::write(&bad, r#"{"rungs": []}"#);
        assert!(matches!(
            load_ladder_policy(&bad),
            Err(ConfigError::LadderPolicy { .. })
        ));
    }
}
