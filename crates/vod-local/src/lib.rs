//! `vod-local` — the whole pipeline on one machine, on 127.0.0.1 only.
//!
//! moto plays S3, DynamoDB, SNS, SQS and EventBridge; this process plays the rest:
//! - **Step Functions**: the `vod-states` engine running `statemachine/vod-pipeline.asl.json`,
//!   behind the awsJson 1.0 API ([`sfn`]) so the SDK and the `aws` CLI can use it;
//! - **Lambda**: the five handlers of `vod-functions`, called in-process ([`lambda`]) with the
//!   same JSON in and out as the Lambda binaries;
//! - **MediaConvert**: `vod-mediaconvert-local` (ffmpeg) on its own port;
//!   a distributed Map's `ItemReader` reads the twin's S3 through the handlers' client
//!   ([`item_source`]);
//! - **EventBridge targets**: rules deliver to SQS queues that the event pump ([`pump`]) reads;
//!   the queue keeper's schedule is a timer ([`schedule`]);
//! - **CloudFront**: `vod-cdn-local` (the output bucket over HTTP + the player page).
//!
//! The handlers reach the SFN API and the MediaConvert twin only through per-service endpoint
//! configuration of their SDK clients — the same switch `AWS_ENDPOINT_URL_SFN` /
//! `AWS_ENDPOINT_URL_MEDIACONVERT` flips for the Lambda binaries; no handler knows it is local.
//!
//! Listeners to the lifecycle topic (`vod watch`, the end-to-end tests) subscribe a queue with
//! [`subscribe::queue_to_topic`]. Failures to start are [`Error`]s.
//!
//! The moto vod-local starts keeps its data across restarts, a SIGKILL included: moto records
//! every request into the state directory and the next start replays what changed state
//! ([`persist`], over [`journal`]); [`state_dir::reset`] (`vod local reset`) empties it.
//!
//! The other modules: [`bootstrap`] (the data-plane resources on moto), [`definitions`] (the
//! state machine and rule patterns from `statemachine/`), [`recovery`] (assets orphaned by an
//! earlier run), [`twin_file`] (`localstack/twin.json`), [`moto`] (the moto server it starts),
//! [`cli`] (the command line of `vod-local` and `vod local up`), [`error`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), vod_local::Error> {
//! let twin = vod_local::VodLocal::start(vod_local::LocalConfig::default()).await?;
//! println!("{}", twin.endpoints().exports());
//! twin.shutdown().await;
//! # Ok(()) }
//! ```

pub mod bootstrap;
pub mod cli;
pub mod definitions;
pub mod error;
pub mod item_source;
pub mod journal;
pub mod lambda;
pub mod moto;
pub mod persist;
pub mod pump;
pub mod recovery;
pub mod schedule;
pub mod sfn;
pub mod state_dir;
pub mod twin_file;

/// The SNS→SQS subscriber ([`vod_aws::subscribe`]), here too because the twin's listeners
/// (`vod watch`, the end-to-end tests) reach it through this crate.
pub use vod_aws::subscribe;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use vod_core::contracts::{self as env, LambdaFunction};
use vod_states::{EngineConfig, StateMachine, TokioClock};

pub use bootstrap::Resources;
pub use error::{Error, Result};
pub use lambda::{InvokeError, LambdaHost};
pub use sfn::StepFunctions;
pub use twin_file::{Ports, TwinCredentials, TwinFile};

/// Everything that can be configured. `Default` is the documented local setup (twin.json ports,
/// `.vod/` state, moto started on demand).
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Names and ports; a port of 0 binds any free port.
    pub twin: TwinFile,
    /// State of the MediaConvert twin, moto's journal and log; one twin at a time.
    pub state_dir: PathBuf,
    /// Data-plane endpoint (moto or anything AWS-compatible; its own persistence is its
    /// business). `None` starts moto on `twin.ports.moto`, restores what it held from the
    /// state directory ([`persist`]) and stops it on shutdown.
    pub aws_endpoint: Option<String>,
    /// `moto_server` binary used when vod-local starts moto.
    pub moto_binary: Option<PathBuf>,
    /// ffmpeg for the MediaConvert twin (`None`: `VOD_FFMPEG`, else the pinned `.venv/bin/ffmpeg`).
    pub ffmpeg: Option<PathBuf>,
    /// Transcodes running at once.
    pub max_concurrent_jobs: usize,
    /// SQS long-poll wait of the event pump.
    pub pump_wait_seconds: i32,
    /// Seconds a failed pump message waits before its retry.
    pub pump_retry_seconds: i32,
    /// Period of the queue keeper's schedule (heartbeats for jobs waiting in the queue).
    pub queue_keeper_period: std::time::Duration,
    /// Period of the reconciler's schedule (the contract's `RECONCILER_PERIOD_SECONDS`, as on
    /// AWS).
    pub reconciler_period: std::time::Duration,
    /// The player's files (`vod-cdn-local/player` by default).
    pub player_dir: Option<PathBuf>,
    /// Extra environment for the in-process Lambdas (e.g. `VOD_LADDER_POLICY_FILE`).
    pub lambda_env: HashMap<String, String>,
}

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            twin: TwinFile::embedded(),
            state_dir: PathBuf::from(".vod"),
            aws_endpoint: None,
            moto_binary: None,
            ffmpeg: None,
            max_concurrent_jobs: 2,
            pump_wait_seconds: 5,
            pump_retry_seconds: 2,
            queue_keeper_period: std::time::Duration::from_secs(u64::from(
                env::QUEUE_KEEPER_PERIOD_SECONDS,
            )),
            reconciler_period: std::time::Duration::from_secs(u64::from(
                env::RECONCILER_PERIOD_SECONDS,
            )),
            player_dir: None,
            lambda_env: HashMap::new(),
        }
    }
}

