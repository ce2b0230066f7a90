//! The simulation's own tests, one harness:
//!
//! - `runs`: replay is exact; a calm run ends every upload as it deserves with no violation;
//!   the checks fail on mutants and on a problem written into a scenario.
//! - `cli`: the binary's flags and exit codes.

mod cli;
mod runs;
