//! The size limits of the services records and events go to, and sizes measured the way those
//! services count them: the one place for both.
//!
//! The adapters check before every DynamoDB `PutItem` and SNS `Publish` (and the fakes in
//! `vod-testkit` check the same), answering [`crate::ports::PortErrorKind::TooLarge`]; handlers
//! turn that into [`crate::error_names::TOO_LARGE`] with the sizes in the message, so the asset
//! fails with a reason a person can read instead of a transport error.
//!
//! ```
//! use vod_core::limits::{DYNAMODB_ITEM_MAX_BYTES, dynamodb_item_bytes};
//! let item = serde_json::json!({ "assetId": "abc", "revision": 12, "tags": ["a", "b"] });
//! // "assetId" + "abc", "revision" + 2 digits in 2 bytes, "tags" + a list of two strings.
//! assert_eq!(dynamodb_item_bytes(&item), (7 + 3) + (8 + 2) + (4 + 3 + 2 * (1 + 1)));
//! assert!(dynamodb_item_bytes(&item) < DYNAMODB_ITEM_MAX_BYTES);
//! ```

use crate::event::PipelineEvent;
use crate::record::AssetRecord;
use serde_json::Value;

/// DynamoDB's largest item, attribute names included: "400 KB", taken as 400,000 bytes, below
/// both the 409,600 the service accepts and the 405,000 moto does, so the twin and AWS refuse
/// the same records (and this crate's estimate of numbers may be a byte off).
pub const DYNAMODB_ITEM_MAX_BYTES: usize = 400_000;
/// SNS's largest message, body and message attributes together: 256 KB (262,144 bytes).
pub const SNS_MESSAGE_MAX_BYTES: usize = 256 * 1024;

/// A write that the service would refuse for its size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} would be {bytes} bytes, over {limit_name} of {limit} bytes")]
pub struct TooLarge {
    /// What was measured, e.g. "the record of asset 0123…".
    pub what: String,
    pub bytes: usize,
    pub limit: usize,
    /// e.g. "DynamoDB's item limit".
    pub limit_name: &'static str,
}

/// The size of `item` (a JSON object, as serde_dynamo maps it) as DynamoDB counts an item:
/// UTF-8 bytes of names and strings, numbers at one byte per two significant digits plus one,
/// one byte for a boolean or null, three bytes per list or map plus one per element.
pub fn dynamodb_item_bytes(item: &Value) -> usize {
    match item {
        Value::Object(attributes) => attributes
            .iter()
            .map(|(name, value)| name.len() + value_bytes(value))
            .sum(),
        other => value_bytes(other),
    }
}

fn value_bytes(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 1,
        Value::String(s) => s.len(),
        Value::Number(n) => number_bytes(&n.to_string()),
        Value::Array(items) => 3 + items.iter().map(|v| 1 + value_bytes(v)).sum::<usize>(),
        Value::Object(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_bytes(v))
                .sum::<usize>()
        }
    }
}

/// Significant digits (leading and trailing zeros trimmed, exponent aside), two to a byte, plus
/// one byte.
fn number_bytes(text: &str) -> usize {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.div_ceil(2) + 1
}

/// `record` as an item, with the adapter's `extra` string attributes (index keys) beside it.
pub fn record_item_bytes(record: &AssetRecord, extra: &[(&str, &str)]) -> usize {
    let record_bytes = serde_json::to_value(record).map_or(usize::MAX, |v| dynamodb_item_bytes(&v));
    extra.iter().fold(record_bytes, |sum, (name, value)| {
        sum.saturating_add(name.len() + value.len())
    })
}

/// `Ok(size)` when `record` (plus `extra` attributes) fits in a DynamoDB item.
pub fn check_record(record: &AssetRecord, extra: &[(&str, &str)]) -> Result<usize, TooLarge> {
    let bytes = record_item_bytes(record, extra);
    if bytes > DYNAMODB_ITEM_MAX_BYTES {
        return Err(TooLarge {
            what: format!("the record of asset {}", record.asset_id),
            bytes,
            limit: DYNAMODB_ITEM_MAX_BYTES,
            limit_name: "DynamoDB's item limit",
        });
    }
    Ok(bytes)
}

/// The SNS message `event` becomes: its JSON body and its message attributes (name, data type
/// `String` and value of each).
pub fn event_message_bytes(event: &PipelineEvent) -> usize {
    let body = serde_json::to_string(event).map_or(usize::MAX, |s| s.len());
    event
        .message_attributes()
        .iter()
        .fold(body, |sum, (name, value)| {
            sum.saturating_add(name.len() + "String".len() + value.len())
        })
}

/// `Ok(size)` when `event` fits in an SNS message.
pub fn check_event(event: &PipelineEvent) -> Result<usize, TooLarge> {
    let bytes = event_message_bytes(event);
    if bytes > SNS_MESSAGE_MAX_BYTES {
        return Err(TooLarge {
            what: format!(
                "the {} event of asset {}",
                event.event_type.as_str(),
                event.asset_id
            ),
            bytes,
            limit: SNS_MESSAGE_MAX_BYTES,
            limit_name: "SNS's message limit",
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_count_significant_digits() {
        assert_eq!(number_bytes("0"), 1);
        assert_eq!(number_bytes("7"), 2);
        assert_eq!(number_bytes("100"), 2);
        assert_eq!(number_bytes("123"), 3);
        assert_eq!(number_bytes("-0.00123"), 3);
        assert_eq!(number_bytes("1.5e300"), 2);
        assert_eq!(number_bytes("18446744073709551615"), 11);
    }

    #[test]
    fn lists_and_maps_pay_three_bytes_and_one_per_element() {
        assert_eq!(dynamodb_item_bytes(&json!({ "l": [] })), 1 + 3);
        assert_eq!(dynamodb_item_bytes(&json!({ "m": {} })), 1 + 3);
        assert_eq!(
            dynamodb_item_bytes(&json!({ "m": { "ab": "xyz", "n": null, "b": true } })),
            1 + 3 + (1 + 2 + 3) + (1 + 1 + 1) + (1 + 1 + 1)
        );
        assert_eq!(dynamodb_item_bytes(&json!({ "é": "ü" })), 2 + 2);
    }
}
