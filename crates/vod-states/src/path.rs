//! JSONPath evaluation (via `serde_json_path`), reference paths for `ResultPath`, and payload templates.

use serde_json::{Map, Value};

use crate::error::Failure;
use crate::intrinsics;

/// Workflow variables visible to a state.
pub type Vars = Map<String, Value>;

/// What a path or template is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// `$` — the current data (state input, result, ...).
    pub input: &'a Value,
    /// `$$` — the context object.
    pub context: &'a Value,
    /// `$name` — workflow variables.
    pub vars: &'a Vars,
}

/// Why a path evaluation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Syntactically invalid path.
    Invalid(String),
    /// The path selected nothing.
    NotFound,
    /// A variable is not defined.
    UndefinedVariable(String),
}

fn is_shorthand_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || !c.is_ascii() => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii())
}

fn quote_name(name: &str) -> String {
    let mut out = String::from("['");
    for c in name.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push_str("']");
    out
}

/// Rewrites a Jayway-style ASL path (`$.dest-code`, `$.a.b`) into RFC 9535 syntax for `serde_json_path`.
pub fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    let chars: Vec<char> = path.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '[' && chars.get(i + 1) == Some(&'\'') {
            // Jayway-style quoted name: only \' and \\ are escapes; re-quote for RFC 9535.
            let mut name = String::new();
            let mut j = i + 2;
            let mut closed = false;
            while j < chars.len() {
                match chars[j] {
                    '\\' if matches!(chars.get(j + 1), Some('\'') | Some('\\')) => {
                        name.push(chars[j + 1]);
                        j += 2;
                    }
                    '\'' if chars.get(j + 1) == Some(&']') => {
                        closed = true;
                        j += 2;
                        break;
                    }
                    ch => {
                        name.push(ch);
                        j += 1;
                    }
                }
            }
            if closed {
                out.push_str(&quote_name(&name));
                i = j;
                continue;
            }
        }
        if c == '[' {
            // copy a bracket segment verbatim, honouring quotes
            let mut depth = 0;
            let mut quote: Option<char> = None;
            while i < chars.len() {
                let ch = chars[i];
                out.push(ch);
                if let Some(q) = quote {
                    if ch == '\\' && i + 1 < chars.len() {
                        i += 1;
                        out.push(chars[i]);
                    } else if ch == q {
                        quote = None;
                    }
                } else if ch == '\'' || ch == '"' {
                    quote = Some(ch);
                } else if ch == '[' {
                    depth += 1;
                } else if ch == ']' {
                    depth -= 1;
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                i += 1;
            }
            continue;
        }
        if c == '.' {
            let double = i + 1 < chars.len() && chars[i + 1] == '.';
            let start = if double { i + 2 } else { i + 1 };
            let mut end = start;
            while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                end += 1;
            }
            let name: String = chars[start..end].iter().collect();
            out.push_str(if double { ".." } else { "" });
            if name.is_empty() {
                if !double {
                    out.push('.');
                }
            } else if name == "*" {
                out.push_str(if double { "*" } else { ".*" });
            } else if is_shorthand_name(&name) {
                if !double {
                    out.push('.');
                }
                out.push_str(&name);
            } else {
                out.push_str(&quote_name(&name));
            }
            i = end;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Whether a path can select at most one node (no wildcards, filters, slices, unions, descendants).
pub fn is_definite(path: &str) -> bool {
    !(path.contains('*')
        || path.contains("..")
        || path.contains("[?")
        || path.contains(':')
        || (path.contains(',') && path.contains('[')))
}

/// Evaluates a JSONPath (`$...`) against a value. Indefinite paths return an array of matches.
pub fn query(path: &str, value: &Value) -> Result<Value, PathError> {
    if path == "$" {
        return Ok(value.clone());
    }
    // Jayway's `.length()` function (AWS accepts it in paths): length of the selected array.
    if let Some(prefix) = path.strip_suffix(".length()") {
        return match query(prefix, value)? {
            Value::Array(a) => Ok(Value::from(a.len())),
            Value::String(s) => Ok(Value::from(s.chars().count())),
            Value::Object(m) => Ok(Value::from(m.len())),
            _ => Err(PathError::NotFound),
        };
    }
    let norm = normalize(path);
    let jp =
        serde_json_path::JsonPath::parse(&norm).map_err(|e| PathError::Invalid(e.to_string()))?;
    let nodes = jp.query(value);
    if is_definite(path) {
        match nodes.exactly_one() {
            Ok(v) => Ok(v.clone()),
            Err(_) => Err(PathError::NotFound),
        }
    } else {
        Ok(Value::Array(nodes.all().into_iter().cloned().collect()))
    }
}

/// Evaluates an ASL path: `$...` (input), `$$...` (context) or `$var...` (variable).
pub fn eval_path(path: &str, env: &Env<'_>) -> Result<Value, PathError> {
    if let Some(rest) = path.strip_prefix("$$") {
        return query(&format!("${rest}"), env.context);
    }
    let Some(rest) = path.strip_prefix('$') else {
        return Err(PathError::Invalid(format!(
            "path must start with '$': {path}"
        )));
    };
    if rest.is_empty() || rest.starts_with('.') || rest.starts_with('[') {
        return query(path, env.input);
    }
    // variable reference
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    let (name, tail) = rest.split_at(end);
    let Some(value) = env.vars.get(name) else {
        return Err(PathError::UndefinedVariable(name.to_string()));
    };
    query(&format!("${tail}"), value)
}

/// Checks whether `s` is syntactically a path (used by validation).
pub fn is_path(s: &str) -> bool {
    s.starts_with('$')
}

/// One step of a reference path.
#[derive(Debug, Clone, PartialEq)]
enum RefStep {
    Key(String),
    Index(usize),
}

fn parse_reference(path: &str) -> Result<Vec<RefStep>, String> {
    let Some(rest) = path.strip_prefix('$') else {
        return Err(format!("Invalid path '{path}'"));
    };
    let chars: Vec<char> = rest.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                if name.is_empty() || name == "*" {
                    return Err(format!("Invalid reference path '{path}'"));
                }
                steps.push(RefStep::Key(name));
                i = end;
            }
            '[' => {
                let close = chars[i..]
                    .iter()
                    .position(|&c| c == ']')
                    .map(|p| p + i)
                    .ok_or_else(|| format!("Invalid reference path '{path}'"))?;
                let inner: String = chars[i + 1..close].iter().collect();
                let inner = inner.trim();
                if let Ok(n) = inner.parse::<usize>() {
                    steps.push(RefStep::Index(n));
                } else if (inner.starts_with('\'') && inner.ends_with('\'') && inner.len() >= 2)
                    || (inner.starts_with('"') && inner.ends_with('"') && inner.len() >= 2)
                {
                    steps.push(RefStep::Key(inner[1..inner.len() - 1].to_string()));
                } else {
                    return Err(format!("Invalid reference path '{path}'"));
                }
                i = close + 1;
            }
            _ => return Err(format!("Invalid reference path '{path}'")),
        }
    }
    Ok(steps)
}

