//! Turns SDK errors into port errors whose kind says whether a retry can help.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use vod_core::ports::{PortError, PortErrorKind};

/// Service error codes that mean "try again later".
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
    "ServiceUnavailable",
    "InternalServerError",
    "InternalFailure",
    "TransactionConflictException",
];

/// Codes that mean the target does not exist (or no longer accepts this request).
const NOT_FOUND_CODES: &[&str] = &[
    "NotFound",
    "NoSuchKey",
    "NoSuchBucket",
    "ResourceNotFoundException",
    "TaskDoesNotExist",
    "TaskTimedOut",
    "InvalidToken",
    "ExecutionDoesNotExist",
];

pub(crate) fn port_error<E>(context: &str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let kind = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            PortErrorKind::Transient
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or_default();
            if status >= 500 || status == 429 || TRANSIENT_CODES.contains(&code) {
                PortErrorKind::Transient
            } else if code == "ConditionalCheckFailedException" {
                PortErrorKind::Conflict
            } else if status == 404 || NOT_FOUND_CODES.contains(&code) {
                PortErrorKind::NotFound
            } else if (400..500).contains(&status) {
                PortErrorKind::Invalid
            } else {
                PortErrorKind::Permanent
            }
        }
        _ => PortErrorKind::Permanent,
    };
    let message = format!("{context}: {}", DisplayErrorContext(&err));
    PortError::new(kind, message).with_source(err)
}
