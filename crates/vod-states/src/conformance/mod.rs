//! Conformance harness (feature `conformance`): replays recorded Step Functions executions
//! (case directories and the Choice-operator table) against this executor, answering Task calls
//! from recorded mocks. It serves the `asl-conformance` binary and `tests/it/conformance.rs`; it is
//! not part of the executor.
//!
//! - `replay`: running one definition, one case directory, a folder of cases.
//! - `mocks`: the recorded Task answers and S3 objects a replay talks to.
//! - `compare`: the recording's placeholders and the outcome check.
//! - `choice_operators`: the Choice-operator table.

mod choice_operators;
mod compare;
mod mocks;
mod replay;
#[cfg(test)]
mod tests;

use std::path::Path;

use serde_json::Value;

pub use choice_operators::run_choice_operators;
pub use compare::{compare, substitute_input_placeholders, wild_eq};
pub use mocks::{CaseItemSource, MockInvoker, python_dumps};
pub use replay::{
    Outcome, case_dirs, parse_known_failures, run_case, run_cases, run_definition,
    run_definition_with, show_case,
};

/// Outcome of one case or row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// Case directory name or row label.
    pub name: String,
    /// `None` when it passed (or could not be compared), else a short reason.
    pub failure: Option<String>,
    /// Set when the recording cannot decide the case (the reason why); such a case is neither
    /// passed nor failed and is counted apart.
    pub unscoreable: Option<String>,
}

impl CaseResult {
    fn scored(name: String, failure: Option<String>) -> Self {
        Self {
            name,
            failure,
            unscoreable: None,
        }
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("invalid JSON in {}: {e}", path.display()))
}
