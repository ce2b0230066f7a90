//! Numeric fields given literally or through a `*Path` (`TimeoutSeconds`, `MaxConcurrency`,
//! the tolerated failures, the `ItemReader` and `ItemBatcher` limits), read as Step Functions
//! reads them.

use serde_json::Value;

use super::run::display_plain;
use crate::definition::NumOrPath;
use crate::error::Failure;
use crate::path::{self, Env};

/// Why a numeric field's value is refused.
pub(super) enum Refused {
    /// Not a number of the kind the field wants (`"integer"`, `"float"`): the failure quotes the
    /// value and how it was written.
    NotA(&'static str),
    /// A number the field does not allow: this failure.
    Because(Failure),
}

impl Refused {
    /// `written` is the path, or the field's name for a literal.
    fn failure(self, field: &str, value: &Value, written: &str) -> Failure {
        match self {
            Self::NotA(kind) => Failure::runtime(format!(
                "The {field}Path field refers to value \"{}\" which is not a valid {kind}: {written}",
                display_plain(value)
            )),
            Self::Because(f) => f,
        }
    }
}

/// What `{field}Path` selects; a path that selects nothing fails as AWS does.
fn selected(p: &str, field: &str, env: &Env<'_>) -> Result<Value, Failure> {
    path::eval_path(p, env).map_err(|e| path::path_failure(p, &format!("{field}Path"), env, &e))
}

/// A state's `field`/`{field}Path` ([`NumOrPath`]): `Ok(None)` when absent. A literal was
/// validated with the definition, so `literal` only reads it; `check` judges what a path selects.
fn resolve<T>(
    spec: Option<&NumOrPath>,
    field: &str,
    env: &Env<'_>,
    literal: impl FnOnce(&Value) -> Option<T>,
    check: impl FnOnce(&Value) -> Result<T, Refused>,
) -> Result<Option<T>, Failure> {
    match spec {
        None => Ok(None),
        Some(NumOrPath::Value(v)) => Ok(literal(v)),
        Some(NumOrPath::Path(p)) => {
            let v = selected(p, field, env)?;
            check(&v).map(Some).map_err(|why| why.failure(field, &v, p))
        }
    }
}

/// A `field`/`{field}Path` pair inside an `ItemReader`'s `ReaderConfig` or an `ItemBatcher`:
/// those are not validated with the definition, so a literal goes through `check` too (and wins
/// over the path).
pub(super) fn resolve_config<T>(
    config: &Value,
    field: &str,
    env: &Env<'_>,
    check: impl Fn(&Value) -> Result<T, Refused>,
) -> Result<Option<T>, Failure> {
    let path_field = config
        .get(format!("{field}Path").as_str())
        .and_then(Value::as_str);
    match (config.get(field), path_field) {
        (Some(v), _) => check(v)
            .map(Some)
            .map_err(|why| why.failure(field, v, field)),
        (None, Some(p)) => {
            let v = selected(p, field, env)?;
            check(&v).map(Some).map_err(|why| why.failure(field, &v, p))
        }
        (None, None) => Ok(None),
    }
}

/// `TimeoutSeconds(Path)`, `HeartbeatSeconds(Path)`: a path must select a positive JSON integer.
pub(super) fn resolve_positive_int(
    spec: Option<&NumOrPath>,
    field: &str,
    env: &Env<'_>,
) -> Result<Option<u64>, Failure> {
    resolve(spec, field, env, Value::as_u64, |v| {
        v.as_u64()
            .filter(|n| *n > 0)
            .ok_or(Refused::NotA("integer"))
    })
}

/// `MaxConcurrency(Path)`, `ToleratedFailureCount(Path)`: a path may select an integer or a
/// string holding one ([`int_like`]), not a negative one.
pub(super) fn resolve_count(
    spec: Option<&NumOrPath>,
    field: &str,
    env: &Env<'_>,
) -> Result<Option<u64>, Failure> {
    resolve(spec, field, env, Value::as_u64, |v| {
        match int_like(v).map(u64::try_from) {
            Some(Ok(n)) => Ok(n),
            Some(Err(_)) => Err(Refused::Because(Failure::runtime(format!(
                "{field} cannot be negative."
            )))),
            None => Err(Refused::NotA("integer")),
        }
    })
}

/// `ToleratedFailurePercentage(Path)`: a path must select a number from 0 to 100.
pub(super) fn resolve_percentage(
    spec: Option<&NumOrPath>,
    field: &str,
    env: &Env<'_>,
) -> Result<Option<f64>, Failure> {
    resolve(spec, field, env, Value::as_f64, |v| match v.as_f64() {
        Some(f) if (0.0..=100.0).contains(&f) => Ok(f),
        Some(_) => Err(Refused::Because(Failure::runtime(format!(
            "{field} must be between 0 and 100."
        )))),
        None => Err(Refused::NotA("float")),
    })
}

/// An integer as Step Functions reads a `*Path` integer field: a JSON integer, or a string that
/// is one (a reference variable assigned `"2"` works like `2`).
pub(super) fn int_like(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
