//! Wiring: each function's handler built on the real adapters ([`Function`]), and all five in
//! one process ([`FunctionHost`]), invoked with the Lambdas' JSON in and out. The Lambda
//! binaries and the local twin both go through [`Function::invoke`], so they cannot drift.

use crate::HandlerError;
use crate::completion_handler::{CompletionDeps, CompletionSettings};
use crate::ingest_probe::IngestProbeDeps;
use crate::job_submit::{JobSubmitDeps, JobSubmitSettings};
use crate::notifier::NotifierDeps;
use crate::reconciler::ReconcilerDeps;
use std::sync::Arc;
use vod_aws::dynamodb::DynamoAssetStore;
use vod_aws::mediaconvert::{JobOptions, MediaConvertTranscoder};
use vod_aws::mediaconvert_queue::MediaConvertJobQueue;
use vod_aws::s3::{S3MediaReader, S3OutputListing, S3OutputWriter};
use vod_aws::sfn::{SfnExecutions, SfnTaskCallback};
use vod_aws::sns::SnsNotifier;
use vod_aws::{AwsClients, Config, ConfigError};
use vod_core::contracts::{self as env, LambdaFunction};
use vod_core::job::CallbackTimeouts;
use vod_core::ports::{AssetStore, SystemClock};

/// The five handlers with their dependencies in one process, as the local twin runs them (a
/// Lambda binary runs only its own, through [`crate::run_lambda`]).
#[derive(Default, Clone)]
pub struct FunctionHost {
    pub ingest_probe: Option<IngestProbeDeps>,
    pub job_submit: Option<JobSubmitDeps>,
    pub completion_handler: Option<CompletionDeps>,
    pub notifier: Option<NotifierDeps>,
    pub reconciler: Option<ReconcilerDeps>,
}

impl std::fmt::Debug for FunctionHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionHost")
            .field("ingest_probe", &self.ingest_probe.is_some())
            .field("job_submit", &self.job_submit.is_some())
            .field("completion_handler", &self.completion_handler.is_some())
            .field("notifier", &self.notifier.is_some())
            .field("reconciler", &self.reconciler.is_some())
            .finish()
    }
}

impl FunctionHost {
    /// All five handlers, configured from `lookup` (the same variable names the Lambdas read).
    pub fn new(
        clients: &AwsClients,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut host = Self::default();
        for function in LambdaFunction::ALL {
            let config = Config::from_lookup(function, &lookup)?;
            host.configure(function, clients, &config)?;
        }
        Ok(host)
    }

    fn configure(
        &mut self,
        function: LambdaFunction,
        clients: &AwsClients,
        config: &Config,
    ) -> Result<(), ConfigError> {
        match function {
            LambdaFunction::IngestProbe => {
                self.ingest_probe = Some(IngestProbeDeps::configure(clients, config)?);
            }
            LambdaFunction::JobSubmit => {
                self.job_submit = Some(JobSubmitDeps::configure(clients, config)?);
            }
            LambdaFunction::CompletionHandler => {
                self.completion_handler = Some(CompletionDeps::configure(clients, config)?);
            }
            LambdaFunction::Notifier => {
                self.notifier = Some(NotifierDeps::configure(clients, config)?);
            }
            LambdaFunction::Reconciler => {
                self.reconciler = Some(ReconcilerDeps::configure(clients, config)?);
            }
        }
        Ok(())
    }

    /// Runs `function` on `payload`, exactly as its Lambda does.
    pub async fn invoke(
        &self,
        function: LambdaFunction,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, HandlerError> {
        fn configured<F: Function>(deps: Option<&F>) -> Result<&F, HandlerError> {
            deps.ok_or_else(|| {
                HandlerError::internal(format!(
                    "{} is not configured in this process",
                    F::FUNCTION.binary_name()
                ))
            })
        }
        match function {
            LambdaFunction::IngestProbe => {
                configured(self.ingest_probe.as_ref())?
                    .invoke(payload)
                    .await
            }
            LambdaFunction::JobSubmit => {
                configured(self.job_submit.as_ref())?.invoke(payload).await
            }
            LambdaFunction::CompletionHandler => {
                configured(self.completion_handler.as_ref())?
                    .invoke(payload)
                    .await
            }
            LambdaFunction::Notifier => configured(self.notifier.as_ref())?.invoke(payload).await,
            LambdaFunction::Reconciler => {
                configured(self.reconciler.as_ref())?.invoke(payload).await
            }
        }
    }
}

/// One Lambda's handler with its dependencies: built from its [`Config`] on real adapters,
/// invoked with the JSON its Lambda receives. [`crate::run_lambda`] is generic over it, so each
/// binary links only its own handler and the SDK operations that handler calls (the
/// MediaConvert model, the largest, only in job-submit and, for the queue keeper's ListJobs,
/// completion-handler).
#[async_trait::async_trait]
pub trait Function: Sized + Send + Sync + 'static {
    const FUNCTION: LambdaFunction;

