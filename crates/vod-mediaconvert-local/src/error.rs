//! Errors: API errors in MediaConvert's wire form, job failures with MediaConvert error codes.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A CreateJob setting the twin refuses, with the JSON path of the setting
/// (`/outputGroups/0/outputs/1/videoDescription/codecSettings/codec`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct BadRequest {
    pub path: String,
    pub message: String,
}

impl BadRequest {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// An error answered by the HTTP API, shaped like MediaConvert's REST-JSON errors:
/// status code, `x-amzn-ErrorType` header (what the AWS SDKs read to pick the error variant)
/// and a `{"message": ...}` body.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "BadRequestException",
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            kind: "NotFoundException",
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            kind: "ConflictException",
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "InternalServerErrorException",
            message: message.into(),
        }
    }
}

impl From<BadRequest> for ApiError {
    fn from(err: BadRequest) -> Self {
        Self::bad_request(err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "message": self.message }).to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert("x-amzn-ErrorType", HeaderValue::from_static(self.kind));
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// Why a job ended in ERROR, with the numeric code MediaConvert uses for the same situation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct JobFailure {
    pub code: i64,
    pub message: String,
}

impl JobFailure {
    /// 1010: the input cannot be opened (missing object, unreadable or corrupt file).
    pub fn input_access(message: impl Into<String>) -> Self {
        Self {
            code: 1010,
            message: message.into(),
        }
    }

    /// 1030: transcoding failed after the input was opened (decode/encode error).
    pub fn transcode(message: impl Into<String>) -> Self {
        Self {
            code: 1030,
            message: message.into(),
        }
    }

    /// 1040: the input lacks what the job asks for (no video stream for a video output, ...).
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self {
            code: 1040,
            message: message.into(),
        }
    }

    /// 1999: anything else (ffmpeg missing, output upload failed, twin restarted mid-job).
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            code: 1999,
            message: message.into(),
        }
    }
}

/// Errors starting or running the twin itself.
#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    #[error("state directory {path}: {source}")]
    StateDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    FfmpegNotFound(#[from] vod_toolchain::ToolMissing),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
