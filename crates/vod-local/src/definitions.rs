//! The state machine and the EventBridge rule patterns from `statemachine/`, with their
//! `${...}` placeholders filled in — the local counterpart of CDK `DefinitionSubstitutions`.

use serde_json::Value;
use std::collections::HashMap;
use vod_core::contracts::LambdaFunction;

pub const STATE_MACHINE: &str = include_str!("../../../statemachine/vod-pipeline.asl.json");
pub const S3_OBJECT_CREATED_PATTERN: &str =
    include_str!("../../../statemachine/events/s3-object-created.json");
pub const MEDIACONVERT_JOB_PATTERN: &str =
    include_str!("../../../statemachine/events/mediaconvert-job-state-change.json");

/// A definition from `statemachine/` that could not be filled in.
#[derive(Debug, thiserror::Error)]
pub enum SubstituteError {
    /// The checked-in file is not JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A new placeholder in the ASL or a pattern must be wired where it is filled in too.
    #[error("no value for placeholder(s) {}", .0.join(", "))]
    Missing(Vec<String>),
}

/// Replaces every `${Name}` inside the JSON strings of `text`; a placeholder left without a
/// value is an error naming it (a new placeholder in the ASL must be wired here too).
pub fn substitute(text: &str, values: &HashMap<&str, String>) -> Result<Value, SubstituteError> {
    let mut doc: Value = serde_json::from_str(text)?;
    let mut missing = Vec::new();
    walk(&mut doc, values, &mut missing);
    if missing.is_empty() {
        Ok(doc)
    } else {
        missing.sort();
        missing.dedup();
        Err(SubstituteError::Missing(missing))
    }
}

fn walk(v: &mut Value, values: &HashMap<&str, String>, missing: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let mut out = String::with_capacity(s.len());
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else {
                    out.push_str(&rest[start..]);
                    rest = "";
                    break;
                };
                let name = &after[..end];
                match values.get(name) {
                    Some(value) => out.push_str(value),
                    None => {
                        missing.push(name.to_owned());
                        out.push_str(&rest[start..start + 3 + end]);
                    }
                }
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            *s = out;
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk(i, values, missing)),
        Value::Object(map) => map.values_mut().for_each(|i| walk(i, values, missing)),
        _ => {}
    }
}

/// `${IngestProbeFunctionArn}` → Lambda ARN, for every function the state machine calls.
pub fn lambda_substitutions(
    arn_of: impl Fn(LambdaFunction) -> String,
) -> HashMap<&'static str, String> {
    LambdaFunction::ALL
        .iter()
        .filter_map(|f| f.asl_placeholder().map(|p| (p, arn_of(*f))))
        .collect()
}

/// The function named by a Lambda `FunctionName` (name, ARN, partial ARN, with or without a
/// qualifier).
pub fn function_from_name(name: &str) -> Option<LambdaFunction> {
    let short = match name.split_once(":function:") {
        Some((_, rest)) => rest,
        None => name.strip_prefix("function:").unwrap_or(name),
    };
    let short = short.split(':').next().unwrap_or(short);
    LambdaFunction::ALL
        .into_iter()
        .find(|f| f.binary_name() == short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asl_placeholder_is_filled() {
        let subs = lambda_substitutions(|f| {
            format!("arn:aws:lambda:us-east-1:0:function:{}", f.binary_name())
        });
        let doc = substitute(STATE_MACHINE, &subs).unwrap();
        assert!(!doc.to_string().contains("${"));
        assert!(vod_states::StateMachine::from_value(doc).is_ok());
    }

    #[test]
    fn missing_values_are_named() {
        let err = substitute(S3_OBJECT_CREATED_PATTERN, &HashMap::new()).unwrap_err();
        assert!(err.to_string().contains("SourceBucketName"));
    }

    #[test]
    fn function_names_resolve() {
        assert_eq!(
            function_from_name("notifier"),
            Some(LambdaFunction::Notifier)
        );
        assert_eq!(
            function_from_name("arn:aws:lambda:us-east-1:000000000000:function:job-submit:$LATEST"),
            Some(LambdaFunction::JobSubmit)
        );
        assert_eq!(function_from_name("other"), None);
    }
}
