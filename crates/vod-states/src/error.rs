//! Error types: definition errors, engine API errors, and runtime failures (`{Error, Cause}`).

use serde::{Deserialize, Serialize};

/// A state machine definition failed to parse or validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    /// The definition is not valid JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// A field is missing, has the wrong type, or is not allowed here (`location` is a JSON pointer-like path).
    #[error("SCHEMA_VALIDATION_FAILED: {message} at {location}")]
    Schema {
        /// Where in the definition.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A `Next`, `Default` or `StartAt` names a state that does not exist.
    #[error("MISSING_TRANSITION_TARGET: missing 'Next' target: {target} at {location}")]
    UnknownTarget {
        /// Where in the definition.
        location: String,
        /// The missing state name.
        target: String,
    },
    /// A state can never be reached from `StartAt`.
    #[error("UNREACHABLE_STATE: state '{state}' is not reachable at {location}")]
    Unreachable {
        /// Where in the definition.
        location: String,
        /// The unreachable state.
        state: String,
    },
    /// A feature this executor deliberately does not implement (JSONata, distributed Map, ...).
    #[error("UNSUPPORTED: {feature} at {location}")]
    Unsupported {
        /// Where in the definition.
        location: String,
        /// The unsupported feature.
        feature: String,
    },
}

impl DefinitionError {
    pub(crate) fn schema(location: &str, message: impl Into<String>) -> Self {
        Self::Schema {
            location: location.to_string(),
            message: message.into(),
        }
    }
}

/// A runtime failure of a state or an execution: the ASL `{"Error", "Cause"}` pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error}: {}", cause.as_deref().unwrap_or(""))]
pub struct Failure {
    /// Error name, e.g. `States.TaskFailed`.
    pub error: String,
    /// Optional human-readable cause.
    pub cause: Option<String>,
    /// Set when a `States.Timeout` was caused by a missed heartbeat (so `States.HeartbeatTimeout` matches it).
    #[serde(skip)]
    pub heartbeat: bool,
}

impl Failure {
    /// Builds a failure with a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: Some(cause.into()),
            heartbeat: false,
        }
    }

    /// Builds a failure without a cause.
    pub fn bare(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: None,
            heartbeat: false,
        }
    }

    /// `States.Runtime` failure (never retried nor caught).
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    /// `States.IntrinsicFailure` failure.
    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::new(names::INTRINSIC_FAILURE, cause)
    }

    /// Whether this is a terminal `States.Runtime` failure.
    pub fn is_runtime(&self) -> bool {
        self.error == names::RUNTIME
    }
}

/// The error returned by a [`crate::TaskInvoker`] for a failed task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error}: {}", cause.as_deref().unwrap_or(""))]
pub struct TaskError {
    /// Error name as AWS would report it (e.g. `Lambda.ServiceException`, or a Lambda `errorType`).
    pub error: String,
    /// Cause text (for Lambda: the JSON error payload as a string).
    pub cause: Option<String>,
}

impl TaskError {
    /// Builds a task error.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

/// Errors of the engine API (unknown execution, bad task token, ...). AWS API error names are kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// No execution with this ARN.
    #[error("ExecutionDoesNotExist: {0}")]
    ExecutionDoesNotExist(String),
    /// An execution with this name already exists.
    #[error("ExecutionAlreadyExists: {0}")]
    ExecutionAlreadyExists(String),
    /// The task token is malformed.
    #[error("InvalidToken: {0}")]
    InvalidToken(String),
    /// The task token is unknown or already completed.
    #[error("TaskDoesNotExist: {0}")]
    TaskDoesNotExist(String),
    /// The task already timed out.
    #[error("TaskTimedOut: {0}")]
    TaskTimedOut(String),
    /// The output given to `send_task_success` is not valid JSON.
    #[error("InvalidOutput: {0}")]
    InvalidOutput(String),
}

/// Well-known `States.*` error names.
pub mod names {
    /// Matches every error except `States.Runtime`.
    pub const ALL: &str = "States.ALL";
    /// Non-terminal runtime error.
    pub const RUNTIME: &str = "States.Runtime";
    /// Task failed.
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// Task or execution timed out.
    pub const TIMEOUT: &str = "States.Timeout";
    /// No heartbeat within `HeartbeatSeconds`.
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// Intrinsic function failure.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// `ResultPath` could not be applied.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// A `.$` parameter path failed.
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    /// A Parallel branch failed.
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    /// No Choice rule matched and there is no Default.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// Map failures exceeded the tolerated threshold.
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    /// Missing permissions.
    pub const PERMISSIONS: &str = "States.Permissions";
    /// Item reader failed.
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
}
