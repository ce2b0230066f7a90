//! JSON intrinsics: `States.StringToJson`, `States.JsonToString`, `States.JsonMerge`.

use serde_json::{Map, Value};

use super::args::{arity, unescape_literal, want_str};
use crate::error::Failure;

/// `States.StringToJson`.
pub(super) fn string_to_json(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 1, 1)?;
    let s = unescape_literal(want_str(name, &args[0])?);
    if s.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(s.trim()).map_err(|e| {
        Failure::intrinsic(format!(
            "Invalid arguments in States.StringToJson: cannot parse '{s}' as JSON: {e}"
        ))
    })
}

/// `States.JsonToString`.
pub(super) fn json_to_string(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 1, 1)?;
    Ok(Value::String(args[0].to_string()))
}

/// `States.JsonMerge`.
pub(super) fn json_merge(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 3, 3)?;
    let (Value::Object(a), Value::Object(b)) = (&args[0], &args[1]) else {
        return Err(Failure::intrinsic(
            "Invalid arguments in States.JsonMerge: the first two arguments must be JSON objects",
        ));
    };
    if args[2] != Value::Bool(false) {
        return Err(Failure::intrinsic(
            "Invalid arguments in States.JsonMerge: only shallow merge is supported (the third argument must be false)",
        ));
    }
    let mut out: Map<String, Value> = a.clone();
    for (k, v) in b {
        out.insert(k.clone(), v.clone());
    }
    Ok(Value::Object(out))
}
