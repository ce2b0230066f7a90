//! `vod-sim`: a deterministic simulation of the whole pipeline under faults.
//!
//! The real state machine file (`statemachine/vod-pipeline.asl.json`) runs on `vod-states`;
//! its Lambda tasks run the real handlers of `vod-functions` on ports over an in-memory AWS
//! account (S3, DynamoDB with conditional writes, SNS, MediaConvert with queueing and job
//! events, EventBridge with at-least-once, late, duplicated and lost deliveries). Everything
//! runs on one thread of a tokio runtime whose time is paused, so simulated days pass in
//! milliseconds, and one seed decides the uploads, the faults, the delays, the engine's
//! tokens and jitter: a failing seed replays exactly.
//!
//! - [`chance`]: the seed's randomness, one stream per purpose;
//! - [`scenario`]: what a seed decides up front (uploads, the swarm's mix of faults);
//! - [`sim`]: the run's shared state and the fault scheduler; [`world`]: the simulated
//!   account (buckets, table, topic, jobs) and who wrote what;
//! - [`ports`], [`lambda`], [`mediaconvert`], [`eventbridge`]: the simulated services;
//! - [`reconciler`]: the reconciler's schedule, and the check that a second run changes nothing;
//! - [`invariants`]: what must hold, and the diagnosis of a violation;
//! - [`expected`]: the known-open problems `make test` holds the code to;
//! - [`mutants`]: runs that re-introduce a bug, to prove the checks can fail;
//! - [`run`], [`trace`]: one seed start to end, and its story.
//!
//! ```
//! let report = vod_sim::run::run_seed(7, None).unwrap();
//! let again = vod_sim::run::run_seed(7, None).unwrap();
//! assert_eq!(report.trace, again.trace);
//! println!("{}", report.explain(Some(40)));
//! ```

pub mod chance;
pub mod eventbridge;
pub mod expected;
pub mod invariants;
pub mod lambda;
pub mod mediaconvert;
pub mod mutants;
pub mod ports;
pub mod reconciler;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod trace;
pub mod world;

/// Why a run could not even start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the state machine definition: {0}")]
    Definition(String),
    #[error("the simulation runtime: {0}")]
    Runtime(#[source] std::io::Error),
}
