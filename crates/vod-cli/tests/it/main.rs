//! One harness for the `vod` binary: every test runs the real executable, against a moto
//! server started by the test where AWS is involved.

// Helpers outside #[test] fns are test code too (clippy.toml only covers the fns).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod local_up;
mod parsers;
mod plan;
mod probe;
mod records;
mod sign;
mod upload;
mod watch;
