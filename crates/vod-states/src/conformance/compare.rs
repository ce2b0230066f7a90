//! Comparing an execution with its recording: the recorder's placeholders and wildcards, the
//! status/output/error/cause check, and the reasons a recording cannot decide a case.

use serde_json::Value;

use super::replay::Outcome;
use crate::engine::ExecutionStatus;
use crate::intrinsics::json_eq;

/// Literal words the recorder used in place of non-deterministic values.
const PLACEHOLDER_WORDS: &[&str] = &[
    "a_task_token",
    "generated-uuid",
    "timestamp",
    "date",
    "start-time",
    "entered-time",
    "snf_role_arn",
];

pub(super) fn is_placeholder(s: &str) -> bool {
    PLACEHOLDER_WORDS.contains(&s)
        || (s.starts_with('<') && s.ends_with('>') && !s[1..].contains('<'))
}

/// Glob match where `<...>` tokens in `pattern` match any text.
fn placeholder_glob(pattern: &str, text: &str) -> bool {
    let mut pieces: Vec<&str> = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('<') {
        match rest[start..].find('>') {
            Some(end) => {
                pieces.push(&rest[..start]);
                rest = &rest[start + end + 1..];
            }
            None => break,
        }
    }
    pieces.push(rest);
    if pieces.len() == 1 {
        return pattern == text;
    }
    let mut pos = 0;
    for (i, p) in pieces.iter().enumerate() {
        if i == 0 {
            if !text.starts_with(p) {
                return false;
            }
            pos = p.len();
        } else if i == pieces.len() - 1 {
            return text.len() >= pos + p.len() && text.ends_with(p);
        } else {
            match text[pos..].find(p) {
                Some(ix) => pos += ix + p.len(),
                None => return false,
            }
        }
    }
    true
}

/// Compares recorded (`expected`, with placeholders) and actual values.
pub fn wild_eq(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), _) if is_placeholder(e) => true,
        (Value::String(e), Value::String(a)) => {
            e == a
                || placeholder_glob(e, a)
                || (e.starts_with('{') && a.starts_with('{') && {
                    match (
                        serde_json::from_str::<Value>(e),
                        serde_json::from_str::<Value>(a),
                    ) {
                        (Ok(pe), Ok(pa)) => wild_eq(&pe, &pa),
                        _ => false,
                    }
                })
        }
        (Value::Object(_) | Value::Array(_), Value::String(a)) => serde_json::from_str::<Value>(a)
            .is_ok_and(|parsed| !parsed.is_string() && wild_eq(expected, &parsed)),
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|av| wild_eq(v, av)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| wild_eq(x, y))
        }
        _ => json_eq(expected, actual),
    }
}

fn short(v: &impl std::fmt::Display) -> String {
    let s = v.to_string();
    if s.len() > 160 {
        let mut cut = 160;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

fn opt_text_matches(expected: Option<&Value>, actual: Option<&String>) -> bool {
    match (expected, actual) {
        (None | Some(Value::Null), None) => true,
        (None | Some(Value::Null), Some(a)) => a.is_empty(),
        (Some(e), Some(a)) => wild_eq(e, &Value::String(a.clone())),
        (Some(Value::String(e)), None) => e.is_empty() || is_placeholder(e),
        (Some(_), None) => false,
    }
}

/// Compares an outcome with `expected.json`; `None` means it matches.
pub fn compare(expected: &Value, got: &Outcome) -> Option<String> {
    let exp_status = expected.get("status").and_then(Value::as_str).unwrap_or("");
    if exp_status != got.status.as_str() {
        return Some(format!(
            "status {} != expected {exp_status} (error={:?} cause={})",
            got.status.as_str(),
            got.error,
            short(&got.cause.clone().unwrap_or_default())
        ));
    }
    if exp_status == "SUCCEEDED" {
        let exp_out = expected.get("output").cloned().unwrap_or(Value::Null);
        let actual = got.output.clone().unwrap_or(Value::Null);
        let ok = wild_eq(&exp_out, &actual)
            || exp_out
                .as_str()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .is_some_and(|parsed| wild_eq(&parsed, &actual));
        if !ok {
            return Some(format!(
                "output {} != expected {}",
                short(&actual),
                short(&exp_out)
            ));
        }
        return None;
    }
    if !opt_text_matches(expected.get("error"), got.error.as_ref()) {
        return Some(format!(
            "error {:?} != expected {}",
            got.error,
            short(&expected["error"])
        ));
    }
    if !opt_text_matches(expected.get("cause"), got.cause.as_ref()) {
        return Some(format!(
            "cause {} != expected {}",
            short(&format!("{:?}", got.cause)),
            short(&expected["cause"])
        ));
    }
    None
}

/// The recorder's stand-ins for a timestamp or date.
fn is_timestamp_placeholder(s: &str) -> bool {
    matches!(s, "date" | "timestamp" | "<timestamp>" | "<date>")
}

pub(super) fn holds_timestamp_placeholder(v: &Value) -> bool {
    match v {
        Value::String(s) => is_timestamp_placeholder(s),
        Value::Object(m) => m.values().any(holds_timestamp_placeholder),
        Value::Array(a) => a.iter().any(holds_timestamp_placeholder),
        _ => false,
    }
}

/// Gives recorder placeholders in an execution input concrete values of the right kind
/// (a `date` becomes a fixed RFC 3339 timestamp), so the expected data's wildcards still apply.
pub fn substitute_input_placeholders(v: Value) -> Value {
    match v {
        Value::String(s) if is_timestamp_placeholder(&s) => {
            Value::String("2016-03-14T01:59:00Z".into())
        }
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, substitute_input_placeholders(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(substitute_input_placeholders).collect()),
        other => other,
    }
}

/// Whether `s` names a history field (`executionSucceededEventDetails.output`) rather than
/// holding a value: what the recorder wrote when it could not find the value.
pub(super) fn is_recorder_field_name(s: &str) -> bool {
    s.split_once("EventDetails.").is_some_and(|(event, field)| {
        !event.is_empty()
            && event.chars().all(|c| c.is_ascii_alphanumeric())
            && !field.is_empty()
            && field.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// Why a case that did not match cannot be decided by its recording, if it cannot: its
/// `ItemReader` read S3 objects the recording does not hold, or its successful output depends
/// on `States.MathRandom`, whose value the recorder replaced with a stand-in.
pub(super) fn why_unscoreable(definition: &str, expected: &Value, got: &Outcome) -> Option<String> {
    if !got.unheld_objects.is_empty() {
        return Some(format!(
            "the ItemReader read {}, which the recording does not hold (no s3_objects.json)",
            got.unheld_objects.join(", ")
        ));
    }
    let both_succeeded = expected.get("status").and_then(Value::as_str) == Some("SUCCEEDED")
        && got.status == ExecutionStatus::Succeeded;
    if let Some(stand_in) = expected.get("output").and_then(Value::as_str)
        && is_recorder_field_name(stand_in)
    {
        return Some(format!(
            "the recorded output is the recorder's field name '{stand_in}', not the execution's output"
        ));
    }
    if both_succeeded && definition.contains("States.MathRandom") {
        return Some(
            "the output depends on States.MathRandom and the recording holds a stand-in for the random value"
                .into(),
        );
    }
    None
}
