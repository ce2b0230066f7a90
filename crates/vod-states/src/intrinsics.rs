//! Intrinsic functions (`States.Format`, `States.Array`, ...): tokenizer, parser and evaluator.

use base64::Engine as _;
use serde_json::{Map, Number, Value};
use sha2::Digest as _;

use crate::error::Failure;
use crate::path::{self, Env};

/// A parsed intrinsic argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A JSON literal (string, number, boolean, null).
    Literal(Value),
    /// A path (`$.x`, `$$.x`, `$var`).
    Path(String),
    /// A nested call.
    Call(Call),
}

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Function name including the `States.` prefix.
    pub name: String,
    /// Arguments.
    pub args: Vec<Arg>,
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    src: &'a str,
}

impl<'a> Parser<'a> {
    fn err(&self, msg: &str) -> Failure {
        Failure::intrinsic(format!(
            "Invalid intrinsic function expression '{}': {msg} at position {}",
            self.src, self.pos
        ))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn call(&mut self) -> Result<Call, Failure> {
        self.skip_ws();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        if !name.starts_with("States.") {
            return Err(self.err("expected a function name starting with 'States.'"));
        }
        self.skip_ws();
        if self.peek() != Some('(') {
            return Err(self.err("expected '('"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(Call { name, args });
        }
        loop {
            args.push(self.arg()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    return Ok(Call { name, args });
                }
                _ => return Err(self.err("expected ',' or ')'")),
            }
        }
    }

    fn arg(&mut self) -> Result<Arg, Failure> {
        self.skip_ws();
        match self.peek() {
            Some('\'') => self.string().map(|s| Arg::Literal(Value::String(s))),
            Some('$') => Ok(Arg::Path(self.path_text())),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(_) => {
                let rest: String = self.chars[self.pos..].iter().collect();
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if let Some(tail) = rest.strip_prefix(word) {
                        let after = tail.chars().next();
                        if after.is_none_or(|c| c == ',' || c == ')' || c.is_whitespace()) {
                            self.pos += word.len();
                            return Ok(Arg::Literal(value));
                        }
                    }
                }
                if rest.starts_with("States.") {
                    return self.call().map(Arg::Call);
                }
                Err(self.err("unexpected argument"))
            }
            None => Err(self.err("unexpected end of expression")),
        }
    }

    fn string(&mut self) -> Result<String, Failure> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '\\' => {
                    let Some(n) = self.peek() else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.pos += 1;
                    match n {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        // keep escaped braces escaped so States.Format can tell them from placeholders
                        '{' => out.push_str("\\{"),
                        '}' => out.push_str("\\}"),
                        other => out.push(other),
                    }
                }
                '\'' => return Ok(out),
                other => out.push(other),
            }
        }
        Err(self.err("unterminated string literal"))
    }

    fn path_text(&mut self) -> String {
        let start = self.pos;
        let mut depth = 0i32;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            if let Some(q) = quote {
                if c == '\\' {
                    self.pos += 1;
                } else if c == q {
                    quote = None;
                }
            } else {
                match c {
                    '\'' | '"' if depth > 0 => quote = Some(c),
                    '[' | '(' => depth += 1,
                    ']' => depth -= 1,
                    ')' if depth == 0 => break,
                    ')' => depth -= 1,
                    ',' if depth == 0 => break,
                    c if c.is_whitespace() && depth == 0 => break,
                    _ => {}
                }
            }
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn number(&mut self) -> Result<Arg, Failure> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        let value: Value =
            serde_json::from_str(&text).map_err(|_| self.err("invalid number literal"))?;
        if !value.is_number() {
            return Err(self.err("invalid number literal"));
        }
        Ok(Arg::Literal(value))
    }
}

/// Parses an intrinsic function expression such as `States.Format('{}', $.a)`.
pub fn parse(expr: &str) -> Result<Call, Failure> {
    let mut p = Parser {
        chars: expr.chars().collect(),
        pos: 0,
        src: expr,
    };
    let call = p.call()?;
    p.skip_ws();
    if p.pos != p.chars.len() {
        return Err(p.err("unexpected trailing characters"));
    }
    Ok(call)
}

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

fn unescape_literal(s: &str) -> String {
    s.replace("\\{", "{").replace("\\}", "}")
}

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

fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<(), Failure> {
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

fn want_str<'v>(name: &str, v: &'v Value) -> Result<&'v str, Failure> {
    v.as_str().ok_or_else(|| {
        Failure::intrinsic(format!(
            "Invalid arguments in {name}: expected a string but got {} {v}",
            type_name(v)
        ))
    })
}

fn want_array<'v>(name: &str, v: &'v Value) -> Result<&'v Vec<Value>, Failure> {
    v.as_array().ok_or_else(|| {
        Failure::intrinsic(format!(
            "Invalid arguments in {name}: expected an array but got {} {v}",
            type_name(v)
        ))
    })
}

/// Integer argument where fractional numbers are truncated (Java `intValue`).
fn want_int_lenient(name: &str, v: &Value) -> Result<i64, Failure> {
    match v.as_f64() {
        Some(f) if v.as_i64().is_none() && f.is_finite() && f.abs() < 9.0e15 =>
        {
            #[allow(clippy::cast_possible_truncation)]
            Ok(f.trunc() as i64)
        }
        _ => want_int(name, v),
    }
}

fn want_int(name: &str, v: &Value) -> Result<i64, Failure> {
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
fn java_round(name: &str, v: &Value) -> Result<i64, Failure> {
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

fn random_u64() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut arr = [0u8; 8];
    arr.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(arr)
}

/// Java `java.util.Random` seeded LCG, so seeded `States.MathRandom` is deterministic.
struct JavaRandom(u64);

impl JavaRandom {
    fn new(seed: i64) -> Self {
        #[allow(clippy::cast_sign_loss)]
        Self(((seed as u64) ^ 0x5DEE_CE66D) & ((1u64 << 48) - 1))
    }
    fn next(&mut self, bits: u32) -> i32 {
        self.0 = (self.0.wrapping_mul(0x5DEE_CE66D).wrapping_add(0xB)) & ((1u64 << 48) - 1);
        #[allow(clippy::cast_possible_truncation)]
        let r = (self.0 >> (48 - bits)) as i32;
        r
    }
    fn next_int(&mut self, bound: i32) -> i32 {
        if bound <= 0 {
            return 0;
        }
        if bound & (-bound) == bound {
            #[allow(clippy::cast_possible_truncation)]
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let val = bits % bound;
            if bits.wrapping_sub(val).wrapping_add(bound - 1) >= 0 {
                return val;
            }
        }
    }
}

/// The call as written (`States.Array($.a, 'x')`), as AWS quotes it in causes.
fn render_call(call: &Call) -> String {
    let args: Vec<String> = call
        .args
        .iter()
        .map(|a| match a {
            Arg::Literal(Value::String(s)) => format!(
                "'{}'",
                s.replace('\\', "\\\\")
                    .replace('\'', "\\'")
                    .replace('{', "\\{")
                    .replace('}', "\\}")
            ),
            Arg::Literal(v) => v.to_string(),
            Arg::Path(p) => p.clone(),
            Arg::Call(c) => render_call(c),
        })
        .collect();
    format!("{}({})", call.name, args.join(", "))
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
    match name {
        "States.Format" => {
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
                if chars[i] == '\\'
                    && i + 1 < chars.len()
                    && (chars[i + 1] == '{' || chars[i + 1] == '}')
                {
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
        "States.StringToJson" => {
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
        "States.JsonToString" => {
            arity(name, &args, 1, 1)?;
            Ok(Value::String(args[0].to_string()))
        }
        "States.Array" => Ok(Value::Array(
            args.into_iter()
                .map(|v| match v {
                    Value::String(s) => Value::String(unescape_literal(&s)),
                    o => o,
                })
                .collect(),
        )),
        "States.ArrayPartition" => {
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
        "States.ArrayContains" => {
            arity(name, &args, 2, 2)?;
            let arr = want_array(name, &args[0])?;
            Ok(Value::Bool(arr.iter().any(|v| json_eq(v, &args[1]))))
        }
        "States.ArrayRange" => {
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
        "States.ArrayGetItem" => {
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
        "States.ArrayLength" => {
            arity(name, &args, 1, 1)?;
            Ok(Value::from(want_array(name, &args[0])?.len()))
        }
        "States.ArrayUnique" => {
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
        "States.Base64Encode" => {
            arity(name, &args, 1, 1)?;
            let s = want_str(name, &args[0])?;
            if s.len() > 10_000 {
                return Err(Failure::intrinsic(
                    "Invalid arguments in States.Base64Encode: input must not exceed 10000 characters",
                ));
            }
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            ))
        }
        "States.Base64Decode" => {
            arity(name, &args, 1, 1)?;
            let s = want_str(name, &args[0])?;
            if s.len() > 10_000 {
                return Err(Failure::intrinsic(
                    "Invalid arguments in States.Base64Decode: input must not exceed 10000 characters",
                ));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|e| {
                    Failure::intrinsic(format!(
                        "Invalid arguments in States.Base64Decode: '{s}' is not valid base64: {e}"
                    ))
                })?;
            Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        "States.Hash" => {
            arity(name, &args, 2, 2)?;
            let data = match &args[0] {
                Value::String(s) => s.clone(),
                Value::Null => {
                    return Err(Failure::intrinsic(
                        "Invalid arguments in States.Hash: the input data must not be null",
                    ));
                }
                other => other.to_string(),
            };
            let alg = want_str(name, &args[1])?;
            let digest = match alg {
                "MD5" => hex::encode(md5::Md5::digest(data.as_bytes())),
                "SHA-1" => hex::encode(sha1::Sha1::digest(data.as_bytes())),
                "SHA-256" => hex::encode(sha2::Sha256::digest(data.as_bytes())),
                "SHA-384" => hex::encode(sha2::Sha384::digest(data.as_bytes())),
                "SHA-512" => hex::encode(sha2::Sha512::digest(data.as_bytes())),
                other => {
                    return Err(Failure::intrinsic(format!(
                        "Invalid arguments in States.Hash: unsupported hash algorithm '{other}', expected one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
                    )));
                }
            };
            Ok(Value::String(digest))
        }
        "States.JsonMerge" => {
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
        "States.MathRandom" => {
            arity(name, &args, 2, 3)?;
            let start = want_int_lenient(name, &args[0])?;
            let end = want_int_lenient(name, &args[1])?;
            if end <= start {
                return Err(Failure::intrinsic(format!(
                    "Invalid arguments in States.MathRandom: end ({end}) must be greater than start ({start})"
                )));
            }
            let span = end - start;
            let r = if let Some(seed) = args.get(2) {
                let seed = want_int(name, seed)?;
                let bound = i32::try_from(span).unwrap_or(i32::MAX);
                i64::from(JavaRandom::new(seed).next_int(bound))
            } else {
                let span_u = u64::try_from(span).unwrap_or(1).max(1);
                i64::try_from(random_u64() % span_u).unwrap_or(0)
            };
            Ok(Value::from(start + r))
        }
        "States.MathAdd" => {
            arity(name, &args, 2, 2)?;
            let a = java_round(name, &args[0])?;
            let b = java_round(name, &args[1])?;
            Ok(Value::from(a.saturating_add(b)))
        }
        "States.StringSplit" => {
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
        "States.UUID" => {
            arity(name, &args, 0, 0)?;
            Ok(Value::String(uuid::Uuid::new_v4().to_string()))
        }
        other => Err(Failure::intrinsic(format!(
            "The intrinsic function '{other}' is not supported"
        ))),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(expr: &str, input: Value) -> Result<Value, Failure> {
        let ctx = json!({});
        let vars = crate::path::Vars::new();
        evaluate(
            expr,
            &Env {
                input: &input,
                context: &ctx,
                vars: &vars,
            },
        )
    }

    #[test]
    fn format() {
        assert_eq!(
            run("States.Format('Hello, {}! {}', $.n, 3)", json!({"n": "W"})),
            Ok(json!("Hello, W! 3"))
        );
        assert_eq!(
            run("States.Format('a \\{\\} {}', 'x')", json!({})),
            Ok(json!("a {} x"))
        );
        assert_eq!(
            run("States.Format('it\\'s {}', null)", json!({})),
            Ok(json!("it's null"))
        );
        assert!(run("States.Format('{}')", json!({})).is_err());
    }

    #[test]
    fn json_functions() {
        assert_eq!(
            run("States.StringToJson($.s)", json!({"s": "{\"a\":1}"})),
            Ok(json!({"a": 1}))
        );
        assert_eq!(
            run("States.JsonToString($.o)", json!({"o": {"a": 1}})),
            Ok(json!("{\"a\":1}"))
        );
        assert_eq!(
            run(
                "States.JsonMerge($.a, $.b, false)",
                json!({"a": {"x": 1, "y": 1}, "b": {"y": 2}})
            ),
            Ok(json!({"x": 1, "y": 2}))
        );
        assert!(run("States.JsonMerge($.a, $.a, true)", json!({"a": {}})).is_err());
    }

    #[test]
    fn arrays() {
        assert_eq!(
            run("States.Array(1, 'a', true, null, $.x)", json!({"x": [1]})),
            Ok(json!([1, "a", true, null, [1]]))
        );
        assert_eq!(
            run("States.ArrayPartition($.a, 2)", json!({"a": [1, 2, 3]})),
            Ok(json!([[1, 2], [3]]))
        );
        assert_eq!(
            run("States.ArrayContains($.a, 2)", json!({"a": [1, 2, 3]})),
            Ok(json!(true))
        );
        assert_eq!(
            run("States.ArrayRange(1, 9, 2)", json!({})),
            Ok(json!([1, 3, 5, 7, 9]))
        );
        assert_eq!(
            run("States.ArrayGetItem($.a, 1)", json!({"a": [1, 2, 3]})),
            Ok(json!(2))
        );
        assert_eq!(
            run("States.ArrayLength($.a)", json!({"a": [1, 2, 3]})),
            Ok(json!(3))
        );
        assert_eq!(
            run("States.ArrayUnique($.a)", json!({"a": [1, 2, 1, 2.0]})),
            Ok(json!([1, 2]))
        );
        assert_eq!(
            run(
                "States.ArrayLength(States.Array(1, States.Array(2)))",
                json!({})
            ),
            Ok(json!(2))
        );
        assert!(run("States.ArrayGetItem($.a, 9)", json!({"a": []})).is_err());
    }

    #[test]
    fn encoding_and_hash() {
        assert_eq!(
            run("States.Base64Encode('Data to encode')", json!({})),
            Ok(json!("RGF0YSB0byBlbmNvZGU="))
        );
        assert_eq!(
            run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", json!({})),
            Ok(json!("Data to encode"))
        );
        assert_eq!(
            run("States.Hash('abc', 'MD5')", json!({})),
            Ok(json!("900150983cd24fb0d6963f7d28e17f72"))
        );
        assert_eq!(
            run("States.Hash('abc', 'SHA-1')", json!({})),
            Ok(json!("a9993e364706816aba3e25717850c26c9cd0d89d"))
        );
        assert_eq!(
            run("States.Hash('abc', 'SHA-256')", json!({})),
            Ok(json!(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            ))
        );
        assert!(run("States.Hash('abc', 'SHA-384')", json!({})).is_ok());
        assert!(run("States.Hash('abc', 'SHA-512')", json!({})).is_ok());
        assert_eq!(
            run("States.Hash('abc', 'CRC')", json!({})).map_err(|f| f.error),
            Err("States.IntrinsicFailure".to_string())
        );
    }

    #[test]
    fn math_and_strings() {
        assert_eq!(run("States.MathAdd(1.5, -2.5)", json!({})), Ok(json!(0)));
        assert_eq!(run("States.MathAdd(1, 2)", json!({})), Ok(json!(3)));
        let r = run("States.MathRandom(1, 10)", json!({}))
            .ok()
            .and_then(|v| v.as_i64())
            .unwrap_or(-1);
        assert!((1..10).contains(&r));
        let a = run("States.MathRandom(0, 999, 3)", json!({}));
        assert_eq!(a, run("States.MathRandom(0, 999, 3)", json!({})));
        assert_eq!(
            run("States.StringSplit('a,b,,c', ',')", json!({})),
            Ok(json!(["a", "b", "c"]))
        );
        let u = run("States.UUID()", json!({})).ok();
        assert_eq!(u.as_ref().and_then(Value::as_str).map(str::len), Some(36));
    }

    #[test]
    fn parse_errors() {
        assert!(parse("States.Format('x'").is_err());
        assert!(parse("States.Format('x) ").is_err());
        assert!(parse("Foo.Bar()").is_err());
        assert_eq!(
            run("States.Nope()", json!({})).map_err(|f| f.error),
            Err("States.IntrinsicFailure".to_string())
        );
    }
}
