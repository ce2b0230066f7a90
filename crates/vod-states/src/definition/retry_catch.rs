//! `Retry` and `Catch` lists: what their entries share (the list shape, the allowed fields,
//! `ErrorEquals` and where `States.ALL` may stand) and what each entry holds.

use serde_json::{Map, Value};

use super::fields::{CATCHER, EntryFields, RETRIER, check_entry_fields};
use super::parse::opt_path;
use super::types::{Catcher, Retrier};
use crate::error::{DefinitionError, names};

/// Parses a state's `Retry` list (absent: empty).
pub(super) fn parse_retry(v: Option<&Value>, loc: &str) -> Result<Vec<Retrier>, DefinitionError> {
    parse_entries(v, loc, &RETRIER, |o, l| {
        // the fields are read in this order, ErrorEquals last, so a bad entry reports the first
        Ok(Retrier {
            interval_seconds: positive_seconds(o, "IntervalSeconds", l)?.unwrap_or(1.0),
            max_attempts: match o.get("MaxAttempts") {
                None => 3,
                Some(x) => x.as_u64().ok_or_else(|| {
                    DefinitionError::schema(l, "MaxAttempts must be a non-negative integer")
                })?,
            },
            backoff_rate: match o.get("BackoffRate") {
                None => 2.0,
                Some(x) => x.as_f64().filter(|f| *f >= 1.0).ok_or_else(|| {
                    DefinitionError::schema(l, "BackoffRate must be a number >= 1.0")
                })?,
            },
            max_delay_seconds: positive_seconds(o, "MaxDelaySeconds", l)?,
            jitter_full: match o.get("JitterStrategy").map(Value::as_str) {
                None | Some(Some("NONE")) => false,
                Some(Some("FULL")) => true,
                _ => {
                    return Err(DefinitionError::schema(
                        l,
                        "JitterStrategy must be FULL or NONE",
                    ));
                }
            },
            error_equals: error_list(o.get("ErrorEquals"), l)?,
        })
    })
}

/// Parses a state's `Catch` list (absent: empty).
pub(super) fn parse_catch(v: Option<&Value>, loc: &str) -> Result<Vec<Catcher>, DefinitionError> {
    parse_entries(v, loc, &CATCHER, |o, l| {
        Ok(Catcher {
            error_equals: error_list(o.get("ErrorEquals"), l)?,
            next: o
                .get("Next")
                .and_then(Value::as_str)
                .ok_or_else(|| DefinitionError::schema(l, "Catch needs a string 'Next'"))?
                .to_string(),
            result_path: opt_path(o, "ResultPath", l)?,
            assign: o.get("Assign").cloned(),
        })
    })
}

/// What `parse_entries` needs of an entry once parsed.
trait HasErrorEquals {
    fn error_equals(&self) -> &[String];
}

impl HasErrorEquals for Retrier {
    fn error_equals(&self) -> &[String] {
        &self.error_equals
    }
}

impl HasErrorEquals for Catcher {
    fn error_equals(&self) -> &[String] {
        &self.error_equals
    }
}

/// The shape both lists share: an array of objects with only `entry`'s fields, each parsed by
/// `parse_one` (given the object and its location), `States.ALL` only in the last entry.
fn parse_entries<T: HasErrorEquals>(
    v: Option<&Value>,
    loc: &str,
    entry: &EntryFields,
    parse_one: impl Fn(&Map<String, Value>, &str) -> Result<T, DefinitionError>,
) -> Result<Vec<T>, DefinitionError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let arr = v
        .as_array()
        .ok_or_else(|| DefinitionError::schema(loc, format!("{} must be an array", entry.list)))?;
    let mut out = Vec::with_capacity(arr.len());
    for (i, r) in arr.iter().enumerate() {
        let l = format!("{loc}[{i}]");
        let o = r
            .as_object()
            .ok_or_else(|| DefinitionError::schema(&l, "must be an object"))?;
        check_entry_fields(o, entry, &l)?;
        out.push(parse_one(o, &l)?);
    }
    let last = out.len().saturating_sub(1);
    if out
        .iter()
        .take(last)
        .any(|e| e.error_equals().iter().any(|x| x == names::ALL))
    {
        return Err(DefinitionError::schema(
            loc,
            "States.ALL must be the last entry",
        ));
    }
    Ok(out)
}

/// `IntervalSeconds`, `MaxDelaySeconds`: a positive integer, absent: `None`.
fn positive_seconds(
    o: &Map<String, Value>,
    key: &str,
    loc: &str,
) -> Result<Option<f64>, DefinitionError> {
    match o.get(key) {
        None => Ok(None),
        Some(x) => x
            .as_u64()
            .filter(|n| *n >= 1)
            .map(|n| Some(n as f64))
            .ok_or_else(|| {
                DefinitionError::schema(loc, format!("{key} must be a positive integer"))
            }),
    }
}

fn error_list(v: Option<&Value>, loc: &str) -> Result<Vec<String>, DefinitionError> {
    let arr = v
        .and_then(Value::as_array)
        .ok_or_else(|| DefinitionError::schema(loc, "ErrorEquals must be an array of strings"))?;
    let list = arr
        .iter()
        .map(|e| e.as_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| DefinitionError::schema(loc, "ErrorEquals must contain strings"))?;
    if list.iter().any(|e| e == names::ALL) && list.len() > 1 {
        return Err(DefinitionError::schema(
            loc,
            "States.ALL must appear alone in ErrorEquals",
        ));
    }
    Ok(list)
}
