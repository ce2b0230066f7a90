//! Choice rules: parsing, validation and evaluation of comparison operators and `And`/`Or`/`Not`.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::error::{DefinitionError, Failure};
use crate::path::{self, Env, PathError};

/// A comparison operator (without the `Path` suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `StringEquals`
    StringEquals,
    /// `StringLessThan`
    StringLessThan,
    /// `StringGreaterThan`
    StringGreaterThan,
    /// `StringLessThanEquals`
    StringLessThanEquals,
    /// `StringGreaterThanEquals`
    StringGreaterThanEquals,
    /// `StringMatches`
    StringMatches,
    /// `NumericEquals`
    NumericEquals,
    /// `NumericLessThan`
    NumericLessThan,
    /// `NumericGreaterThan`
    NumericGreaterThan,
    /// `NumericLessThanEquals`
    NumericLessThanEquals,
    /// `NumericGreaterThanEquals`
    NumericGreaterThanEquals,
    /// `BooleanEquals`
    BooleanEquals,
    /// `TimestampEquals`
    TimestampEquals,
    /// `TimestampLessThan`
    TimestampLessThan,
    /// `TimestampGreaterThan`
    TimestampGreaterThan,
    /// `TimestampLessThanEquals`
    TimestampLessThanEquals,
    /// `TimestampGreaterThanEquals`
    TimestampGreaterThanEquals,
    /// `IsNull`
    IsNull,
    /// `IsPresent`
    IsPresent,
    /// `IsNumeric`
    IsNumeric,
    /// `IsString`
    IsString,
    /// `IsBoolean`
    IsBoolean,
    /// `IsTimestamp`
    IsTimestamp,
}

const OPS: &[(&str, Op)] = &[
    ("StringEquals", Op::StringEquals),
    ("StringLessThan", Op::StringLessThan),
    ("StringGreaterThan", Op::StringGreaterThan),
    ("StringLessThanEquals", Op::StringLessThanEquals),
    ("StringGreaterThanEquals", Op::StringGreaterThanEquals),
    ("StringMatches", Op::StringMatches),
    ("NumericEquals", Op::NumericEquals),
    ("NumericLessThan", Op::NumericLessThan),
    ("NumericGreaterThan", Op::NumericGreaterThan),
    ("NumericLessThanEquals", Op::NumericLessThanEquals),
    ("NumericGreaterThanEquals", Op::NumericGreaterThanEquals),
    ("BooleanEquals", Op::BooleanEquals),
    ("TimestampEquals", Op::TimestampEquals),
    ("TimestampLessThan", Op::TimestampLessThan),
    ("TimestampGreaterThan", Op::TimestampGreaterThan),
    ("TimestampLessThanEquals", Op::TimestampLessThanEquals),
    ("TimestampGreaterThanEquals", Op::TimestampGreaterThanEquals),
    ("IsNull", Op::IsNull),
    ("IsPresent", Op::IsPresent),
    ("IsNumeric", Op::IsNumeric),
    ("IsString", Op::IsString),
    ("IsBoolean", Op::IsBoolean),
    ("IsTimestamp", Op::IsTimestamp),
];

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// Literal value.
    Literal(Value),
    /// `*Path` form: a path evaluated against the input.
    Path(String),
}

/// A (possibly nested) boolean rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// All must hold.
    And(Vec<Rule>),
    /// Any must hold.
    Or(Vec<Rule>),
    /// Negation.
    Not(Box<Rule>),
    /// `Variable` compared with an operand.
    Compare {
        /// Path of the variable.
        variable: String,
        /// Operator.
        op: Op,
        /// Right-hand side.
        operand: Operand,
    },
}

/// A top-level Choice rule with its transition.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceRule {
    /// The condition.
    pub rule: Rule,
    /// Next state when it matches.
    pub next: String,
    /// Optional `Assign` when it matches.
    pub assign: Option<Value>,
}

/// Parses a top-level rule (must have `Next`).
pub fn parse_top(v: &Value, loc: &str) -> Result<ChoiceRule, DefinitionError> {
    let obj = v
        .as_object()
        .ok_or_else(|| DefinitionError::schema(loc, "a Choice rule must be an object"))?;
    if obj.contains_key("Condition") {
        return Err(DefinitionError::Unsupported {
            location: loc.to_string(),
            feature: "JSONata 'Condition' in Choice rules".into(),
        });
    }
    let next = obj
        .get("Next")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            DefinitionError::schema(loc, "a top-level Choice rule must have a string 'Next'")
        })?
        .to_string();
    let rule = parse_rule(v, loc, true)?;
    Ok(ChoiceRule {
        rule,
        next,
        assign: obj.get("Assign").cloned(),
    })
}

