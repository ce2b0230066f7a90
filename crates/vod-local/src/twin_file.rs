//! `localstack/twin.json`: the twin's resource names and ports, read once (embedded at build
//! time so the binary works from any directory; `--twin-file` reads another copy). The `vod`
//! CLI reads the same file with this same type, from the repository root
//! [`vod_toolchain::repo_root`] finds.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The checked-in `localstack/twin.json`.
pub const EMBEDDED: &str = include_str!("../../../localstack/twin.json");

/// A `--twin-file` that could not be used. The cause is a field and part of the one-line
/// message (not a `#[source]`), so `vod-local` prints these as it always has.
#[derive(Debug, thiserror::Error)]
pub enum TwinFileError {
    #[error("reading {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("parsing {}: {cause}", path.display())]
    Parse {
        path: PathBuf,
        cause: serde_json::Error,
    },
}

/// Names and ports shared by vod-local, the CLI, the tests and `make demo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwinFile {
    pub region: String,
    pub account_id: String,
    pub pipeline_name: String,
    pub source_bucket: String,
    pub output_bucket: String,
    pub output_prefix: String,
    pub asset_table: String,
    pub topic_name: String,
    pub state_machine_name: String,
    pub media_convert_role_arn: String,
    pub ports: Ports,
    /// Credentials for the twin's data plane; when absent, clients use the test credentials
    /// moto accepts. Only the `vod` CLI reads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<TwinCredentials>,
}

/// An access key pair named in `twin.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwinCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Ports on 127.0.0.1. `0` means "any free port" (tests); the bound ports are reported by
/// [`crate::Endpoints`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ports {
    pub moto: u16,
    pub step_functions: u16,
    pub cdn: u16,
    pub media_convert: u16,
}

impl TwinFile {
    /// The embedded copy of `localstack/twin.json`.
    pub fn embedded() -> Self {
        // The file is part of this build and covered by a unit test, so this cannot fail at run time.
        #[allow(clippy::expect_used)]
        Self::from_json(EMBEDDED).expect("localstack/twin.json parses")
    }

    pub fn load(path: &Path) -> Result<Self, TwinFileError> {
        let text = std::fs::read_to_string(path).map_err(|cause| TwinFileError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        Self::from_json(&text).map_err(|cause| TwinFileError::Parse {
            path: path.to_path_buf(),
            cause,
        })
    }

    /// The same names with every port `0`: each service binds a free port (tests, benchmarks).
    pub fn with_free_ports(mut self) -> Self {
        self.ports = Ports {
            moto: 0,
            step_functions: 0,
            cdn: 0,
            media_convert: 0,
        };
        self
    }

    /// Parses the text of a `twin.json` (callers word their own errors).
    pub fn from_json(text: &str) -> serde_json::Result<Self> {
        serde_json::from_str(text)
    }

    /// Lambda ARN of one of our functions, as the CDK app would name it.
    pub fn lambda_arn(&self, region: &str, binary_name: &str) -> String {
        format!(
            "arn:aws:lambda:{region}:{}:function:{binary_name}",
            self.account_id
        )
    }

    /// SQS queue receiving S3 "Object Created" events (the event pump reads it).
    pub fn s3_events_queue(&self) -> String {
        format!("{}-s3-object-created", self.pipeline_name)
    }

    /// SQS queue receiving MediaConvert job events.
    pub fn mediaconvert_events_queue(&self) -> String {
        format!("{}-mediaconvert-job-events", self.pipeline_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_twin_file_parses() {
        let twin = TwinFile::embedded();
        assert_eq!(twin.ports.step_functions, 4567);
        assert!(!twin.source_bucket.is_empty());
    }
}
