//! [`JsonCursor`]: typed reads of a JSON object that name the failing path in their error.

use serde_json::Value;

use crate::error::BadRequest;

/// A JSON object with its path, for typed reads that name the path when they fail.
#[derive(Debug, Clone)]
pub(super) struct JsonCursor<'a> {
    pub(super) value: &'a Value,
    /// JSON-pointer-like path of `value` (`/outputGroups/0/outputs/1`), empty at the root.
    pub(super) path: String,
}

impl<'a> JsonCursor<'a> {
    pub(super) fn root(value: &'a Value) -> Result<Self, BadRequest> {
        if value.is_object() {
            Ok(Self {
                value,
                path: String::new(),
            })
        } else {
            Err(BadRequest::new(
                "/",
                "the request body must be a JSON object",
            ))
        }
    }

    pub(super) fn err(&self, key: &str, message: impl Into<String>) -> BadRequest {
        BadRequest::new(format!("{}/{}", self.path, key), message)
    }

    pub(super) fn fields(&self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.value.as_object().into_iter().flatten()
    }

    /// `key`'s value read by `read`; absent and `null` are `None`, anything `read` refuses is
    /// an error saying what the value `must_be`.
    fn opt_value<T>(
        &self,
        key: &str,
        read: impl FnOnce(&'a Value) -> Option<T>,
        must_be: &str,
    ) -> Result<Option<T>, BadRequest> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => read(v).map(Some).ok_or_else(|| self.err(key, must_be)),
        }
    }

    pub(super) fn opt_str(&self, key: &str) -> Result<Option<&'a str>, BadRequest> {
        self.opt_value(key, Value::as_str, "must be a string")
    }

    pub(super) fn opt_f64(&self, key: &str) -> Result<Option<f64>, BadRequest> {
        self.opt_value(key, Value::as_f64, "must be a number")
    }

    pub(super) fn opt_i64(&self, key: &str) -> Result<Option<i64>, BadRequest> {
        self.opt_value(key, Value::as_i64, "must be an integer")
    }

    pub(super) fn opt_u64(&self, key: &str) -> Result<Option<u64>, BadRequest> {
        self.opt_value(key, Value::as_u64, "must be a non-negative integer")
    }

    pub(super) fn opt_u32(&self, key: &str) -> Result<Option<u32>, BadRequest> {
        match self.opt_u64(key)? {
            None => Ok(None),
            Some(v) => u32::try_from(v)
                .map(Some)
                .map_err(|_| self.err(key, "is too large")),
        }
    }

    pub(super) fn opt_obj(&self, key: &str) -> Result<Option<Self>, BadRequest> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(Self {
                value: v,
                path: format!("{}/{}", self.path, key),
            })),
            Some(_) => Err(self.err(key, "must be an object")),
        }
    }

    pub(super) fn child_obj(&self, key: &str) -> Result<Self, BadRequest> {
        self.opt_obj(key)?.ok_or_else(|| self.err(key, "required"))
    }

    pub(super) fn arr(&self, key: &str) -> Result<Vec<Self>, BadRequest> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| Self {
                    value: v,
                    path: format!("{}/{}/{}", self.path, key, i),
                })
                .collect()),
            Some(_) => Err(self.err(key, "must be an array")),
        }
    }
}