fn parse_rule(v: &Value, loc: &str, top: bool) -> Result<Rule, DefinitionError> {
    let obj = v
        .as_object()
        .ok_or_else(|| DefinitionError::schema(loc, "a Choice rule must be an object"))?;
    if !top && obj.contains_key("Next") {
        return Err(DefinitionError::schema(
            loc,
            "nested Choice rules must not have 'Next'",
        ));
    }
    for key in obj.keys() {
        let known = matches!(
            key.as_str(),
            "Variable" | "Next" | "Comment" | "And" | "Or" | "Not" | "Assign"
        ) || OPS
            .iter()
            .any(|(n, _)| key == n || key.strip_suffix("Path") == Some(n));
        if !known {
            return Err(DefinitionError::schema(
                loc,
                format!("unknown field '{key}' in Choice rule"),
            ));
        }
    }
    let mut found: Vec<Rule> = Vec::new();
    for (kw, is_and) in [("And", true), ("Or", false)] {
        if let Some(list) = obj.get(kw) {
            let arr = list.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
                DefinitionError::schema(loc, format!("'{kw}' must be a non-empty array"))
            })?;
            let rules = arr
                .iter()
                .enumerate()
                .map(|(i, r)| parse_rule(r, &format!("{loc}/{kw}[{i}]"), false))
                .collect::<Result<Vec<_>, _>>()?;
            found.push(if is_and {
                Rule::And(rules)
            } else {
                Rule::Or(rules)
            });
        }
    }
    if let Some(inner) = obj.get("Not") {
        found.push(Rule::Not(Box::new(parse_rule(
            inner,
            &format!("{loc}/Not"),
            false,
        )?)));
    }
    let mut compares = Vec::new();
    for (name, op) in OPS {
        if let Some(val) = obj.get(*name) {
            compares.push((*op, Operand::Literal(val.clone()), *name));
        }
        let pname = format!("{name}Path");
        if let Some(val) = obj.get(&pname) {
            let p = val.as_str().filter(|s| path::is_path(s)).ok_or_else(|| {
                DefinitionError::schema(loc, format!("'{pname}' must be a path string"))
            })?;
            compares.push((*op, Operand::Path(p.to_string()), *name));
        }
    }
    if compares.len() > 1 || (compares.len() == 1 && !found.is_empty()) || found.len() > 1 {
        return Err(DefinitionError::schema(
            loc,
            "a Choice rule must have exactly one comparison operator",
        ));
    }
    if let Some((op, operand, name)) = compares.pop() {
        let variable = obj
            .get("Variable")
            .and_then(Value::as_str)
            .filter(|s| path::is_path(s))
            .ok_or_else(|| {
                DefinitionError::schema(loc, "a comparison must have a 'Variable' path")
            })?
            .to_string();
        if let Operand::Literal(lit) = &operand {
            let ok = match op {
                Op::StringEquals
                | Op::StringLessThan
                | Op::StringGreaterThan
                | Op::StringLessThanEquals
                | Op::StringGreaterThanEquals
                | Op::StringMatches
                | Op::TimestampEquals
                | Op::TimestampLessThan
                | Op::TimestampGreaterThan
                | Op::TimestampLessThanEquals
                | Op::TimestampGreaterThanEquals => lit.is_string(),
                Op::NumericEquals
                | Op::NumericLessThan
                | Op::NumericGreaterThan
                | Op::NumericLessThanEquals
                | Op::NumericGreaterThanEquals => lit.is_number(),
                _ => lit.is_boolean(),
            };
            if !ok {
                return Err(DefinitionError::schema(
                    loc,
                    format!("invalid operand type for '{name}': {lit}"),
                ));
            }
        }
        return Ok(Rule::Compare {
            variable,
            op,
            operand,
        });
    }
    if obj.contains_key("Variable") {
        return Err(DefinitionError::schema(
            loc,
            "a Choice rule with 'Variable' needs a comparison operator",
        ));
    }
    found.pop().ok_or_else(|| {
        DefinitionError::schema(
            loc,
            "a Choice rule needs a comparison operator or And/Or/Not",
        )
    })
}

