//! One harness for vod-local's integration tests: the twin's pieces against a real moto, and
//! the `vod-local` binary (what `vod local up` runs) killed and started again.

// Helpers outside #[test] fns are test code too (clippy.toml only covers the fns).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod item_reader;
mod persist;
mod restart;
