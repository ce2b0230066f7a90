//! Parsing and static validation of state machine definitions into a typed model.
//!
//! - `types`: the model ([`StateMachine`], [`Graph`], [`State`], [`StateKind`], ...).
//! - `fields`: the table of which fields each state type (and `Retry`/`Catch` entry) allows.
//! - `retry_catch`: `Retry` and `Catch` lists.
//! - `parse`: graphs and states, with the checks AWS makes when a machine is created.

mod fields;
mod parse;
mod retry_catch;
mod types;

use std::sync::Arc;

use serde_json::Value;

pub use types::{
    Catcher, Graph, IoPath, MapSpec, NumOrPath, Retrier, State, StateKind, StateMachine, StrOrPath,
    Transition, WaitSpec,
};

use crate::error::DefinitionError;
use fields::TOP_LEVEL_FIELDS;
use parse::{check_query_language, parse_graph};

impl StateMachine {
    /// Parses and validates a JSON definition.
    pub fn from_json(text: &str) -> Result<Self, DefinitionError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| DefinitionError::InvalidJson(e.to_string()))?;
        Self::from_value(v)
    }

    /// Parses and validates an already-parsed definition.
    pub fn from_value(v: Value) -> Result<Self, DefinitionError> {
        let obj = v
            .as_object()
            .ok_or_else(|| DefinitionError::schema("/", "the definition must be a JSON object"))?;
        check_query_language(obj, "/")?;
        for key in obj.keys() {
            if !TOP_LEVEL_FIELDS.contains(&key.as_str()) {
                return Err(DefinitionError::schema(
                    "/",
                    format!("field '{key}' is not supported at the top level"),
                ));
            }
        }
        let timeout_seconds = match obj.get("TimeoutSeconds") {
            None => None,
            Some(t) => Some(t.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                DefinitionError::schema("/TimeoutSeconds", "must be a positive integer")
            })?),
        };
        let graph = parse_graph(obj, "")?;
        Ok(Self {
            graph: Arc::new(graph),
            timeout_seconds,
            definition: v,
            name: "StateMachine".to_string(),
        })
    }

    /// Sets the name used in state machine and execution ARNs.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(def: &str) -> DefinitionError {
        match StateMachine::from_json(def) {
            Ok(_) => DefinitionError::InvalidJson("unexpectedly valid".into()),
            Err(e) => e,
        }
    }

    #[test]
    fn validates() {
        assert!(
            StateMachine::from_json(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#)
                .is_ok()
        );
        assert!(matches!(
            err(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}"#),
            DefinitionError::UnknownTarget { .. }
        ));
        assert!(matches!(
            err(
                r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"B":{"Type":"Pass","End":true}}}"#
            ),
            DefinitionError::Unreachable { .. }
        ));
        assert!(matches!(
            err(r#"{"StartAt":"A","States":{"A":{"Type":"Pass"}}}"#),
            DefinitionError::Schema { .. }
        ));
        assert!(matches!(
            err(r#"{"StartAt":"A","States":{"A":{"Type":"Succeed","Next":"A"}}}"#),
            DefinitionError::Schema { .. }
        ));
        assert!(matches!(
            err(
                r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"x","TimeoutSeconds":1,"TimeoutSecondsPath":"$.t","End":true}}}"#
            ),
            DefinitionError::Schema { .. }
        ));
        assert!(matches!(
            err(
                r#"{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#
            ),
            DefinitionError::Unsupported { .. }
        ));
        assert!(matches!(
            err(
                r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"x","End":true,"Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}]}}}"#
            ),
            DefinitionError::Schema { .. }
        ));
        assert!(matches!(err("{"), DefinitionError::InvalidJson(_)));
    }
}
