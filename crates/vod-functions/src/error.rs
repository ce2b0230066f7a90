//! The error a handler returns: an error name the state machine matches, and a message.

use vod_core::error_names;
use vod_core::ports::{PortError, PortErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error_type}: {message}")]
pub struct HandlerError {
    /// One of [`vod_core::error_names`]: what `Retry`/`Catch` `ErrorEquals` match.
    pub error_type: String,
    pub message: String,
}

impl HandlerError {
    pub fn new(error_type: &str, message: impl Into<String>) -> Self {
        Self {
            error_type: error_type.to_owned(),
            message: message.into(),
        }
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(error_names::INVALID_INPUT, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(error_names::CONFLICT, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(error_names::INTERNAL, message)
    }

    /// A port failure: transient kinds (and lost races) are worth a retry, the rest are not.
    /// A replaced source is the input no longer being what the event named (ingest-probe
    /// turns it into a rejection before it gets here).
    pub fn from_port(context: &str, err: PortError) -> Self {
        let name = match err.kind {
            PortErrorKind::Transient | PortErrorKind::Conflict => error_names::TRANSIENT,
            PortErrorKind::NotFound | PortErrorKind::Replaced => error_names::INVALID_INPUT,
            PortErrorKind::Invalid | PortErrorKind::Permanent => error_names::INTERNAL,
            PortErrorKind::TooLarge => error_names::TOO_LARGE,
        };
        Self::new(name, format!("{context}: {err}"))
    }
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(err: HandlerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: err.error_type,
            error_message: err.message,
        }
    }
}
