//! The typed model a definition parses into: machine, graphs, states and their parts.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::choice::ChoiceRule;

/// A parsed, validated state machine.
#[derive(Debug, Clone)]
pub struct StateMachine {
    /// The top-level graph.
    pub graph: Arc<Graph>,
    /// Definition-level `TimeoutSeconds`.
    pub timeout_seconds: Option<u64>,
    /// The raw definition.
    pub definition: Value,
    /// Name used in ARNs (defaults to `StateMachine`).
    pub name: String,
}

/// A set of states with a start state (the machine itself, a Parallel branch or a Map processor).
#[derive(Debug)]
pub struct Graph {
    /// `StartAt`.
    pub start_at: String,
    /// States by name.
    pub states: HashMap<String, State>,
}

/// `InputPath`/`OutputPath`/`ResultPath`: `None` is JSON `null`.
pub type IoPath = Option<String>;

/// A number given literally or through a `*Path` field.
#[derive(Debug, Clone, PartialEq)]
pub enum NumOrPath {
    /// Literal value.
    Value(Value),
    /// Path into the effective input.
    Path(String),
}

/// How a state continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// `Next`.
    Next(String),
    /// `End: true`, `Succeed`, or `Fail`.
    End,
    /// Choice: decided at run time.
    Choice,
}

/// A `Retry` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `IntervalSeconds` (default 1).
    pub interval_seconds: f64,
    /// `MaxAttempts` (default 3).
    pub max_attempts: u64,
    /// `BackoffRate` (default 2.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`.
    pub max_delay_seconds: Option<f64>,
    /// `JitterStrategy` == `FULL`.
    pub jitter_full: bool,
}

/// A `Catch` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `Next`.
    pub next: String,
    /// `ResultPath` (default `$`).
    pub result_path: IoPath,
    /// `Assign`.
    pub assign: Option<Value>,
}

/// `Wait` duration specification.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitSpec {
    /// `Seconds`.
    Seconds(Value),
    /// `Timestamp`.
    Timestamp(String),
    /// `SecondsPath`.
    SecondsPath(String),
    /// `TimestampPath`.
    TimestampPath(String),
}

/// A string given literally or through a path (Fail `Error`/`Cause`).
#[derive(Debug, Clone, PartialEq)]
pub enum StrOrPath {
    /// Literal.
    Literal(String),
    /// Path or intrinsic.
    Path(String),
}

/// Map state configuration.
#[derive(Debug)]
pub struct MapSpec {
    /// Iteration graph.
    pub processor: Arc<Graph>,
    /// `ItemsPath` (default `$`).
    pub items_path: String,
    /// `ItemSelector` (or legacy `Parameters`).
    pub item_selector: Option<Value>,
    /// `MaxConcurrency(Path)`.
    pub max_concurrency: Option<NumOrPath>,
    /// `ToleratedFailureCount(Path)`.
    pub tolerated_count: Option<NumOrPath>,
    /// `ToleratedFailurePercentage(Path)`.
    pub tolerated_percentage: Option<NumOrPath>,
    /// `ItemReader` (distributed Map reading S3 through the engine's item source).
    pub item_reader: Option<Value>,
    /// `ItemBatcher` (items handed to iterations in batches).
    pub item_batcher: Option<Value>,
}

/// State-type specific data.
#[derive(Debug)]
pub enum StateKind {
    /// Pass state.
    Pass {
        /// `Result`.
        result: Option<Value>,
    },
    /// Task state.
    Task {
        /// `Resource` ARN.
        resource: String,
        /// `TimeoutSeconds(Path)`.
        timeout: Option<NumOrPath>,
        /// `HeartbeatSeconds(Path)`.
        heartbeat: Option<NumOrPath>,
        /// `Credentials`.
        credentials: Option<Value>,
    },
    /// Choice state.
    Choice {
        /// Rules.
        choices: Vec<ChoiceRule>,
        /// `Default`.
        default: Option<String>,
    },
    /// Wait state.
    Wait(WaitSpec),
    /// Succeed state.
    Succeed,
    /// Fail state.
    Fail {
        /// `Error`/`ErrorPath`.
        error: Option<StrOrPath>,
        /// `Cause`/`CausePath`.
        cause: Option<StrOrPath>,
    },
    /// Parallel state.
    Parallel {
        /// Branches.
        branches: Vec<Arc<Graph>>,
    },
    /// Map state.
    Map(MapSpec),
}

/// One state.
#[derive(Debug)]
pub struct State {
    /// Name.
    pub name: String,
    /// `Type` as written.
    pub type_name: String,
    /// Kind.
    pub kind: StateKind,
    /// `InputPath`.
    pub input_path: IoPath,
    /// `OutputPath`.
    pub output_path: IoPath,
    /// `ResultPath`.
    pub result_path: IoPath,
    /// `Parameters`.
    pub parameters: Option<Value>,
    /// `ResultSelector`.
    pub result_selector: Option<Value>,
    /// `Assign`.
    pub assign: Option<Value>,
    /// Transition.
    pub transition: Transition,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// Whether any field of this state mentions `$$` (the context object is only built then).
    pub uses_context: bool,
}
