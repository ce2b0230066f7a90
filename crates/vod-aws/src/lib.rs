//! Adapters implementing the [`vod_core::ports`] with the AWS SDK for Rust, plus
//! [`Config::from_env`] and the MediaConvert job builder.
//!
//! Modules: [`config`] (`Config::from_env`, ladder policy files), [`dynamodb`] (`AssetStore`),
//! [`s3`] (`MediaReader`, `OutputWriter`), [`sns`] (`Notifier`), [`sfn`] (`TaskCallback`),
//! [`mediaconvert`] (`Transcoder` and the CreateJob builder), `subscribe` (an SQS queue on an
//! SNS topic; feature `subscribe`), `sdk_error` (SDK errors as port errors that say whether a
//! retry can help).
//!
//! Every client is built at most once per process, when first asked for, from one
//! [`aws_config::SdkConfig`] ([`AwsClients::from_env`]); endpoints come only from the SDK's
//! standard settings (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_SFN`,
//! `AWS_ENDPOINT_URL_MEDIACONVERT`, …), which is how the same binaries talk to AWS or to the
//! local twin.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use vod_aws::{AwsClients, Config};
//! use vod_core::contracts::LambdaFunction;
//! let config = Config::from_env(LambdaFunction::Notifier)?;
//! let clients = AwsClients::from_env().await;
//! let table = config.required(vod_core::contracts::ASSET_TABLE)?;
//! let store = vod_aws::dynamodb::DynamoAssetStore::new(clients.dynamodb(), table);
//! # let _ = store; Ok(()) }
//! ```

pub mod config;
pub mod dynamodb;
pub mod mediaconvert;
mod mediaconvert_jobs;
pub mod mediaconvert_queue;
pub mod s3;
mod sdk_error;
pub mod sfn;
pub mod sns;
#[cfg(feature = "subscribe")]
pub mod subscribe;

pub use config::{Config, ConfigError};

use std::sync::OnceLock;

/// The SDK clients, all from one SDK configuration, each built the first time it is asked for
/// and shared after that (one client, one connection pool, per service).
///
/// Building on demand is what keeps a Lambda small: a client's construction links its
/// endpoint rules, auth schemes and runtime plugins (S3's include the S3 Express session
/// provider), so a binary whose function never asks for a client carries none of it.
#[derive(Debug, Clone)]
pub struct AwsClients {
    sdk: aws_config::SdkConfig,
    sfn_endpoint: Option<String>,
    mediaconvert_endpoint: Option<String>,
    s3: OnceLock<aws_sdk_s3::Client>,
    dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
    sns: OnceLock<aws_sdk_sns::Client>,
    sfn: OnceLock<aws_sdk_sfn::Client>,
    mediaconvert: OnceLock<aws_sdk_mediaconvert::Client>,
}

impl AwsClients {
    /// Loads the standard AWS configuration (env, profile, IMDS; endpoint overrides included).
    pub async fn from_env() -> Self {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::from_sdk_config(&shared)
    }

    pub fn from_sdk_config(shared: &aws_config::SdkConfig) -> Self {
        Self {
            sdk: shared.clone(),
            sfn_endpoint: None,
            mediaconvert_endpoint: None,
            s3: OnceLock::new(),
            dynamodb: OnceLock::new(),
            sns: OnceLock::new(),
            sfn: OnceLock::new(),
            mediaconvert: OnceLock::new(),
        }
    }

    /// Step Functions at `url` instead of the configured endpoint (the twin's own API).
    pub fn with_sfn_endpoint(mut self, url: impl Into<String>) -> Self {
        self.sfn_endpoint = Some(url.into());
        self.sfn = OnceLock::new();
        self
    }

    /// MediaConvert at `url` instead of the configured endpoint (the twin's own API).
    pub fn with_mediaconvert_endpoint(mut self, url: impl Into<String>) -> Self {
        self.mediaconvert_endpoint = Some(url.into());
        self.mediaconvert = OnceLock::new();
        self
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        self.s3
            .get_or_init(|| {
                // Path-style S3 addressing works with every endpoint (AWS, moto, LocalStack);
                // virtual hosts need DNS that a local endpoint such as 127.0.0.1 does not have.
                let config = aws_sdk_s3::config::Builder::from(&self.sdk)
                    .force_path_style(true)
                    .build();
                aws_sdk_s3::Client::from_conf(config)
            })
            .clone()
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        self.dynamodb
            .get_or_init(|| aws_sdk_dynamodb::Client::new(&self.sdk))
            .clone()
    }

    pub fn sns(&self) -> aws_sdk_sns::Client {
        self.sns
            .get_or_init(|| aws_sdk_sns::Client::new(&self.sdk))
            .clone()
    }

    pub fn sfn(&self) -> aws_sdk_sfn::Client {
        self.sfn
            .get_or_init(|| {
                let mut config = aws_sdk_sfn::config::Builder::from(&self.sdk);
                if let Some(url) = &self.sfn_endpoint {
                    config = config.endpoint_url(url);
                }
                aws_sdk_sfn::Client::from_conf(config.build())
            })
            .clone()
    }

    pub fn mediaconvert(&self) -> aws_sdk_mediaconvert::Client {
        self.mediaconvert
            .get_or_init(|| {
                let mut config = aws_sdk_mediaconvert::config::Builder::from(&self.sdk);
                if let Some(url) = &self.mediaconvert_endpoint {
                    config = config.endpoint_url(url);
                }
                aws_sdk_mediaconvert::Client::from_conf(config.build())
            })
            .clone()
    }
}
