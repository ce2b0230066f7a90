//! Execution history events in the shape of the Step Functions `GetExecutionHistory` API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One history event. `details` holds the single `xxxEventDetails` member, flattened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    /// Time of the event (serialized as epoch seconds, like the SFN JSON API).
    #[serde(with = "epoch_seconds")]
    pub timestamp: DateTime<Utc>,
    /// Event type, e.g. `TaskStateEntered`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// 1-based id.
    pub id: u64,
    /// Id of the previous event in the same thread of execution (0 for the first).
    pub previous_event_id: u64,
    /// e.g. `{"stateEnteredEventDetails": {...}}`.
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl HistoryEvent {
    /// The details object, if any.
    pub fn detail(&self) -> Option<&Value> {
        self.details.values().next()
    }
}

/// The name of the details member for an event type (`TaskStateEntered` → `stateEnteredEventDetails`).
pub fn details_key(event_type: &str) -> Option<String> {
    if event_type.ends_with("StateEntered") {
        return Some("stateEnteredEventDetails".into());
    }
    if event_type.ends_with("StateExited") {
        return Some("stateExitedEventDetails".into());
    }
    let mut chars = event_type.chars();
    let first = chars.next()?;
    Some(format!(
        "{}{}EventDetails",
        first.to_ascii_lowercase(),
        chars.as_str()
    ))
}

mod epoch_seconds {
    use chrono::{DateTime, TimeZone, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        #[allow(clippy::cast_precision_loss)]
        let secs = t.timestamp_millis() as f64 / 1000.0;
        s.serialize_f64(secs)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let f = f64::deserialize(d)?;
        #[allow(clippy::cast_possible_truncation)]
        let ms = (f * 1000.0).round() as i64;
        Utc.timestamp_millis_opt(ms)
            .single()
            .ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_like_sfn() {
        let mut details = Map::new();
        details.insert(
            "stateEnteredEventDetails".into(),
            serde_json::json!({"name": "A", "input": "{}"}),
        );
        let e = HistoryEvent {
            timestamp: Utc::now(),
            event_type: "PassStateEntered".into(),
            id: 2,
            previous_event_id: 1,
            details,
        };
        let v = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(v["type"], "PassStateEntered");
        assert_eq!(v["previousEventId"], 1);
        assert_eq!(v["stateEnteredEventDetails"]["name"], "A");
        assert!(v["timestamp"].is_f64());
        assert_eq!(
            details_key("TaskScheduled").as_deref(),
            Some("taskScheduledEventDetails")
        );
        assert_eq!(
            details_key("MapStateStarted").as_deref(),
            Some("mapStateStartedEventDetails")
        );
    }
}
