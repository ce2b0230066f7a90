//! `vod-states` — an Amazon States Language (JSONPath) executor that behaves like AWS Step Functions.
//!
//! Parse a definition with [`StateMachine::from_json`], create an [`Engine`] with a
//! [`TaskInvoker`] (how Task states reach the outside world) and a [`Clock`] (real or fake;
//! with [`Engine::set_entropy`] and a paused runtime, a simulation owns time and chance), then
//! start executions, wait for them, read their history, and answer `.waitForTaskToken`
//! callbacks with [`Engine::send_task_success`] and friends.
//!
//! ```
//! use std::sync::Arc;
//! use serde_json::{json, Value};
//! use vod_states::{Engine, ExecutionStatus, FakeClock, StateMachine, TaskContext, TaskError, TaskInvoker};
//!
//! struct Doubler;
//! #[async_trait::async_trait]
//! impl TaskInvoker for Doubler {
//!     async fn invoke(&self, _resource: &str, params: Value, _ctx: TaskContext) -> Result<Value, TaskError> {
//!         Ok(json!(params["n"].as_i64().unwrap_or(0) * 2))
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let machine = StateMachine::from_json(r#"{
//!   "StartAt": "Double",
//!   "States": {
//!     "Double": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
//!                "ResultPath": "$.doubled", "Next": "Done"},
//!     "Done": {"Type": "Succeed"}
//!   }
//! }"#).unwrap();
//! let engine = Engine::new(Arc::new(Doubler), Arc::new(FakeClock::instant(chrono::Utc::now())));
//! let done = engine.run(Arc::new(machine), json!({"n": 21})).await.unwrap();
//! assert_eq!(done.status, ExecutionStatus::Succeeded);
//! assert_eq!(done.output, Some(json!({"n": 21, "doubled": 42})));
//! # });
//! ```
//!
//! # Modules
//!
//! - [`definition`]: parsing and static validation of a definition into the typed model
//!   (`types`, the field table `fields`, `retry_catch`, `parse`).
//! - [`engine`]: the [`Engine`] API, task-token callbacks, the run loop, Retry/Catch, and the
//!   Task, Parallel and Map attempts (`api`, `tokens`, `run`, `retry`, `task`, `parallel`, `map`,
//!   `numbers`).
//! - [`choice`]: Choice rules, their parsing and evaluation, and the timestamp format.
//! - [`path`]: JSONPath evaluation, reference paths for `ResultPath`, and payload templates.
//! - [`intrinsics`]: `States.*` intrinsic functions (the parser, and the functions by family).
//! - [`invoker`]: the [`TaskInvoker`] port Task states call the outside world through.
//! - [`item_reader`]: the [`ItemSource`] port a distributed Map's `ItemReader` reads S3 through.
//! - [`clock`]: the real clock, the tokio runtime's (virtual when paused) and a fake one.
//! - [`entropy`]: where task tokens, retry jitter and default execution names come from (the
//!   operating system, or a seeded source for a simulation).
//! - [`history`]: history events in the `GetExecutionHistory` shape.
//! - [`error`]: the library's error types (definition, engine API, runtime failures).
//! - `conformance` (feature `conformance`): the harness replaying recorded AWS executions, for the
//!   `asl-conformance` binary and the tests; not part of the executor's API.

pub mod choice;
pub mod clock;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod definition;
pub mod engine;
pub mod entropy;
pub mod error;
pub mod history;
pub mod intrinsics;
pub mod invoker;
pub mod item_reader;
pub mod path;

pub use clock::{Clock, FakeClock, FakeMode, RuntimeClock, TokioClock};
pub use definition::StateMachine;
pub use engine::{Engine, EngineConfig, ExecutionDescription, ExecutionStatus};
pub use entropy::{Entropy, OsEntropy};
pub use error::{DefinitionError, EngineError, Failure, TaskError};
pub use history::HistoryEvent;
pub use invoker::{FnInvoker, TaskContext, TaskInvoker};
pub use item_reader::{InMemoryItemSource, ItemSource, ObjectSummary, SourceError};
