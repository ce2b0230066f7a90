//! Generic and string intrinsics: `States.Format`, `States.StringSplit`, `States.UUID`.

use serde_json::Value;

use super::args::{arity, unescape_literal, want_str};
use crate::error::Failure;

/// `States.Format`.
pub(super) fn format(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    if args.is_empty() {
        return Err(Failure::intrinsic(
            "Invalid arguments in States.Format: expected at least 1 argument",
        ));
    }
    let template = want_str(name, &args[0])?;
    let mut out = String::new();
    let mut rest = args[1..].iter();
    let chars: Vec<char> = template.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() && (chars[i + 1] == '{' || chars[i + 1] == '}') {
            out.push(chars[i + 1]);
            i += 2;
        } else if chars[i] == '{' && i + 1 < chars.len() && chars[i + 1] == '}' {
            let Some(v) = rest.next() else {
                return Err(Failure::intrinsic(
                    "Invalid arguments in States.Format: the number of arguments does not match the number of placeholders",
                ));
            };
            out.push_str(&format_arg(v));
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    if rest.next().is_some() {
        return Err(Failure::intrinsic(
            "Invalid arguments in States.Format: the number of arguments does not match the number of placeholders",
        ));
    }
    Ok(Value::String(out))
}

/// `States.StringSplit`.
pub(super) fn string_split(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 2, 2)?;
    let s = want_str(name, &args[0])?;
    let delims: Vec<char> = unescape_literal(want_str(name, &args[1])?)
        .chars()
        .collect();
    let parts: Vec<Value> = s
        .split(|c| delims.contains(&c))
        .filter(|p| !p.is_empty())
        .map(|p| Value::String(p.to_string()))
        .collect();
    Ok(Value::Array(parts))
}

/// `States.UUID`.
pub(super) fn uuid(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 0, 0)?;
    Ok(Value::String(uuid::Uuid::new_v4().to_string()))
}

/// Renders a value the way Java's `toString` does for maps and lists (`{a=1, b=[x]}`).
fn format_arg(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}={}", format_arg(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(format_arg).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}
