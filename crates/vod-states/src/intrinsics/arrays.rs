//! Array intrinsics: `States.Array`, `States.ArrayPartition`, `States.ArrayContains`,
//! `States.ArrayRange`, `States.ArrayGetItem`, `States.ArrayLength`, `States.ArrayUnique`.

use serde_json::Value;

use super::args::{arity, unescape_literal, want_array, want_int};
use super::json_eq;
use crate::error::Failure;

/// `States.Array`.
pub(super) fn array(_name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    Ok(Value::Array(
        args.into_iter()
            .map(|v| match v {
                Value::String(s) => Value::String(unescape_literal(&s)),
                o => o,
            })
            .collect(),
    ))
}

/// `States.ArrayPartition`.
pub(super) fn array_partition(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 2, 2)?;
    let arr = want_array(name, &args[0])?;
    let size = want_int(name, &args[1])?;
    if size <= 0 {
        return Err(Failure::intrinsic(format!(
            "Invalid arguments in States.ArrayPartition: chunk size must be greater than 0, but was {size}"
        )));
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::Array(
        arr.chunks(size).map(|c| Value::Array(c.to_vec())).collect(),
    ))
}

/// `States.ArrayContains`.
pub(super) fn array_contains(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 2, 2)?;
    let arr = want_array(name, &args[0])?;
    Ok(Value::Bool(arr.iter().any(|v| json_eq(v, &args[1]))))
}

/// `States.ArrayRange`.
pub(super) fn array_range(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 3, 3)?;
    let start = want_int(name, &args[0])?;
    let end = want_int(name, &args[1])?;
    let step = want_int(name, &args[2])?;
    if step == 0 {
        return Err(Failure::intrinsic(
            "Invalid arguments in States.ArrayRange: step must not be 0",
        ));
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0 && x <= end) || (step < 0 && x >= end) {
        out.push(Value::from(x));
        if out.len() > 1000 {
            return Err(Failure::intrinsic(
                "Invalid arguments in States.ArrayRange: the array cannot contain more than 1000 items",
            ));
        }
        x += step;
    }
    Ok(Value::Array(out))
}

/// `States.ArrayGetItem`.
pub(super) fn array_get_item(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 2, 2)?;
    let arr = want_array(name, &args[0])?;
    let ix = want_int(name, &args[1])?;
    usize::try_from(ix)
        .ok()
        .and_then(|i| arr.get(i))
        .cloned()
        .ok_or_else(|| {
            Failure::intrinsic(format!(
                "Invalid arguments in States.ArrayGetItem: index {ix} out of bounds for array of length {}",
                arr.len()
            ))
        })
}

/// `States.ArrayLength`.
pub(super) fn array_length(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 1, 1)?;
    Ok(Value::from(want_array(name, &args[0])?.len()))
}

/// `States.ArrayUnique`.
pub(super) fn array_unique(name: &str, args: Vec<Value>) -> Result<Value, Failure> {
    arity(name, &args, 1, 1)?;
    let arr = want_array(name, &args[0])?;
    let mut out: Vec<Value> = Vec::new();
    for v in arr {
        if !out.iter().any(|o| json_eq(o, v)) {
            out.push(v.clone());
        }
    }
    Ok(Value::Array(out))
}
