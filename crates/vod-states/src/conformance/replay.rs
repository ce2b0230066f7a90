//! Running recorded cases: one definition with its mocks on an instant fake clock, one case
//! directory, every case in a folder, and the known-failures list.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::compare::{
    compare, holds_timestamp_placeholder, substitute_input_placeholders, why_unscoreable,
};
use super::mocks::{CaseItemSource, MockInvoker};
use super::{CaseResult, read_json};
use crate::clock::FakeClock;
use crate::definition::StateMachine;
use crate::engine::{Engine, EngineConfig, ExecutionStatus};

/// What one execution ended with.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Final status.
    pub status: ExecutionStatus,
    /// Output if succeeded.
    pub output: Option<Value>,
    /// Error.
    pub error: Option<String>,
    /// Cause.
    pub cause: Option<String>,
    /// S3 objects an `ItemReader` read that the recording does not hold.
    pub unheld_objects: Vec<String>,
}

/// Runs one definition with mocks on an instant fake clock, with a real-time guard.
pub async fn run_definition(
    definition: &str,
    input: Value,
    mocks: Vec<Value>,
) -> Result<Outcome, String> {
    let objects = Arc::new(CaseItemSource::for_case(None, &mocks)?);
    run_definition_with(definition, input, mocks, objects).await
}

/// Runs one definition with mocks and the S3 objects its `ItemReader` may read.
pub async fn run_definition_with(
    definition: &str,
    input: Value,
    mocks: Vec<Value>,
    objects: Arc<CaseItemSource>,
) -> Result<Outcome, String> {
    let machine =
        StateMachine::from_json(definition).map_err(|e| format!("definition rejected: {e}"))?;
    let invoker = Arc::new(MockInvoker::new(mocks));
    let clock = Arc::new(FakeClock::instant(chrono::Utc::now()));
    let config = EngineConfig {
        account: "111111111111".into(),
        ..EngineConfig::default()
    };
    let engine = Engine::with_config(invoker.clone(), clock, config);
    invoker.attach(engine.clone());
    engine.set_item_source(objects.clone());
    let arn = engine
        .start_execution(Arc::new(machine), Some("conformance".into()), input)
        .map_err(|e| e.to_string())?;
    let desc = tokio::time::timeout(Duration::from_secs(20), engine.wait(&arn))
        .await
        .map_err(|_| "execution did not finish (hung)".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(Outcome {
        status: desc.status,
        output: desc.output,
        error: desc.error,
        cause: desc.cause,
        unheld_objects: objects.misses(),
    })
}

/// Runs one case directory and renders what happened (for debugging a failing case).
pub async fn show_case(dir: &Path) -> String {
    let definition = std::fs::read_to_string(dir.join("definition.asl.json")).unwrap_or_default();
    let input =
        substitute_input_placeholders(read_json(&dir.join("input.json")).unwrap_or(json!({})));
    let mocks = read_json(&dir.join("task_mocks.json"))
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    let objects = match CaseItemSource::for_case(Some(dir), &mocks) {
        Ok(o) => Arc::new(o),
        Err(e) => return e,
    };
    match run_definition_with(&definition, input, mocks, objects).await {
        Ok(o) => format!(
            "status={} error={:?} cause={:?}\noutput={}",
            o.status.as_str(),
            o.error,
            o.cause,
            o.output.map(|v| v.to_string()).unwrap_or_default()
        ),
        Err(e) => e,
    }
}

/// Runs one case directory.
pub async fn run_case(dir: &Path) -> CaseResult {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut unscoreable = None;
    let failure = async {
        let definition = std::fs::read_to_string(dir.join("definition.asl.json"))
            .map_err(|e| format!("cannot read definition: {e}"))?;
        let raw_input = read_json(&dir.join("input.json")).unwrap_or(json!({}));
        let timestamp_unknown = holds_timestamp_placeholder(&raw_input);
        let input = substitute_input_placeholders(raw_input);
        let expected = read_json(&dir.join("expected.json"))?;
        let mocks_path = dir.join("task_mocks.json");
        let mocks = if mocks_path.exists() {
            read_json(&mocks_path)?
                .as_array()
                .cloned()
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let objects = Arc::new(CaseItemSource::for_case(Some(dir), &mocks)?);
        let got = run_definition_with(&definition, input, mocks, objects).await?;
        match compare(&expected, &got) {
            None => Ok(()),
            Some(reason) => {
                unscoreable = why_unscoreable(&definition, &expected, &got).or_else(|| {
                    let about_timestamps = |c: Option<&str>| {
                        c.is_some_and(|c| c.contains("ISO-8601 extended offset date-time"))
                    };
                    (timestamp_unknown
                        && (about_timestamps(expected.get("cause").and_then(Value::as_str))
                            || about_timestamps(got.cause.as_deref())))
                    .then(|| {
                        "the timestamp the execution validated is a recorder placeholder in the input, so its validity is unknown"
                            .to_string()
                    })
                });
                Err(reason)
            }
        }
    }
    .await
    .err();
    match unscoreable {
        Some(why) => CaseResult {
            name,
            failure: None,
            unscoreable: Some(why),
        },
        None => CaseResult::scored(name, failure),
    }
}

/// Parses a known-failures list (`name  # reason` per line; `#` comment lines and blanks ignored).
pub fn parse_known_failures(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('#') {
            Some((name, reason)) => (name.trim().to_string(), reason.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

/// Lists case directories (sorted) under `dir`.
pub fn case_dirs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("definition.asl.json").exists())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Runs every case under `dir`.
pub async fn run_cases(dir: &Path) -> Result<Vec<CaseResult>, String> {
    let mut out = Vec::new();
    for d in case_dirs(dir)? {
        out.push(run_case(&d).await);
    }
    Ok(out)
}
