//! `Config::from_env`: the only place the Lambdas read their environment.
//!
//! Variable names are the documented constants in [`vod_core::contracts`]; each Lambda fails
//! at start-up, naming every missing variable, rather than on its first event. AWS endpoints
//! are not configured here: the SDK's standard settings (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_SFN`, `AWS_ENDPOINT_URL_MEDIACONVERT`, …) select AWS or the local twin.

use std::collections::BTreeMap;
use std::path::Path;
use vod_core::contracts::{self as env, EnvVar, LambdaFunction};
use vod_core::ladder::LadderPolicy;

/// Output prefix when `VOD_OUTPUT_PREFIX` is unset.
pub const DEFAULT_OUTPUT_PREFIX: &str = "assets/";

/// What one Lambda may read from its environment, validated at start-up.
///
/// Which variables a function requires is written once, in [`vod_core::contracts::ENV_VARS`]
/// (`required_by`, `optional_for`): [`Config::from_env`] refuses to start without the required
/// ones, and [`Config::required`] / [`Config::optional`] hand out only what the contract lists
/// for this function, whatever else is set. So a handler that reads a variable the contract
/// does not give it fails in every environment, not only in the one that lacks it.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    function: LambdaFunction,
    /// Every contract variable that is set (and not blank), normalised.
    values: BTreeMap<&'static str, String>,
    /// The policy in `VOD_LADDER_POLICY_FILE`, or the default one.
    ladder_policy: LadderPolicy,
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
    #[error(
        "{name} is not listed for this function in vod_core::contracts::ENV_VARS \
         (a caller asked for it anyway)"
    )]
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
        let mut values = BTreeMap::new();
        for var in env::ENV_VARS {
            if let Some(value) = get(var.name) {
                values.insert(var.name, normalise(var.name, value)?);
            }
        }
        let ladder_policy = match values.get(env::LADDER_POLICY_FILE) {
            Some(path) => load_ladder_policy(Path::new(path))?,
            None => LadderPolicy::default(),
        };
        Ok(Self {
            function,
            values,
            ladder_policy,
        })
    }

    /// `VOD_OUTPUT_PREFIX`, or [`DEFAULT_OUTPUT_PREFIX`] when unset.
    pub fn output_prefix(&self) -> Result<&str, ConfigError> {
        Ok(self
            .optional(env::OUTPUT_PREFIX)?
            .unwrap_or(DEFAULT_OUTPUT_PREFIX))
    }

    /// The policy in `VOD_LADDER_POLICY_FILE` (loaded and validated at start-up, whichever the
    /// function), or the default policy when unset.
    pub fn ladder_policy(&self) -> Result<&LadderPolicy, ConfigError> {
        self.optional(env::LADDER_POLICY_FILE)?;
        Ok(&self.ladder_policy)
    }

    /// `VOD_TRANSCODE_HEARTBEAT_SECONDS` when set (checked at start-up to be a positive number).
    pub fn transcode_heartbeat_seconds(&self) -> Result<Option<u64>, ConfigError> {
        Ok(self
            .optional(env::TRANSCODE_HEARTBEAT_SECONDS)?
            .and_then(|v| v.parse().ok()))
    }

    /// The value of `name`, which the contract lists as required by this function (so
    /// [`Config::from_env`] has already checked it is set).
    pub fn required(&self, name: &'static str) -> Result<&str, ConfigError> {
        self.listed(name, |var| var.required_by)?;
        self.values
            .get(name)
            .map(String::as_str)
            .ok_or(ConfigError::NotConfigured { name })
    }

    /// The value of `name` if set, which the contract lists as optional for this function.
    pub fn optional(&self, name: &'static str) -> Result<Option<&str>, ConfigError> {
        self.listed(name, |var| var.optional_for)?;
        Ok(self.values.get(name).map(String::as_str))
    }

    /// `Ok` when the contract's `list` for `name` has this function.
    fn listed(
        &self,
        name: &'static str,
        list: impl Fn(&EnvVar) -> &'static [LambdaFunction],
    ) -> Result<(), ConfigError> {
        env::ENV_VARS
            .iter()
            .find(|var| var.name == name)
            .filter(|var| list(var).contains(&self.function))
            .map(|_| ())
            .ok_or(ConfigError::NotConfigured { name })
    }
}

/// `value` of the contract variable `name` as the functions use it.
fn normalise(name: &'static str, value: String) -> Result<String, ConfigError> {
    match name {
        env::MEDIACONVERT_ACCELERATION => {
            let value = value.to_ascii_uppercase();
            match value.as_str() {
                "DISABLED" | "ENABLED" | "PREFERRED" => Ok(value),
                _ => Err(ConfigError::Invalid {
                    name,
                    value,
                    allowed: "DISABLED, ENABLED, PREFERRED",
                }),
            }
        }
        env::CDN_BASE_URL => Ok(value.trim_end_matches('/').to_owned()),
        env::TRANSCODE_HEARTBEAT_SECONDS => match value.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n.to_string()),
            _ => Err(ConfigError::Invalid {
                name,
                value,
                allowed: "a whole number of seconds above 0",
            }),
        },
        _ => Ok(value),
    }
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
                (env::PIPELINE_NAME, "vod"),
            ]),
        )?;
        assert_eq!(c.output_prefix()?, DEFAULT_OUTPUT_PREFIX);
        assert_eq!(c.required(env::CDN_BASE_URL)?, "https://d.example");
        assert_eq!(
            c.required(env::TOPIC_ARN),
            Err(ConfigError::NotConfigured {
                name: env::TOPIC_ARN
            })
        );
        Ok(())
    }

    #[test]
    fn the_transcode_heartbeat_is_a_positive_number_of_seconds() -> Result<(), ConfigError> {
        let probe = |value: &str| {
            Config::from_lookup(
                LambdaFunction::IngestProbe,
                lookup(&[
                    (env::ASSET_TABLE, "t"),
                    (env::TRANSCODE_HEARTBEAT_SECONDS, value),
                ]),
            )
        };
        assert_eq!(probe(" 20 ")?.transcode_heartbeat_seconds()?, Some(20));
        for bad in ["0", "-5", "20s", "1e3"] {
            assert!(
                matches!(probe(bad), Err(ConfigError::Invalid { .. })),
                "{bad}"
            );
        }
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