/// Parses an ASL timestamp as Step Functions accepts it: the RFC 3339 profile of ISO 8601 with an
/// uppercase `T` between date and time, seconds present, an optional fraction, and a zone that is
/// an uppercase `Z` or a numeric `+hh:mm`/`-hh:mm` offset. The date and time must exist (no
/// February 30th, no hour 24, no leap second 60). Anything else is not a timestamp.
pub fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    // yyyy-mm-ddThh:mm:ss
    if !(digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19))
    {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let zone_ok = match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && digits(i + 1..i + 3)
                && b.get(i + 3) == Some(&b':')
                && digits(i + 4..i + 6)
        }
        _ => false,
    };
    // chrono checks the calendar, the clock and the offset range; a leap second (60) is
    // accepted by chrono but not by Step Functions.
    if !zone_ok || &s[17..19] == "60" {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

fn string_matches(value: &str, pattern: &str) -> bool {
    // tokens: literal chars, or wildcard
    let mut toks: Vec<Option<char>> = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => toks.push(Some(n)),
                None => toks.push(Some('\\')),
            },
            '*' => toks.push(None),
            other => toks.push(Some(other)),
        }
    }
    let v: Vec<char> = value.chars().collect();
    // dp over pattern tokens
    let mut dp = vec![false; v.len() + 1];
    dp[0] = true;
    for t in &toks {
        let mut next = vec![false; v.len() + 1];
        match t {
            None => {
                let mut any = false;
                for i in 0..=v.len() {
                    any = any || dp[i];
                    next[i] = any;
                }
            }
            Some(c) => {
                for i in 0..v.len() {
                    if dp[i] && v[i] == *c {
                        next[i + 1] = true;
                    }
                }
            }
        }
        dp = next;
    }
    dp[v.len()]
}

fn compare(op: Op, var: Option<&Value>, rhs: &Value) -> bool {
    use std::cmp::Ordering;
    let Some(var) = var else {
        return op == Op::IsPresent && rhs == &Value::Bool(false);
    };
    match op {
        Op::IsPresent => rhs == &Value::Bool(true),
        Op::IsNull => rhs.as_bool() == Some(var.is_null()),
        Op::IsNumeric => rhs.as_bool() == Some(var.is_number()),
        Op::IsString => rhs.as_bool() == Some(var.is_string()),
        Op::IsBoolean => rhs.as_bool() == Some(var.is_boolean()),
        Op::IsTimestamp => {
            rhs.as_bool() == Some(var.as_str().is_some_and(|s| parse_timestamp(s).is_some()))
        }
        Op::BooleanEquals => matches!((var, rhs), (Value::Bool(a), Value::Bool(b)) if a == b),
        Op::StringEquals
        | Op::StringLessThan
        | Op::StringGreaterThan
        | Op::StringLessThanEquals
        | Op::StringGreaterThanEquals => {
            let (Some(a), Some(b)) = (var.as_str(), rhs.as_str()) else {
                return false;
            };
            let ord = a.cmp(b);
            match op {
                Op::StringEquals => ord == Ordering::Equal,
                Op::StringLessThan => ord == Ordering::Less,
                Op::StringGreaterThan => ord == Ordering::Greater,
                Op::StringLessThanEquals => ord != Ordering::Greater,
                _ => ord != Ordering::Less,
            }
        }
        Op::StringMatches => match (var.as_str(), rhs.as_str()) {
            (Some(a), Some(b)) => string_matches(a, b),
            _ => false,
        },
        Op::NumericEquals
        | Op::NumericLessThan
        | Op::NumericGreaterThan
        | Op::NumericLessThanEquals
        | Op::NumericGreaterThanEquals => {
            let (Value::Number(a), Value::Number(b)) = (var, rhs) else {
                return false;
            };
            let ord = match (a.as_i64(), b.as_i64()) {
                (Some(x), Some(y)) => Some(x.cmp(&y)),
                _ => a
                    .as_f64()
                    .zip(b.as_f64())
                    .and_then(|(x, y)| x.partial_cmp(&y)),
            };
            let Some(ord) = ord else { return false };
            match op {
                Op::NumericEquals => ord == Ordering::Equal,
                Op::NumericLessThan => ord == Ordering::Less,
                Op::NumericGreaterThan => ord == Ordering::Greater,
                Op::NumericLessThanEquals => ord != Ordering::Greater,
                _ => ord != Ordering::Less,
            }
        }
        Op::TimestampEquals
        | Op::TimestampLessThan
        | Op::TimestampGreaterThan
        | Op::TimestampLessThanEquals
        | Op::TimestampGreaterThanEquals => {
            let (Some(a), Some(b)) = (
                var.as_str().and_then(parse_timestamp),
                rhs.as_str().and_then(parse_timestamp),
            ) else {
                return false;
            };
            let ord = a.cmp(&b);
            match op {
                Op::TimestampEquals => ord == Ordering::Equal,
                Op::TimestampLessThan => ord == Ordering::Less,
                Op::TimestampGreaterThan => ord == Ordering::Greater,
                Op::TimestampLessThanEquals => ord != Ordering::Greater,
                _ => ord != Ordering::Less,
            }
        }
    }
}

