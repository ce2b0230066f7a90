//! The crate's integration tests, one harness (one binary to link):
//!
//! - `states`, `retry_catch`, `callbacks`, `executions`: the engine's behaviour.
//! - `fidelity`: behaviours recorded on AWS that the executor reproduces.
//! - `pipeline`: the project's `statemachine/vod-pipeline.asl.json` with fake task results.
//! - `conformance`: the recorded AWS executions (feature `conformance`, on for tests).

mod callbacks;
#[cfg(feature = "conformance")]
mod conformance;
mod executions;
mod fidelity;
mod pipeline;
mod retry_catch;
mod states;
mod support;