/// Applies `ResultPath`: places `result` into `input` at the reference path.
pub fn set_result_path(input: &Value, path: Option<&str>, result: Value) -> Result<Value, String> {
    let Some(path) = path else {
        return Ok(input.clone());
    };
    let steps = parse_reference(path)?;
    if steps.is_empty() {
        return Ok(result);
    }
    let mut root = input.clone();
    {
        let mut cur = &mut root;
        for (n, step) in steps.iter().enumerate() {
            let last = n + 1 == steps.len();
            match step {
                RefStep::Key(k) => {
                    if !cur.is_object() {
                        return Err(format!(
                            "Unable to apply ResultPath \"{path}\" to input \"{input}\""
                        ));
                    }
                    let Value::Object(map) = cur else {
                        return Err(format!("Unable to apply ResultPath '{path}'"));
                    };
                    if last {
                        map.insert(k.clone(), result);
                        return Ok(root);
                    }
                    let entry = map
                        .entry(k.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if !entry.is_object() && !entry.is_array() {
                        *entry = Value::Object(Map::new());
                    }
                    cur = entry;
                }
                RefStep::Index(ix) => {
                    let Value::Array(arr) = cur else {
                        return Err(format!(
                            "Unable to apply ResultPath \"{path}\" to input \"{input}\""
                        ));
                    };
                    let Some(slot) = arr.get_mut(*ix) else {
                        return Err(format!(
                            "Unable to apply ResultPath \"{path}\" to input \"{input}\""
                        ));
                    };
                    if last {
                        *slot = result;
                        return Ok(root);
                    }
                    cur = slot;
                }
            }
        }
    }
    Ok(root)
}

/// Evaluates a payload template (`Parameters`, `ResultSelector`, `ItemSelector`, `Assign`):
/// keys ending in `.$` are replaced by the value of their path or intrinsic function.
pub fn eval_template(template: &Value, env: &Env<'_>) -> Result<Value, Failure> {
    match template {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                if let Some(name) = k.strip_suffix(".$") {
                    let expr = v.as_str().ok_or_else(|| {
                        Failure::runtime(format!(
                            "The value for the field '{k}' must be a STRING that contains a JSONPath but was {v}"
                        ))
                    })?;
                    let value = eval_expression(expr, k, env)?;
                    out.insert(name.to_string(), value);
                } else {
                    out.insert(k.clone(), eval_template(v, env)?);
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => Ok(Value::Array(
            items
                .iter()
                .map(|v| eval_template(v, env))
                .collect::<Result<_, _>>()?,
        )),
        other => Ok(other.clone()),
    }
}

/// Evaluates the string of a `.$` field: a path or an intrinsic function call.
pub fn eval_expression(expr: &str, field: &str, env: &Env<'_>) -> Result<Value, Failure> {
    let trimmed = expr.trim();
    if trimmed.starts_with("States.") {
        return intrinsics::evaluate(trimmed, env);
    }
    eval_path(trimmed, env).map_err(|e| path_failure(trimmed, field, env, &e))
}

/// The AWS-like failure for a `.$` path that could not be resolved.
pub fn path_failure(path: &str, field: &str, env: &Env<'_>, err: &PathError) -> Failure {
    match err {
        PathError::UndefinedVariable(name) => Failure::runtime(format!(
            "The JSONPath '{path}' specified for the field '{field}' could not be found: variable '{name}' is not defined"
        )),
        PathError::Invalid(msg) => Failure::runtime(format!(
            "The JSONPath '{path}' specified for the field '{field}' is invalid: {msg}"
        )),
        PathError::NotFound => {
            let (target, text) = if path.starts_with("$$") {
                ("context object", env.context.to_string())
            } else {
                ("input", env.input.to_string())
            };
            Failure::runtime(format!(
                "The JSONPath '{path}' specified for the field '{field}' could not be found in the {target} '{text}'"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalizes_dashed_names() {
        assert_eq!(normalize("$.dest-code"), "$['dest-code']");
        assert_eq!(normalize("$.a.b[0]"), "$.a.b[0]");
        assert_eq!(normalize("$..x"), "$..x");
        assert_eq!(normalize("$.a[*].b"), "$.a[*].b");
    }

    #[test]
    fn queries() {
        let v = json!({"a": {"b": [1, 2, 3]}, "dest-code": 9});
        assert_eq!(query("$.a.b[1]", &v), Ok(json!(2)));
        assert_eq!(query("$.dest-code", &v), Ok(json!(9)));
        assert_eq!(query("$.a.b[*]", &v), Ok(json!([1, 2, 3])));
        assert_eq!(query("$.nope", &v), Err(PathError::NotFound));
        assert_eq!(query("$.a.b.length()", &v), Ok(json!(3)));
    }

    #[test]
    fn result_path() {
        let v = json!({"a": 1});
        assert_eq!(
            set_result_path(&v, Some("$.b.c"), json!(2)),
            Ok(json!({"a": 1, "b": {"c": 2}}))
        );
        assert_eq!(set_result_path(&v, Some("$"), json!(2)), Ok(json!(2)));
        assert_eq!(set_result_path(&v, None, json!(2)), Ok(json!({"a": 1})));
    }

    #[test]
    fn variables_and_context() {
        let mut vars = Vars::new();
        vars.insert("x".into(), json!({"y": 5}));
        let input = json!({});
        let ctx = json!({"Execution": {"Id": "arn"}});
        let env = Env {
            input: &input,
            context: &ctx,
            vars: &vars,
        };
        assert_eq!(eval_path("$x.y", &env), Ok(json!(5)));
        assert_eq!(eval_path("$$.Execution.Id", &env), Ok(json!("arn")));
        assert_eq!(
            eval_path("$nope", &env),
            Err(PathError::UndefinedVariable("nope".into()))
        );
    }
}