    fn configure(clients: &AwsClients, config: &Config) -> Result<Self, ConfigError>;

    async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, HandlerError>;
}

fn asset_store(clients: &AwsClients, config: &Config) -> Result<Arc<dyn AssetStore>, ConfigError> {
    Ok(Arc::new(DynamoAssetStore::new(
        clients.dynamodb(),
        config.required(env::ASSET_TABLE)?,
    )))
}

fn to_json(value: impl serde::Serialize) -> Result<serde_json::Value, HandlerError> {
    serde_json::to_value(value)
        .map_err(|e| HandlerError::internal(format!("serializing the result: {e}")))
}

#[async_trait::async_trait]
impl Function for IngestProbeDeps {
    const FUNCTION: LambdaFunction = LambdaFunction::IngestProbe;

    fn configure(clients: &AwsClients, config: &Config) -> Result<Self, ConfigError> {
        Ok(Self {
            store: asset_store(clients, config)?,
            reader: Arc::new(S3MediaReader::new(clients.s3())),
            probe: Arc::new(vod_probe::RangeProbe::new()),
            clock: Arc::new(SystemClock),
            heartbeat_seconds: config
                .transcode_heartbeat_seconds()?
                .unwrap_or(CallbackTimeouts::HEARTBEAT_SECONDS),
        })
    }

    async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, HandlerError> {
        to_json(crate::ingest_probe::handle(self, payload).await?)
    }
}

#[async_trait::async_trait]
impl Function for JobSubmitDeps {
    const FUNCTION: LambdaFunction = LambdaFunction::JobSubmit;

    fn configure(clients: &AwsClients, config: &Config) -> Result<Self, ConfigError> {
        let mut options = JobOptions::new(config.required(env::MEDIACONVERT_ROLE_ARN)?);
        options.queue_arn = config
            .optional(env::MEDIACONVERT_QUEUE_ARN)?
            .map(str::to_owned);
        options.acceleration = config
            .optional(env::MEDIACONVERT_ACCELERATION)?
            .map(str::to_owned);
        options.pipeline_name = Some(config.required(env::PIPELINE_NAME)?.to_owned());
        Ok(Self {
            store: asset_store(clients, config)?,
            transcoder: Arc::new(MediaConvertTranscoder::new(clients.mediaconvert(), options)),
            clock: Arc::new(SystemClock),
            settings: JobSubmitSettings {
                output_bucket: config.required(env::OUTPUT_BUCKET)?.to_owned(),
                output_prefix: config.output_prefix()?.to_owned(),
                pipeline_name: config.required(env::PIPELINE_NAME)?.to_owned(),
                ladder_policy: config.ladder_policy()?.clone(),
            },
        })
    }

    async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, HandlerError> {
        to_json(crate::job_submit::handle(self, payload).await?)
    }
}

#[async_trait::async_trait]
impl Function for CompletionDeps {
    const FUNCTION: LambdaFunction = LambdaFunction::CompletionHandler;

    fn configure(clients: &AwsClients, config: &Config) -> Result<Self, ConfigError> {
        completion_deps(clients, config)
    }

    async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, HandlerError> {
        to_json(crate::completion_handler::handle(self, payload).await?)
    }
}

fn completion_deps(clients: &AwsClients, config: &Config) -> Result<CompletionDeps, ConfigError> {
    Ok(CompletionDeps {
        store: asset_store(clients, config)?,
        callback: Arc::new(SfnTaskCallback::new(clients.sfn())),
        writer: Arc::new(S3OutputWriter::new(clients.s3())),
        manifests: Arc::new(S3MediaReader::new(clients.s3())),
        clock: Arc::new(SystemClock),
        transcoder: Arc::new(MediaConvertTranscoder::control_only(
            clients.mediaconvert(),
            Some(config.required(env::PIPELINE_NAME)?.to_owned()),
        )),
        queue: Arc::new(MediaConvertJobQueue::new(
            clients.mediaconvert(),
            config
                .optional(env::MEDIACONVERT_QUEUE_ARN)?
                .map(str::to_owned),
            config.required(env::PIPELINE_NAME)?,
        )),
        settings: CompletionSettings {
            output_bucket: config.required(env::OUTPUT_BUCKET)?.to_owned(),
            output_prefix: config.output_prefix()?.to_owned(),
            cdn_base_url: config.required(env::CDN_BASE_URL)?.to_owned(),
        },
    })
}

