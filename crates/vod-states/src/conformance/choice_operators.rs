//! The Choice-operator table (`choice_operators.json`): one small machine per recorded row.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::compare::{compare, is_placeholder};
use super::replay::run_definition;
use super::{CaseResult, read_json};

fn replace_value(v: &Value, needle: &str, with: &Value) -> Value {
    match v {
        Value::String(s) if s == needle => with.clone(),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), replace_value(v, needle, with)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| replace_value(x, needle, with)).collect()),
        other => other.clone(),
    }
}

fn replace_key(v: &Value, key: &str, with: &str) -> Value {
    match v {
        Value::Object(m) => {
            let out: Map<String, Value> = m
                .iter()
                .map(|(k, v)| {
                    (
                        if k == key {
                            with.to_string()
                        } else {
                            k.clone()
                        },
                        replace_key(v, key, with),
                    )
                })
                .collect();
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| replace_key(x, key, with)).collect()),
        other => other.clone(),
    }
}

/// Runs the rows of `choice_operators.json`. Row names are `choice_operators[index]:Operator`.
pub async fn run_choice_operators(file: &Path) -> Result<Vec<CaseResult>, String> {
    let doc = read_json(file)?;
    let template = doc.get("template").cloned().ok_or("missing template")?;
    let rows = doc
        .get("cases")
        .and_then(Value::as_array)
        .cloned()
        .ok_or("missing cases")?;
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let op = row.get("operator").and_then(Value::as_str).unwrap_or("");
        let input = row.get("input").cloned().unwrap_or(Value::Null);
        let name = format!("choice_operators[{i}]:{op}");
        let mut def = replace_key(&template, "%ComparisonOperatorType%", op);
        if row.get("value_mode").and_then(Value::as_str) == Some("literal") {
            def = replace_value(&def, "$.Value", input.get("Value").unwrap_or(&Value::Null));
        }
        let expected = json!({"status": "SUCCEEDED", "output": row.get("expected_output").cloned().unwrap_or(Value::Null)});
        let failure = match run_definition(&def.to_string(), input.clone(), Vec::new()).await {
            Ok(got) => compare(&expected, &got).map(|r| format!("input {input}: {r}")),
            Err(e) => Some(e),
        };
        let both_placeholders = ["Variable", "Value"].iter().all(|k| {
            input
                .get(*k)
                .and_then(Value::as_str)
                .is_some_and(is_placeholder)
        });
        if failure.is_some() && both_placeholders {
            out.push(CaseResult {
                name,
                failure: None,
                unscoreable: Some(
                    "Variable and Value are both recorder placeholders, so the compared values are unknown"
                        .into(),
                ),
            });
            continue;
        }
        out.push(CaseResult::scored(name, failure));
    }
    Ok(out)
}