/// Where everything listens, once started.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub region: String,
    pub aws: String,
    pub step_functions: String,
    pub mediaconvert: String,
    pub cdn: String,
    pub state_machine_arn: String,
    pub topic_arn: String,
    pub twin: TwinFile,
}

impl Endpoints {
    /// Shell `export` lines for the `aws` CLI and the vod CLI.
    pub fn exports(&self) -> String {
        let t = &self.twin;
        [
            format!("export AWS_ENDPOINT_URL={}", self.aws),
            format!("export AWS_ENDPOINT_URL_SFN={}", self.step_functions),
            format!(
                "export AWS_ENDPOINT_URL_STEPFUNCTIONS={}",
                self.step_functions
            ),
            format!("export AWS_ENDPOINT_URL_MEDIACONVERT={}", self.mediaconvert),
            "export AWS_ACCESS_KEY_ID=test".to_owned(),
            "export AWS_SECRET_ACCESS_KEY=test".to_owned(),
            format!("export AWS_DEFAULT_REGION={}", self.region),
            format!("export AWS_REGION={}", self.region),
            format!("export {}={}", env::ASSET_TABLE, t.asset_table),
            format!("export {}={}", env::OUTPUT_BUCKET, t.output_bucket),
            format!("export {}={}", env::OUTPUT_PREFIX, t.output_prefix),
            format!("export {}={}", env::TOPIC_ARN, self.topic_arn),
            format!("export {}={}", env::CDN_BASE_URL, self.cdn),
            format!("export VOD_SOURCE_BUCKET={}", t.source_bucket),
            format!("export VOD_STATE_MACHINE_ARN={}", self.state_machine_arn),
        ]
        .join("\n")
    }
}

/// A running twin. Dropping it without [`VodLocal::shutdown`] leaves ffmpeg jobs to
/// `kill_on_drop` and the listeners to the runtime.
pub struct VodLocal {
    endpoints: Endpoints,
    resources: Resources,
    sfn: Arc<StepFunctions>,
    host: Arc<dyn LambdaHost>,
    mediaconvert: vod_mediaconvert_local::MediaConvertTwin,
    sdk: SdkConfig,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    moto: Option<moto::MotoProcess>,
    recovered: Vec<recovery::Recovered>,
    restored: Option<persist::Restored>,
    _state_lock: state_dir::StateLock,
}

impl std::fmt::Debug for VodLocal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VodLocal")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

async fn bind(port: u16) -> Result<(TcpListener, String)> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|source| Error::Bind { port, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| Error::BoundAddress { port, source })?;
    Ok((listener, format!("http://{addr}")))
}

/// SDK configuration for the data plane: the endpoint, and test credentials / the twin's region
/// unless the environment provides them.
pub async fn sdk_config(endpoint: &str, twin: &TwinFile) -> SdkConfig {
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| twin.region.clone());
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(endpoint);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        loader = loader.credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "vod-local",
        ));
    }
    loader.load().await
}

impl VodLocal {
    /// Starts everything with the real handlers of `vod-functions`.
    pub async fn start(config: LocalConfig) -> Result<Self> {
        Self::start_with(config, |clients, lookup| {
            let host = vod_functions::FunctionHost::new(clients, lookup)?;
            Ok(Arc::new(host) as Arc<dyn LambdaHost>)
        })
        .await
    }