fn notifier_deps(clients: &AwsClients, config: &Config) -> Result<NotifierDeps, ConfigError> {
    Ok(NotifierDeps {
        store: asset_store(clients, config)?,
        reader: Arc::new(S3MediaReader::new(clients.s3())),
        notifier: Arc::new(SnsNotifier::new(
            clients.sns(),
            config.required(env::TOPIC_ARN)?,
        )),
        transcoder: Arc::new(MediaConvertTranscoder::control_only(
            clients.mediaconvert(),
            None,
        )),
        clock: Arc::new(SystemClock),
    })
}

#[async_trait::async_trait]
impl Function for ReconcilerDeps {
    const FUNCTION: LambdaFunction = LambdaFunction::Reconciler;

    fn configure(clients: &AwsClients, config: &Config) -> Result<Self, ConfigError> {
        // The reconciler finds, reads and cancels jobs; it never creates one, so the
        // MediaConvert role (CreateJob's) is not its to know.
        let mut options = JobOptions::new(String::new());
        options.queue_arn = config
            .optional(env::MEDIACONVERT_QUEUE_ARN)?
            .map(str::to_owned);
        options.pipeline_name = Some(config.required(env::PIPELINE_NAME)?.to_owned());
        Ok(Self {
            index: Arc::new(DynamoAssetStore::new(
                clients.dynamodb(),
                config.required(env::ASSET_TABLE)?,
            )),
            executions: Arc::new(SfnExecutions::new(clients.sfn())),
            transcoder: Arc::new(MediaConvertTranscoder::new(clients.mediaconvert(), options)),
            outputs: Arc::new(S3OutputListing::new(clients.s3())),
            completion: completion_deps(clients, config)?,
            notifier: notifier_deps(clients, config)?,
        })
    }

    async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, HandlerError> {
        to_json(crate::reconciler::handle(self, payload).await?)
    }
}

#[async_trait::async_trait]
impl Function for NotifierDeps {
    const FUNCTION: LambdaFunction = LambdaFunction::Notifier;

    fn configure(clients: &AwsClients, config: &Config) -> Result<Self, ConfigError> {
        notifier_deps(clients, config)
    }

    async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, HandlerError> {
        to_json(crate::notifier::handle(self, payload).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients() -> AwsClients {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        AwsClients::from_sdk_config(&sdk)
    }

    /// A lookup with every variable in `names` set (to a value each one accepts).
    fn only(names: Vec<&'static str>) -> impl Fn(&str) -> Option<String> {
        move |name| names.contains(&name).then(|| format!("{name}-value"))
    }

    /// The contract is the only list: with exactly the variables `ENV_VARS` says a function
    /// requires (and nothing else set), each function's adapters are built.
    #[tokio::test]
    async fn each_function_starts_with_exactly_its_required_variables() -> Result<(), ConfigError> {
        let clients = clients();
        let mut host = FunctionHost::default();
        for function in LambdaFunction::ALL {
            let config = Config::from_lookup(function, only(function.required_env()))?;
            host.configure(function, &clients, &config)?;
        }
        assert_eq!(
            format!("{host:?}"),
            "FunctionHost { ingest_probe: true, job_submit: true, completion_handler: true, \
             notifier: true, reconciler: true }"
        );
        Ok(())
    }

    /// A handler asking for a variable the contract does not give its function is refused even
    /// when the variable is set, so the mismatch shows in every environment.
    #[tokio::test]
    async fn a_variable_the_contract_does_not_list_is_refused_even_when_set()
    -> Result<(), ConfigError> {
        let every_required: Vec<&'static str> = LambdaFunction::ALL
            .iter()
            .flat_map(|f| f.required_env())
            .collect();
        let notifier = Config::from_lookup(LambdaFunction::Notifier, only(every_required))?;
        let job_submit = JobSubmitDeps::configure(&clients(), &notifier).map(|_| ());
        assert_eq!(
            job_submit,
            Err(ConfigError::NotConfigured {
                name: env::MEDIACONVERT_ROLE_ARN
            })
        );
        Ok(())
    }
}
