//! The four per-stage Lambdas of the pipeline and the reconciler, as handlers over
//! [`vod_core::ports`]. One line per module:
//!
//! - [`ingest_probe`]: S3 "Object Created" → claim → probe → PROBED or REJECTED;
//! - [`job_submit`]: task token → MediaConvert job → TRANSCODING;
//! - [`completion_handler`]: MediaConvert job events → progress, outputs, task answer;
//! - [`queue_keeper`]: on a schedule, heartbeats for transcodes still waiting in the queue;
//! - [`notifier`]: versioned SNS event, stamped on the record;
//! - [`reconciler`]: on a schedule, finishes assets whose execution died or overran its bounds;
//! - [`inbound_events`]: the EventBridge events the Lambdas receive (S3, MediaConvert);
//! - [`identity`]: one key identity: the asset an upload is, from where its object is found;
//! - [`read_modify_write`]: asset record updates with optimistic retries;
//! - `error`: [`HandlerError`], an error name the state machine matches and a message;
//! - `host`: [`Function`] (a handler on the AWS adapters) and [`FunctionHost`] (all five);
//! - `lambda_runtime_loop`: [`run_lambda`], the body of every Lambda `main`;
//! - `logging`: tracing as Lambda's log format and log level settings ask;
//! - `mutants` (feature `mutants`): switches that re-introduce fixed bugs, for vod-sim.
//!
//! A binary in `src/bin/` runs one function with [`run_lambda`]; the local twin holds all five
//! in a [`FunctionHost`]. Handlers never see SDK types, so tests drive them with the recording
//! fakes of `vod-testkit`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use vod_core::contracts::LambdaFunction;
//! let clients = vod_aws::AwsClients::from_env().await;
//! let host = vod_functions::FunctionHost::new(&clients, |name| std::env::var(name).ok())?;
//! let out = host.invoke(LambdaFunction::Notifier, serde_json::json!({
//!     "eventType": "asset.completed", "assetId": "0123456789abcdef0123456789abcdef"
//! })).await?;
//! # let _ = out; Ok(()) }
//! ```

pub mod completion_handler;
mod error;
mod host;
pub mod identity;
pub mod inbound_events;
pub mod ingest_probe;
pub mod job_submit;
mod lambda_runtime_loop;
mod logging;
#[cfg(feature = "mutants")]
pub mod mutants;
pub mod notifier;
pub mod queue_keeper;
pub mod read_modify_write;
pub mod reconciler;

pub use error::HandlerError;
pub use host::{Function, FunctionHost};
pub use lambda_runtime_loop::run_lambda;
