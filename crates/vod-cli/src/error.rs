//! Failures of the library modules, each phrased as something a person can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("no {what} given: pass {flag} or set {env}{hint}")]
    MissingSetting {
        what: &'static str,
        flag: &'static str,
        env: &'static str,
        hint: &'static str,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    BadInput(String),
    #[error("{action} failed: {detail}{hint}")]
    Aws {
        action: String,
        detail: String,
        hint: String,
    },
    #[error("{0}")]
    Signing(#[from] vod_signing::SigningError),
    /// A flag's value was not understood: `--expires: <why>`.
    #[error("{flag}")]
    Flag {
        flag: &'static str,
        #[source]
        source: vod_signing::SigningError,
    },
    /// The playback session could not be signed; said once, in `vod_signing`'s words.
    #[error(transparent)]
    Playback(vod_signing::SigningError),
    /// `--json` output could not be written.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("interrupted: {0}")]
    Interrupted(String),
}

impl CliError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadInput(message.into())
    }

    /// Names the flag whose value `source` rejects.
    pub fn flag(flag: &'static str) -> impl FnOnce(vod_signing::SigningError) -> Self {
        move |source| Self::Flag { flag, source }
    }

    pub fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Read {
            path: path.into(),
            source,
        }
    }
}

pub type CliResult<T> = Result<T, CliError>;

/// Turns an SDK error into a sentence: what was attempted, what the service said, and where to
/// look (unreachable endpoint → is the twin running; missing resource → which flag names it).
pub fn aws_error<E, R>(
    action: impl Into<String>,
    err: aws_sdk_s3::error::SdkError<E, R>,
) -> CliError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_s3::error::SdkError;
    let action = action.into();
    let (detail, hint) = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => (
            format!("the service could not be reached ({})", aws_sdk_s3::error::DisplayErrorContext(&err)),
            ". Check AWS_ENDPOINT_URL / your network; for the local twin, start it (`vod-local up`) and pass --local".to_owned(),
        ),
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("unknown error");
            let message = e.message().unwrap_or("");
            let hint = match code {
                "NoSuchBucket" => ". Check --source-bucket / VOD_SOURCE_BUCKET".to_owned(),
                "ResourceNotFoundException" => ". Check --table / VOD_ASSET_TABLE".to_owned(),
                "NotFound" | "NotFoundException" | "NoSuchTopic" => ". Check --topic-arn / VOD_TOPIC_ARN".to_owned(),
                "AccessDenied" | "AccessDeniedException" | "InvalidAccessKeyId" | "SignatureDoesNotMatch"
                | "ExpiredToken" | "UnrecognizedClientException" => {
                    ". Check your AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and their permissions".to_owned()
                }
                _ => String::new(),
            };
            (format!("{code}: {message}").trim_end_matches(": ").to_owned(), hint)
        }
        _ => (
            aws_sdk_s3::error::DisplayErrorContext(&err).to_string(),
            ". Check your AWS configuration (credentials, AWS_REGION, AWS_ENDPOINT_URL)".to_owned(),
        ),
    };
    CliError::Aws {
        action,
        detail,
        hint,
    }
}

/// A port error from the vod-aws adapters (DynamoDB reads), with the same kind of hint.
pub fn port_error(action: &str, err: vod_core::ports::PortError) -> CliError {
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    let hint = if detail.contains("ResourceNotFound") {
        ". Check --table / VOD_ASSET_TABLE (and that the table has its byStatus index)"
    } else if detail.contains("dispatch") || detail.contains("connect") {
        ". Check AWS_ENDPOINT_URL / your network; for the local twin, start it and pass --local"
    } else {
        ""
    };
    CliError::Aws {
        action: action.to_owned(),
        detail,
        hint: hint.to_owned(),
    }
}
