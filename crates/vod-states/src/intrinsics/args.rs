//! Checking an intrinsic's arguments: count, type and integer readings, with AWS's messages.

use serde_json::Value;

use crate::error::Failure;

/// A string literal with its `\{`/`\}` escapes resolved.
pub(super) fn unescape_literal(s: &str) -> String {
    s.replace("\\{", "{").replace("\\}", "}")
}

/// The JSON type of a value, as AWS names it in argument errors.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Between `min` and `max` arguments.
pub(super) fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<(), Failure> {
    if args.len() < min || args.len() > max {
        let expected = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(Failure::intrinsic(format!(
            "Invalid arguments in {name}: expected {expected} argument(s) but got {}",
            args.len()
        )));
    }
    Ok(())
}

/// A string argument.
pub(super) fn want_str<'v>(name: &str, v: &'v Value) -> Result<&'v str, Failure> {
    v.as_str().ok_or_else(|| {
        Failure::intrinsic(format!(
            "Invalid arguments in {name}: expected a string but got {} {v}",
            type_name(v)
        ))
    })
}

/// An array argument.
pub(super) fn want_array<'v>(name: &str, v: &'v Value) -> Result<&'v Vec<Value>, Failure> {
    v.as_array().ok_or_else(|| {
        Failure::intrinsic(format!(
            "Invalid arguments in {name}: expected an array but got {} {v}",
            type_name(v)
        ))
    })
}

/// Integer argument where fractional numbers are truncated (Java `intValue`).
pub(super) fn want_int_lenient(name: &str, v: &Value) -> Result<i64, Failure> {
    match v.as_f64() {
        Some(f) if v.as_i64().is_none() && f.is_finite() && f.abs() < 9.0e15 =>
        {
            #[allow(clippy::cast_possible_truncation)]
            Ok(f.trunc() as i64)
        }
        _ => want_int(name, v),
    }
}

/// An integer argument (a float without a fraction counts).
pub(super) fn want_int(name: &str, v: &Value) -> Result<i64, Failure> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                #[allow(clippy::cast_possible_truncation)]
                Ok(f as i64)
            } else {
                Err(Failure::intrinsic(format!(
                    "Invalid arguments in {name}: expected an integer but got {v}"
                )))
            }
        }
        _ => Err(Failure::intrinsic(format!(
            "Invalid arguments in {name}: expected an integer but got {} {v}",
            type_name(v)
        ))),
    }
}

/// Java's `Math.round` (half up) applied to a JSON number.
pub(super) fn java_round(name: &str, v: &Value) -> Result<i64, Failure> {
    let f = v.as_f64().ok_or_else(|| {
        Failure::intrinsic(format!(
            "Invalid arguments in {name}: expected a number but got {} {v}",
            type_name(v)
        ))
    })?;
    if let Some(i) = v.as_i64() {
        return Ok(i);
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok((f + 0.5).floor() as i64)
}
