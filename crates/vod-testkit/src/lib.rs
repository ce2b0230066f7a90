//! In-memory fakes of the [`vod_core::ports`] traits. Each one *records* what it was asked, so
//! tests assert on behaviour ("one job was submitted", "the probe read 70 KiB") rather than
//! on return values alone. Used by handler tests, probe tests and benchmarks; never swapped in
//! with `cfg(test)`.

pub mod browser;
mod fakes;
pub mod media;
pub mod moto;
mod reader;
pub mod tools;

pub use fakes::{
    CallbackCall, MemoryAssetStore, MemoryOutputWriter, RecordingNotifier, RecordingTaskCallback,
    RecordingTranscoder, SteppingClock,
};
pub use moto::MotoServer;
pub use reader::{FileMediaReader, MemoryMediaReader, ReadLog};
