//! One harness for the `vod` binary: every test runs the real executable, against a moto
//! server started by the test where AWS is involved.

mod common;
mod plan;
mod records;
mod sign;
mod upload;
mod watch;
