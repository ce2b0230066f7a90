//! In-memory fakes of the [`vod_core::ports`] traits. Each one *records* what it was asked, so
//! tests assert on behaviour ("one job was submitted", "the probe read 70 KiB") rather than
//! on return values alone. Used by handler tests, probe tests and benchmarks; never swapped in
//! with `cfg(test)`.
//!
//! Modules: `fakes` (the recording fakes, re-exported here), `reader` (media readers over
//! memory or a file that count every read, re-exported here), [`moto`] (a moto server per
//! test), [`media`] (test clips made by ffmpeg), [`tools`] (the project's Python checkers:
//! CreateJob bodies, DASH manifests), [`browser`] (what the Chromium player tests need).
//! [`repo_root`] is the repository every test reads its fixtures from.

pub mod browser;
mod fakes;
pub mod media;
pub mod moto;
mod reader;
pub mod tools;

pub use fakes::{
    CallbackCall, ListedExecutions, ListedJobQueue, ListedOutputs, MemoryAssetStore,
    MemoryOutputWriter, RecordingNotifier, RecordingTaskCallback, RecordingTranscoder,
    SteppingClock,
};
pub use moto::MotoServer;
pub use reader::{FileMediaReader, MemoryMediaReader, ReadLog};

/// The repository root as [`vod_toolchain::repo_root`] finds it; a test outside a checkout
/// fails saying how to point it at one.
pub fn repo_root() -> std::path::PathBuf {
    vod_toolchain::repo_root().unwrap_or_else(|| {
        panic!(
            "run the tests inside the repository or set {}",
            vod_toolchain::REPO_ROOT_ENV
        )
    })
}