    /// Starts everything; `make_host` builds the Lambda host from the clients and the Lambdas'
    /// environment (tests wrap the real host); its error is reported as it is.
    pub async fn start_with(
        config: LocalConfig,
        make_host: impl FnOnce(
            &vod_aws::AwsClients,
            &dyn Fn(&str) -> Option<String>,
        )
            -> Result<Arc<dyn LambdaHost>, Box<dyn std::error::Error + Send + Sync>>,
    ) -> Result<Self> {
        let twin = config.twin.clone();
        std::fs::create_dir_all(&config.state_dir).map_err(|source| Error::StateDir {
            path: config.state_dir.clone(),
            source,
        })?;
        let state_lock = state_dir::StateLock::acquire(&config.state_dir)?;

        // 1. Data plane: our moto gets back what it held before anything else talks to it, and
        //    records from then on.
        let (aws_endpoint, moto, restored) = match &config.aws_endpoint {
            Some(e) => (e.trim_end_matches('/').to_owned(), None, None),
            None => {
                let journal = config.state_dir.join(persist::JOURNAL);
                let process = moto::MotoProcess::start(
                    config.moto_binary.clone(),
                    twin.ports.moto,
                    &twin.account_id,
                    &config.state_dir.join("moto.log"),
                    Some(&journal),
                )
                .await?;
                let restored = persist::restore(&journal, &process.endpoint())
                    .await
                    .map_err(Error::Restore)?;
                if let Some(r) = &restored {
                    tracing::info!(journal = %journal.display(), replayed = r.replayed, refused = r.refused, skipped = r.skipped, damaged = r.damaged, bytes = r.bytes, seconds = r.elapsed.as_secs_f64(), "restored the data plane");
                }
                (process.endpoint(), Some(process), restored)
            }
        };
        let sdk = sdk_config(&aws_endpoint, &twin).await;
        let region = sdk
            .region()
            .map_or_else(|| twin.region.clone(), ToString::to_string);
        let dp = bootstrap::DataPlane::new(&sdk);
        if let Some(moto) = &moto {
            // Unrecorded: the next replay recreates these subscriptions and this removes them.
            if restored.is_some() {
                persist::drop_dangling_subscriptions(&dp).await;
            }
            moto.start_recording().await.map_err(Error::Recorder)?;
        }
        let resources = bootstrap::bootstrap(&dp, &twin)
            .await
            .map_err(Error::Bootstrap)?;

        // 2. Our listeners first: the Lambdas' configuration needs their URLs.
        let (sfn_listener, sfn_url) = bind(twin.ports.step_functions).await?;
        let (mc_listener, mc_url) = bind(twin.ports.media_convert).await?;
        let (cdn_listener, cdn_url) = bind(twin.ports.cdn).await?;

        // 3. The in-process Lambdas: same clients as a Lambda, SFN and MediaConvert pointed at us.
        let clients = vod_aws::AwsClients::from_sdk_config(&sdk)
            .with_sfn_endpoint(&sfn_url)
            .with_mediaconvert_endpoint(&mc_url);
        let mut lambda_env: HashMap<String, String> = [
            (env::ASSET_TABLE, twin.asset_table.clone()),
            (env::OUTPUT_BUCKET, twin.output_bucket.clone()),
            (env::OUTPUT_PREFIX, twin.output_prefix.clone()),
            (env::TOPIC_ARN, resources.topic_arn.clone()),
            (
                env::MEDIACONVERT_ROLE_ARN,
                twin.media_convert_role_arn.clone(),
            ),
            (env::PIPELINE_NAME, twin.pipeline_name.clone()),
            (env::CDN_BASE_URL, cdn_url.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        lambda_env.extend(config.lambda_env.clone());
        let lookup = move |name: &str| lambda_env.get(name).cloned();
        let host = make_host(&clients, &lookup).map_err(Error::LambdaHost)?;

        // 4. Step Functions.
        let subs = definitions::lambda_substitutions(|f| twin.lambda_arn(&region, f.binary_name()));
        let definition = definitions::substitute(definitions::STATE_MACHINE, &subs)?;
        let machine = StateMachine::from_value(definition)
            .map_err(Error::StateMachine)?
            .with_name(twin.state_machine_name.clone());
        let role_arn = format!(
            "arn:aws:iam::{}:role/{}-states",
            twin.account_id, twin.pipeline_name
        );
        let engine = vod_states::Engine::with_config(
            Arc::new(lambda::LambdaInvoker::new(Arc::clone(&host))),
            Arc::new(TokioClock),
            EngineConfig {
                region: region.clone(),
                account: twin.account_id.clone(),
                role_arn: role_arn.clone(),
            },
        );
        engine.set_item_source(Arc::new(item_source::S3ItemSource::new(clients.s3())));
        let sfn = Arc::new(StepFunctions::new(engine, machine, role_arn));

        // 5. MediaConvert twin.
        let (mc_router, mediaconvert) =
            vod_mediaconvert_local::MediaConvertTwin::new(vod_mediaconvert_local::TwinConfig {
                state_dir: config.state_dir.clone(),
                region: region.clone(),
                account_id: twin.account_id.clone(),
                max_concurrent_jobs: config.max_concurrent_jobs,
                sdk_config: Some(sdk.clone()),
                ffmpeg: config.ffmpeg.clone(),
                ..vod_mediaconvert_local::TwinConfig::default()
            })
            .await
            .map_err(Error::MediaConvert)?;

        // 6. Serve, then fail the records an earlier instance orphaned (the failure path
        // cancels their jobs: MediaConvert's twin must answer), then pump: no new execution
        // exists before recovery is done.
        let store = vod_aws::dynamodb::DynamoAssetStore::new(clients.dynamodb(), &twin.asset_table);
        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let cdn_router = vod_cdn_local::router(vod_cdn_local::CdnConfig {
            s3: clients.s3(),
            output_bucket: twin.output_bucket.clone(),
            asset_prefix: twin.output_prefix.clone(),
            store: Arc::new(store),
            public_base_url: cdn_url.clone(),
            signing: None,
            player_dir: config
                .player_dir
                .clone()
                .unwrap_or_else(vod_cdn_local::default_player_dir),
        });
        serve(
            &mut tasks,
            sfn_listener,
            sfn::router(Arc::clone(&sfn)),
            stop_rx.clone(),
        );
        serve(&mut tasks, mc_listener, mc_router, stop_rx.clone());
        serve(&mut tasks, cdn_listener, cdn_router, stop_rx.clone());
        let orphans =
            vod_aws::dynamodb::DynamoAssetStore::new(clients.dynamodb(), &twin.asset_table);
        let recovered = recovery::fail_orphans(&orphans, sfn.engine(), &host).await?;
        for (queue_url, route) in [
            (&resources.s3_events_queue_url, pump::Route::StartExecution),
            (
                &resources.mediaconvert_events_queue_url,
                pump::Route::CompletionHandler,
            ),
        ] {
            let p = pump::Pump {
                sqs: dp.sqs.clone(),
                queue_url: queue_url.clone(),
                route,
                sfn: Arc::clone(&sfn),
                host: Arc::clone(&host),
                wait_seconds: config.pump_wait_seconds,
                retry_after_seconds: config.pump_retry_seconds,
            };
            tasks.spawn(p.run(stop_rx.clone()));
        }
        tasks.spawn(schedule::run_queue_keeper(
            Arc::clone(&host),
            config.queue_keeper_period,
            stop_rx.clone(),
        ));
        tasks.spawn(schedule::run_reconciler(
            Arc::clone(&host),
            config.reconciler_period,
            stop_rx.clone(),
        ));

        let endpoints = Endpoints {
            region,
            aws: aws_endpoint,
            step_functions: sfn_url,
            mediaconvert: mc_url,
            cdn: cdn_url,
            state_machine_arn: sfn.state_machine_arn().to_owned(),
            topic_arn: resources.topic_arn.clone(),
            twin,
        };
        tracing::info!(sfn = %endpoints.step_functions, mediaconvert = %endpoints.mediaconvert, cdn = %endpoints.cdn, aws = %endpoints.aws, "vod-local is up");
        Ok(Self {
            endpoints,
            resources,
            sfn,
            host,
            mediaconvert,
            sdk,
            stop,
            tasks,
            moto,
            recovered,
            restored,
            _state_lock: state_lock,
        })
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// The Step Functions service (engine included) behind the API.
    pub fn step_functions(&self) -> &Arc<StepFunctions> {
        &self.sfn
    }

    /// The in-process Lambdas.
    pub fn lambda_host(&self) -> &Arc<dyn LambdaHost> {
        &self.host
    }

    /// The data-plane SDK configuration (endpoint, credentials, region).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// Assets the start-up recovery failed.
    pub fn recovered(&self) -> &[recovery::Recovered] {
        &self.recovered
    }

    /// What the start restored from the state directory (`None`: nothing to restore, or the
    /// data plane is not a moto this twin started).
    pub fn restored(&self) -> Option<&persist::Restored> {
        self.restored.as_ref()
    }

    /// Stops accepting (listeners, pump), kills running ffmpeg jobs, stops moto if we started it.
    /// Running executions die with the process; the next start fails their assets.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        self.mediaconvert.shutdown().await;
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(std::time::Duration::from_secs(10), drain)
            .await
            .is_err()
        {
            tracing::warn!("some servers did not stop within 10 s; aborting them");
            self.tasks.abort_all();
        }
        if let Some(moto) = self.moto.take() {
            moto.stop().await;
        }
        tracing::info!("vod-local stopped");
    }
}

fn serve(
    tasks: &mut JoinSet<()>,
    listener: TcpListener,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) {
    tasks.spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                while !*stop.borrow_and_update() {
                    if stop.changed().await.is_err() {
                        break;
                    }
                }
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "server stopped");
        }
    });
}

/// The Lambdas' function names, for printing.
pub fn lambda_names() -> Vec<&'static str> {
    LambdaFunction::ALL
        .iter()
        .map(|f| f.binary_name())
        .collect()
}
