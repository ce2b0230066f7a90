//! Error names shared with the state machine's `Retry`/`Catch` `ErrorEquals`.
//!
//! A Lambda handler's error type becomes the `errorType` of its failure (via
//! `lambda_runtime::Diagnostic`), and that string is what the ASL matches. A test checks that
//! every name used in `statemachine/vod-pipeline.asl.json` is listed here and vice versa.
//! None begins with `States.` (reserved by Step Functions).

/// The input cannot be processed as it is (not media, truncated, bad event). Not retried.
pub const INVALID_INPUT: &str = "Vod.InvalidInput";
/// A dependency failed in a way that may pass on retry (throttling, timeouts, 5xx).
pub const TRANSIENT: &str = "Vod.Transient";
/// The asset's record was not in the state the step needs (e.g. submit before probe).
pub const CONFLICT: &str = "Vod.Conflict";
/// A bug or misconfiguration: retrying will not help, a person must look.
pub const INTERNAL: &str = "Vod.Internal";
/// MediaConvert reported the job as ERROR (the cause carries its code and message).
pub const MEDIACONVERT_JOB_FAILED: &str = "MediaConvert.JobFailed";
/// MediaConvert reported the job as CANCELED.
pub const MEDIACONVERT_JOB_CANCELED: &str = "MediaConvert.JobCanceled";

/// The asset reached a final state but its lifecycle event could not be published.
pub const NOTIFICATION_FAILED: &str = "Vod.NotificationFailed";
/// The asset's record or event would exceed DynamoDB's item or SNS's message size limit
/// (`crate::limits`); the message says which and by how much. Not retried.
pub const TOO_LARGE: &str = "Vod.TooLarge";

/// Every name above, for contract tests.
pub const ALL: [&str; 8] = [
    INVALID_INPUT,
    TRANSIENT,
    CONFLICT,
    INTERNAL,
    MEDIACONVERT_JOB_FAILED,
    MEDIACONVERT_JOB_CANCELED,
    NOTIFICATION_FAILED,
    TOO_LARGE,
];

/// The only names of ours the state machine retries; every other one goes straight to its
/// Catch. The ASL contract test checks that `Retry` lists exactly these (plus the Lambda
/// service errors).
pub const RETRIED: [&str; 1] = [TRANSIENT];

/// Errors raised by the Lambda service itself rather than by our code; the ASL retries them.
/// Not ours to define, listed so the contract test can tell them from typos.
pub const LAMBDA_SERVICE_ERRORS: [&str; 4] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];

/// Lambda killed the function at its configured timeout (what Lambda reports today; the local
/// twin reports it too, from the same timeout, [`crate::contracts::LambdaFunction::timeout_seconds`]).
pub const SANDBOX_TIMED_OUT: &str = "Sandbox.Timedout";
/// Lambda's name for an unhandled failure of the sandbox (out of memory, the runtime exited;
/// older accounts also report timeouts with it).
pub const LAMBDA_UNKNOWN: &str = "Lambda.Unknown";

/// The function died mid-call rather than answering: it may have done part of its work. The
/// ASL retries these only where running the function again is safe (ingest-probe resumes its
/// own claim; a notifier retry at worst publishes its event twice, as its `Vod.Transient` retry
/// already may) and not on Transcode, where a job-submit killed after CreateJob but before it
/// stored the job id would create a second MediaConvert job on retry.
pub const LAMBDA_SANDBOX_ERRORS: [&str; 2] = [SANDBOX_TIMED_OUT, LAMBDA_UNKNOWN];

#[cfg(test)]
mod tests {
    #[test]
    fn no_name_is_reserved_by_step_functions() {
        for name in super::ALL {
            assert!(!name.starts_with("States."), "{name}");
            assert!(name.contains('.'), "{name} should be namespaced");
        }
    }
}
