//! Intrinsic functions (`States.Format`, `States.Array`, ...): parser and evaluator.
//!
//! - `parse`: the call grammar ([`parse()`], [`Call`], [`Arg`]).
//! - `args`: argument count and type checks.
//! - `strings`, `json`, `arrays`, `encoding`, `math`: the functions, by family as AWS's
//!   documentation groups them.

mod args;
mod arrays;
mod encoding;
mod json;
mod math;
mod parse;
mod strings;
#[cfg(test)]
mod tests;

use serde_json::{Number, Value};

use crate::error::Failure;
use crate::path::{self, Env};
use parse::render_call;
pub use parse::{Arg, Call, parse};

/// An intrinsic: its name (for messages) and its evaluated arguments.
type Intrinsic = fn(&str, Vec<Value>) -> Result<Value, Failure>;

/// Parses and evaluates an intrinsic function expression.
pub fn evaluate(expr: &str, env: &Env<'_>) -> Result<Value, Failure> {
    let call = parse(expr)?;
    eval_call(&call, env)
}

fn eval_arg(arg: &Arg, env: &Env<'_>) -> Result<Value, Failure> {
    match arg {
        Arg::Literal(Value::String(s)) => Ok(Value::String(s.clone())),
        Arg::Literal(v) => Ok(v.clone()),
        Arg::Path(p) => path::eval_path(p, env).map_err(|e| match e {
            path::PathError::NotFound => Failure::runtime(format!(
                "The JSONPath '{p}' could not be found in the input '{}'",
                env.input
            )),
            other => path_arg_failure(p, other),
        }),
        Arg::Call(c) => eval_call(c, env),
    }
}

fn path_arg_failure(p: &str, e: path::PathError) -> Failure {
    match e {
        path::PathError::NotFound => {
            Failure::runtime(format!("The JSONPath '{p}' could not be found"))
        }
        path::PathError::UndefinedVariable(v) => {
            Failure::runtime(format!("The variable '{v}' is not defined ({p})"))
        }
        path::PathError::Invalid(m) => Failure::intrinsic(format!("Invalid path '{p}': {m}")),
    }
}

fn eval_call(call: &Call, env: &Env<'_>) -> Result<Value, Failure> {
    let name = call.name.as_str();
    let args = call
        .args
        .iter()
        .map(|a| match a {
            // AWS: "The function 'States.Array($.a)' had the following error: The JsonPath
            // argument for the field '$.a' could not be found in the input '{...}'"
            Arg::Path(p) => path::eval_path(p, env).map_err(|e| match e {
                path::PathError::NotFound => Failure::runtime(format!(
                    "The function '{}' had the following error: The JsonPath argument for the field '{p}' could not be found in the input '{}'",
                    render_call(call),
                    if p.starts_with("$$") { env.context } else { env.input }
                )),
                other => path_arg_failure(p, other),
            }),
            other => eval_arg(other, env),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let function: Intrinsic = match name {
        "States.Format" => strings::format,
        "States.StringToJson" => json::string_to_json,
        "States.JsonToString" => json::json_to_string,
        "States.Array" => arrays::array,
        "States.ArrayPartition" => arrays::array_partition,
        "States.ArrayContains" => arrays::array_contains,
        "States.ArrayRange" => arrays::array_range,
        "States.ArrayGetItem" => arrays::array_get_item,
        "States.ArrayLength" => arrays::array_length,
        "States.ArrayUnique" => arrays::array_unique,
        "States.Base64Encode" => encoding::base64_encode,
        "States.Base64Decode" => encoding::base64_decode,
        "States.Hash" => encoding::hash,
        "States.JsonMerge" => json::json_merge,
        "States.MathRandom" => math::math_random,
        "States.MathAdd" => math::math_add,
        "States.StringSplit" => strings::string_split,
        "States.UUID" => strings::uuid,
        other => {
            return Err(Failure::intrinsic(format!(
                "The intrinsic function '{other}' is not supported"
            )));
        }
    };
    function(name, args)
}

/// JSON equality where numbers compare by value (`1 == 1.0`).
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn num_eq(x: &Number, y: &Number) -> bool {
    match (x.as_i64(), y.as_i64()) {
        (Some(a), Some(b)) => a == b,
        _ => x.as_f64() == y.as_f64(),
    }
}
