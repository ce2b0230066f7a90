//! JSON Schemas of the record and the event, generated from the types.
//!
//! The checked-in copies in `docs/schemas/` are what subscribers read; a test keeps them equal
//! to [`record_schema`] and [`event_schema`] and validates real serialized values against them.

use crate::event::PipelineEvent;
use crate::record::AssetRecord;

pub fn record_schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(AssetRecord)).unwrap_or_default();
    annotate(
        &mut schema,
        "https://vod-pipeline.dev/schemas/asset-record.v1.json",
    );
    schema
}

pub fn event_schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(PipelineEvent)).unwrap_or_default();
    annotate(
        &mut schema,
        "https://vod-pipeline.dev/schemas/pipeline-event.v1.json",
    );
    schema
}

fn annotate(schema: &mut serde_json::Value, id: &str) {
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("$id".into(), serde_json::Value::String(id.into()));
    }
}
