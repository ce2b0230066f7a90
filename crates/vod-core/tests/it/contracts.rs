//! The state machine, the event patterns and the CDK app agree with the Rust constants.

use crate::{check_generated, repo_root};
use serde_json::Value;
use std::collections::BTreeSet;
use vod_core::contracts::{LambdaFunction, contract_json};
use vod_core::error_names;

fn asl() -> Value {
    let text = std::fs::read_to_string(repo_root().join("statemachine/vod-pipeline.asl.json"))
        .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

/// Every `ErrorEquals` list in the definition, with the state and whether it is a Retry.
fn error_equals(definition: &Value) -> Vec<(String, bool, Vec<String>)> {
    let mut out = Vec::new();
    let states = definition["States"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, state) in states {
        for (field, is_retry) in [("Retry", true), ("Catch", false)] {
            for rule in state[field].as_array().cloned().unwrap_or_default() {
                let names = rule["ErrorEquals"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                out.push((name.clone(), is_retry, names));
            }
        }
    }
    out
}

#[test]
fn every_error_name_in_the_asl_is_a_rust_constant() {
    let definition = asl();
    let rules = error_equals(&definition);
    assert!(
        !rules.is_empty(),
        "no Retry/Catch found: is the ASL file there?"
    );
    for (state, _, names) in &rules {
        for name in names {
            let known = name.starts_with("States.")
                || error_names::ALL.contains(&name.as_str())
                || error_names::LAMBDA_SERVICE_ERRORS.contains(&name.as_str())
                || error_names::LAMBDA_SANDBOX_ERRORS.contains(&name.as_str());
            assert!(
                known,
                "{state}: ErrorEquals name {name} is not a constant in vod_core::error_names"
            );
        }
    }
}

#[test]
fn retry_lists_exactly_the_retried_rust_names_and_every_task_catches_everything() {
    let definition = asl();
    let rules = error_equals(&definition);
    let ours_retried: BTreeSet<&str> = rules
        .iter()
        .filter(|(_, retry, _)| *retry)
        .flat_map(|(_, _, names)| names.iter().map(String::as_str))
        .filter(|n| n.starts_with("Vod.") || n.starts_with("MediaConvert."))
        .collect();
    assert_eq!(ours_retried, error_names::RETRIED.into_iter().collect());

    let states = definition["States"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, state) in &states {
        if state["Type"] == "Task" {
            let catches_all = state["Catch"].as_array().is_some_and(|c| {
                c.iter()
                    .any(|r| r["ErrorEquals"] == serde_json::json!(["States.ALL"]))
            });
            assert!(
                catches_all,
                "task {name} has no States.ALL Catch: a failure would end without a record update"
            );
            let retries_lambda = state["Retry"].as_array().is_some_and(|r| {
                r.iter().any(|rule| {
                    rule["ErrorEquals"]
                        .as_array()
                        .is_some_and(|n| n.iter().any(|e| e == "Lambda.ServiceException"))
                })
            });
            assert!(
                retries_lambda,
                "task {name} does not retry Lambda service errors"
            );
        }
    }
    // Names used outside ErrorEquals (Fail states, Pass-built errors) are ours too.
    let text = serde_json::to_string(&definition).unwrap_or_default();
    for used in ["Vod.Internal", "Vod.NotificationFailed"] {
        assert!(text.contains(used) && error_names::ALL.contains(&used));
    }
}

/// A function killed at its timeout (or out of memory) is retried everywhere, Transcode
/// included: job-submit is idempotent (issue #17 problems 3 and 5, vod-sim seeds 2 and 17), so
/// a rerun after CreateJob adopts the job instead of creating a second one.
#[test]
fn sandbox_failures_are_retried_by_every_task() {
    let definition = asl();
    let states = definition["States"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let tasks: Vec<(&String, &Value)> =
        states.iter().filter(|(_, s)| s["Type"] == "Task").collect();
    assert!(tasks.len() >= 5, "{tasks:?}");
    for (name, state) in tasks {
        let retried: BTreeSet<&str> = state["Retry"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["ErrorEquals"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        let sandbox = error_names::LAMBDA_SANDBOX_ERRORS;
        assert!(
            sandbox.iter().all(|e| retried.contains(e)),
            "{name} should retry {sandbox:?}: {retried:?}"
        );
    }
}

#[test]
fn asl_placeholders_match_the_lambda_catalogue_both_ways() {
    let text = std::fs::read_to_string(repo_root().join("statemachine/vod-pipeline.asl.json"))
        .unwrap_or_default();
    let mut found = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after.find('}').unwrap_or(after.len());
        found.insert(after[..end].to_owned());
        rest = &after[end..];
    }
    let expected: BTreeSet<String> = LambdaFunction::ALL
        .iter()
        .filter_map(|f| f.asl_placeholder().map(str::to_owned))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn event_patterns_are_valid_json_with_their_placeholders() {
    for (file, placeholder) in [
        ("s3-object-created.json", "${SourceBucketName}"),
        ("mediaconvert-job-state-change.json", "${PipelineName}"),
    ] {
        let path = repo_root().join("statemachine/events").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or_default();
        assert!(value["source"].is_array(), "{file}: no source list");
        assert!(text.contains(placeholder), "{file}: missing {placeholder}");
    }
    let mc = std::fs::read_to_string(
        repo_root().join("statemachine/events/mediaconvert-job-state-change.json"),
    )
    .unwrap_or_default();
    assert!(mc.contains(vod_core::job::USER_METADATA_PIPELINE));
}

#[test]
fn the_lambda_contract_file_is_current() {
    check_generated("docs/contracts/lambdas.json", &contract_json());
}

/// The longest a Task state can take: every attempt its retriers allow, each running to the
/// Lambda's timeout, plus every backoff at its cap; for a waitForTaskToken state also the wait
/// itself, up to `wait_seconds`.
fn worst_case_seconds(state: &Value, wait_seconds: f64) -> f64 {
    let function = state["Parameters"]["FunctionName"]
        .as_str()
        .unwrap_or_default();
    let lambda = LambdaFunction::ALL
        .into_iter()
        .find(|f| function.contains(&placeholder(*f)))
        .unwrap_or_else(|| panic!("no Lambda behind {function}"));
    let attempt = f64::from(lambda.timeout_seconds());
    let mut total = attempt + wait_seconds;
    for retrier in state["Retry"].as_array().cloned().unwrap_or_default() {
        let interval = retrier["IntervalSeconds"].as_f64().unwrap_or(1.0);
        let rate = retrier["BackoffRate"].as_f64().unwrap_or(2.0);
        let cap = retrier["MaxDelaySeconds"].as_f64().unwrap_or(f64::INFINITY);
        let attempts = retrier["MaxAttempts"].as_i64().unwrap_or(3);
        for n in 0..attempts {
            total += attempt + (interval * rate.powi(n as i32)).min(cap);
        }
    }
    total
}

/// `IngestProbe` → `IngestProbeFunctionArn`.
fn placeholder(f: LambdaFunction) -> String {
    let camel: String = f
        .binary_name()
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|first| first.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("${{{camel}FunctionArn}}")
}

#[test]
fn the_execution_outlives_its_longest_path_so_every_timeout_is_caught() {
    // Issue #17 problem 4 (vod-sim seed 764): the execution's TimeoutSeconds equalled the
    // Transcode state's largest timeout, so a long source's execution timed out first (no
    // Catch runs for that): record TRANSCODING for ever, no event, the job still running.
    let definition = asl();
    let states = &definition["States"];
    let wait = vod_core::job::CallbackTimeouts::MAX_TIMEOUT_SECONDS as f64;
    let longest = worst_case_seconds(&states["IngestProbe"], 0.0)
        + worst_case_seconds(&states["NotifyIngested"], 0.0)
        + worst_case_seconds(&states["Transcode"], wait)
        + worst_case_seconds(&states["NotifyCompleted"], 0.0)
            .max(worst_case_seconds(&states["NotifyFailed"], 0.0));
    let timeout = definition["TimeoutSeconds"].as_f64().unwrap_or_default();
    assert!(
        timeout > longest,
        "TimeoutSeconds {timeout} must exceed the longest path, {longest:.0} s"
    );
    // And not by days: an execution that outlives its purpose only delays the reconciler.
    assert!(
        timeout < longest + 3.0 * 3600.0,
        "{timeout} vs {longest:.0}"
    );
}
