//! Adapters implementing the [`vod_core::ports`] with the AWS SDK for Rust, plus
//! [`Config::from_env`] and the MediaConvert job builder.
//!
//! Every client is built once per process from one [`aws_config::SdkConfig`]
//! ([`AwsClients::from_env`]); endpoints come only from the SDK's standard settings
//! (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_SFN`, `AWS_ENDPOINT_URL_MEDIACONVERT`, …), which
//! is how the same binaries talk to AWS or to the local twin.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use vod_aws::{AwsClients, Config};
//! use vod_core::contracts::LambdaFunction;
//! let config = Config::from_env(LambdaFunction::Notifier)?;
//! let clients = AwsClients::from_env().await;
//! let store = vod_aws::dynamodb::DynamoAssetStore::new(clients.dynamodb.clone(), &config.asset_table);
//! # let _ = store; Ok(()) }
//! ```

pub mod config;
pub mod dynamodb;
pub mod mediaconvert;
pub mod s3;
mod sdk_error;
pub mod sfn;
pub mod sns;

pub use config::{Config, ConfigError};

/// One client per service, all from the same SDK configuration.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sns: aws_sdk_sns::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub mediaconvert: aws_sdk_mediaconvert::Client,
}

impl AwsClients {
    /// Loads the standard AWS configuration (env, profile, IMDS; endpoint overrides included).
    pub async fn from_env() -> Self {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::from_sdk_config(&shared)
    }

    pub fn from_sdk_config(shared: &aws_config::SdkConfig) -> Self {
        // Path-style S3 addressing works with every endpoint (AWS, moto, LocalStack); virtual
        // hosts need DNS that a local endpoint such as 127.0.0.1 does not have.
        let s3_config = aws_sdk_s3::config::Builder::from(shared)
            .force_path_style(true)
            .build();
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            dynamodb: aws_sdk_dynamodb::Client::new(shared),
            sns: aws_sdk_sns::Client::new(shared),
            sfn: aws_sdk_sfn::Client::new(shared),
            mediaconvert: aws_sdk_mediaconvert::Client::new(shared),
        }
    }
}
