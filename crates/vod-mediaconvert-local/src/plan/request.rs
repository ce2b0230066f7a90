//! The CreateJob body's top-level members: role, queue, user metadata, the settings object.

use std::collections::BTreeMap;

use serde_json::Value;

use super::json_cursor::JsonCursor;
use crate::error::BadRequest;

/// A parsed CreateJob request body (REST wire form, camelCase keys).
#[derive(Debug, Clone)]
pub struct CreateJobRequest {
    pub role: String,
    pub queue: Option<String>,
    pub user_metadata: BTreeMap<String, String>,
    pub status_update_interval: Option<String>,
    pub client_request_token: Option<String>,
    pub priority: Option<i64>,
    pub settings: Value,
    /// The body as received.
    pub raw: Value,
}

impl CreateJobRequest {
    /// Checks the top-level members; the settings are checked by
    /// [`JobPlan::from_request`](super::JobPlan::from_request).
    pub fn from_wire(body: &Value) -> Result<Self, BadRequest> {
        let root = JsonCursor::root(body)?;
        let role = root
            .opt_str("role")?
            .filter(|r| !r.is_empty())
            .ok_or_else(|| root.err("role", "required: the IAM role MediaConvert assumes"))?
            .to_owned();
        let mut user_metadata = BTreeMap::new();
        if let Some(meta) = root.opt_obj("userMetadata")? {
            for (k, v) in meta.fields() {
                let text = v
                    .as_str()
                    .ok_or_else(|| meta.err(k, "userMetadata values must be strings"))?;
                user_metadata.insert(k.clone(), text.to_owned());
            }
        }
        if root.opt_str("jobTemplate")?.is_some_and(|t| !t.is_empty()) {
            return Err(root.err(
                "jobTemplate",
                "job templates are not supported by the local twin: send the full settings",
            ));
        }
        let settings = body
            .get("settings")
            .filter(|s| s.is_object())
            .cloned()
            .ok_or_else(|| root.err("settings", "required: the job settings object"))?;
        Ok(Self {
            role,
            queue: root.opt_str("queue")?.map(str::to_owned),
            user_metadata,
            status_update_interval: root.opt_str("statusUpdateInterval")?.map(str::to_owned),
            client_request_token: root.opt_str("clientRequestToken")?.map(str::to_owned),
            priority: root.opt_i64("priority")?,
            settings,
            raw: body.clone(),
        })
    }
}
