//! The four per-stage Lambdas of the pipeline, as handlers over [`vod_core::ports`]:
//!
//! - [`ingest_probe`]: S3 "Object Created" → claim → probe → PROBED or REJECTED;
//! - [`job_submit`]: task token → MediaConvert job → TRANSCODING;
//! - [`completion_handler`]: MediaConvert job events → progress, outputs, task answer;
//! - [`notifier`]: versioned SNS event, stamped on the record.
//!
//! [`Function`] wires each to the AWS adapters: a binary in `src/bin/` runs one with
//! [`run_lambda`]; the local twin holds all four in a [`FunctionHost`]. Handlers never see SDK
//! types, so tests drive them with the recording fakes of `vod-testkit`.
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
pub mod inbound_events;
pub mod ingest_probe;
pub mod job_submit;
pub mod notifier;
pub mod read_modify_write;

pub use error::HandlerError;
pub use host::{Function, FunctionHost, run_lambda};