/// Evaluates a rule against the Choice state's effective input.
pub fn evaluate(rule: &Rule, env: &Env<'_>) -> Result<bool, Failure> {
    match rule {
        Rule::And(rules) => {
            for r in rules {
                if !evaluate(r, env)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Rule::Or(rules) => {
            for r in rules {
                if evaluate(r, env)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Rule::Not(r) => Ok(!evaluate(r, env)?),
        Rule::Compare {
            variable,
            op,
            operand,
        } => {
            let var = match path::eval_path(variable, env) {
                Ok(v) => Some(v),
                Err(PathError::NotFound | PathError::UndefinedVariable(_))
                    if *op == Op::IsPresent =>
                {
                    None
                }
                Err(e) => {
                    return Err(match e {
                        PathError::NotFound => Failure::runtime(format!(
                            "Invalid path '{variable}': The choice state's condition path references an invalid value."
                        )),
                        other => path::path_failure(variable, "Variable", env, &other),
                    });
                }
            };
            let rhs = match operand {
                Operand::Literal(v) => v.clone(),
                Operand::Path(p) => path::eval_path(p, env).map_err(|e| match e {
                    PathError::NotFound => Failure::runtime(format!(
                        "Invalid path '{p}': The choice state's condition path references an invalid value."
                    )),
                    other => path::path_failure(p, "Variable", env, &other),
                })?,
            };
            Ok(compare(*op, var.as_ref(), &rhs))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(rule: Value, input: Value) -> Result<bool, Failure> {
        let mut r = rule;
        if let Value::Object(m) = &mut r {
            m.insert("Next".into(), json!("X"));
        }
        let parsed = parse_top(&r, "t").map_err(|e| Failure::runtime(e.to_string()))?;
        let ctx = json!({});
        let vars = crate::path::Vars::new();
        evaluate(
            &parsed.rule,
            &Env {
                input: &input,
                context: &ctx,
                vars: &vars,
            },
        )
    }

    #[test]
    fn operators() {
        let i =
            json!({"s": "abc", "n": 5, "b": true, "t": "2024-01-01T00:00:00Z", "z": null, "o": 6});
        assert_eq!(
            eval(json!({"Variable": "$.s", "StringEquals": "abc"}), i.clone()),
            Ok(true)
        );
        assert_eq!(
            eval(
                json!({"Variable": "$.s", "StringLessThan": "abd"}),
                i.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            eval(
                json!({"Variable": "$.s", "StringMatches": "a*c"}),
                i.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            eval(
                json!({"Variable": "$.s", "StringMatches": "a\\*c"}),
                i.clone()
            ),
            Ok(false)
        );
        assert_eq!(
            eval(json!({"Variable": "$.n", "NumericEquals": 5.0}), i.clone()),
            Ok(true)
        );
        assert_eq!(
            eval(
                json!({"Variable": "$.n", "NumericLessThanPath": "$.o"}),
                i.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            eval(
                json!({"Variable": "$.n", "NumericGreaterThanEquals": 5}),
                i.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            eval(json!({"Variable": "$.b", "BooleanEquals": true}), i.clone()),
            Ok(true)
        );
        assert_eq!(
            eval(
                json!({"Variable": "$.t", "TimestampLessThan": "2025-01-01T00:00:00Z"}),
                i.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            eval(json!({"Variable": "$.t", "IsTimestamp": true}), i.clone()),
            Ok(true)
        );
        assert_eq!(
            eval(json!({"Variable": "$.z", "IsNull": true}), i.clone()),
            Ok(true)
        );
        assert_eq!(
            eval(json!({"Variable": "$.nope", "IsPresent": false}), i.clone()),
            Ok(true)
        );
        assert_eq!(
            eval(json!({"Variable": "$.s", "NumericEquals": 1}), i.clone()),
            Ok(false)
        );
        assert_eq!(
            eval(
                json!({"And": [{"Variable": "$.n", "IsNumeric": true}, {"Not": {"Variable": "$.s", "IsString": false}}]}),
                i.clone()
            ),
            Ok(true)
        );
        assert_eq!(
            eval(
                json!({"Or": [{"Variable": "$.n", "IsBoolean": true}, {"Variable": "$.s", "StringGreaterThanEquals": "abc"}]}),
                i.clone()
            ),
            Ok(true)
        );
        assert!(eval(json!({"Variable": "$.nope", "StringEquals": "x"}), i).is_err());
    }

    #[test]
    fn timestamps_as_step_functions_accepts_them() {
        for ok in [
            "2016-03-14T01:59:00Z",
            "2016-03-14T01:59:00.123Z",
            "2016-03-14T01:59:00.000000Z",
            "2016-03-14T01:59:00.0000000Z",
            "2016-03-14T01:59:00+01:00",
            "2016-03-14T01:59:00.5-07:30",
            "2024-02-29T23:59:59Z",
        ] {
            assert!(parse_timestamp(ok).is_some(), "{ok} should be a timestamp");
        }
        for bad in [
            "2016-03-14 01:59:00Z",       // no T
            "2016-03-14t01:59:00Z",       // lowercase t
            "2016-03-14T01:59:00",        // no zone
            "2016-03-14T01:59:00.000",    // fraction, no zone
            "2016-03-14T01:59:00z",       // lowercase z
            "2016-03-14T01:59Z",          // no seconds
            "2016-03-14T01:59:00.Z",      // empty fraction
            "2016-03-14T01:59:00+0100",   // offset without colon
            "2023-02-29T00:00:00Z",       // not a leap year
            "2016-02-30T00:00:00Z",       // impossible day
            "2016-13-01T00:00:00Z",       // impossible month
            "2016-03-14T24:00:00Z",       // impossible hour
            "2016-03-14T23:60:00Z",       // impossible minute
            "2016-12-31T23:59:60Z",       // leap second
            "2016-03-14T01:59:00+24:00",  // impossible offset
            "2016-03-14",                 // date only
            "2023-02-24 12:15:56.832957", // Python's str(datetime)
            "",
            " ",
        ] {
            assert!(
                parse_timestamp(bad).is_none(),
                "{bad} should not be a timestamp"
            );
        }
    }

    #[test]
    fn timestamp_comparisons_with_a_non_timestamp_are_false() {
        let i = json!({"t": "2016-03-14T01:59:00", "u": "2016-02-30T00:00:00Z", "n": 5});
        for v in ["$.t", "$.u", "$.n"] {
            for op in [
                "TimestampEquals",
                "TimestampLessThan",
                "TimestampGreaterThan",
                "TimestampLessThanEquals",
                "TimestampGreaterThanEquals",
            ] {
                let mut rule = serde_json::Map::new();
                rule.insert("Variable".into(), json!(v));
                rule.insert(op.into(), json!("2016-03-14T01:59:00Z"));
                assert_eq!(eval(Value::Object(rule), i.clone()), Ok(false), "{v} {op}");
            }
            assert_eq!(
                eval(json!({"Variable": v, "IsTimestamp": true}), i.clone()),
                Ok(false)
            );
        }
    }

    #[test]
    fn rejects_bad_rules() {
        assert!(parse_top(&json!({"Variable": "$.a", "Next": "X"}), "t").is_err());
        assert!(
            parse_top(
                &json!({"Variable": "$.a", "StringEquals": 1, "Next": "X"}),
                "t"
            )
            .is_err()
        );
        assert!(parse_top(&json!({"Condition": "{% true %}", "Next": "X"}), "t").is_err());
    }
}
