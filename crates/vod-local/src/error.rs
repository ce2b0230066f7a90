//! What can stop the twin from starting, each phrased so a person knows what to do next.
//! Causes are `#[source]`s, except where the message has always carried its cause on one line
//! (there the cause is a plain field): `vod local up` and `vod-local` print what they printed
//! before.

use std::path::PathBuf;

/// Starting the twin failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("creating the state directory {}", path.display())]
    StateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another twin runs on the state directory, or its lock cannot be taken.
    #[error(transparent)]
    StateLock(#[from] crate::state_dir::StateDirError),
    #[error("restoring the twin's data from its journal (`vod local reset` empties it)")]
    Restore(#[source] crate::persist::PersistError),
    /// moto's recorder, which keeps the data across restarts, did not start.
    #[error("starting moto's request recorder")]
    Recorder(#[source] crate::persist::PersistError),
    #[error(transparent)]
    TwinFile(#[from] crate::twin_file::TwinFileError),
    #[error("--no-moto needs AWS_ENDPOINT_URL (or --aws-endpoint) pointing at a running moto")]
    NoMotoWithoutEndpoint,
    #[error(transparent)]
    Moto(#[from] crate::moto::MotoError),
    #[error("bootstrapping the data plane")]
    Bootstrap(#[source] crate::bootstrap::BootstrapError),
    #[error("binding 127.0.0.1:{port} (in use? pick another port with the flags)")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("reading the address bound for 127.0.0.1:{port}")]
    BoundAddress {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    /// The in-process Lambdas could not be configured (their own words).
    #[error(transparent)]
    LambdaHost(Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Placeholders(#[from] crate::definitions::SubstituteError),
    /// The checked-in state machine does not load (cause on the same line).
    #[error("statemachine/vod-pipeline.asl.json: {0}")]
    StateMachine(vod_states::DefinitionError),
    #[error("starting the MediaConvert twin")]
    MediaConvert(#[source] vod_mediaconvert_local::TwinError),
    /// Start-up recovery could not list the assets left mid-pipeline (cause on the same line).
    #[error("listing {status} assets: {cause}")]
    ListOrphans {
        status: &'static str,
        cause: vod_core::ports::PortError,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
