//! What a replayed execution talks to: Task calls answered from the recorded mocks
//! ([`MockInvoker`]) and the S3 objects a distributed Map may read ([`CaseItemSource`]).

use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};

use super::compare::wild_eq;
use super::read_json;
use crate::engine::Engine;
use crate::error::TaskError;
use crate::invoker::{TaskContext, TaskInvoker};
use crate::item_reader::{ItemSource, ObjectSummary, SourceError};

/// Serialises like Python's `json.dumps` (", " and ": " separators).
pub fn python_dumps(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), python_dumps(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_dumps).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

#[derive(Debug)]
struct MockEntry {
    used: bool,
    mock: Value,
}

/// Answers Task calls from a case's `task_mocks.json`, matched by (state, parameters).
#[derive(Debug)]
pub struct MockInvoker {
    mocks: Mutex<Vec<MockEntry>>,
    engine: OnceLock<Engine>,
}

impl MockInvoker {
    /// Builds an invoker over the recorded mock list.
    pub fn new(mocks: Vec<Value>) -> Self {
        Self {
            mocks: Mutex::new(
                mocks
                    .into_iter()
                    .map(|mock| MockEntry { used: false, mock })
                    .collect(),
            ),
            engine: OnceLock::new(),
        }
    }

    /// Gives the invoker the engine so it can answer callbacks.
    pub fn attach(&self, engine: Engine) {
        let _ = self.engine.set(engine);
    }

    fn take(&self, state: &str, params: Option<&Value>, resource: Option<&str>) -> Option<Value> {
        let mut mocks = self
            .mocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut candidates: Vec<usize> = mocks
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.used && m.mock.get("state").and_then(Value::as_str) == Some(state))
            .map(|(i, _)| i)
            .collect();
        if candidates.is_empty()
            && let Some(resource) = resource
        {
            // No outcome recorded under this state's name (a failure recorded before the task
            // was scheduled, or a mislabelled state): use the unused outcomes of the same
            // resource sent the same parameters, in history order.
            let (rtype, rname) = crate::invoker::resource_parts(resource);
            candidates = mocks
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    let recorded = m.mock.get("resource").and_then(Value::as_str);
                    let recorded_type = m.mock.get("resourceType").and_then(Value::as_str);
                    !m.used
                        && recorded.is_some_and(|r| {
                            let r = Value::String(r.to_string());
                            wild_eq(&r, &json!(rname)) || wild_eq(&r, &json!(resource))
                        })
                        && recorded_type.is_none_or(|t| {
                            t == rtype || t.starts_with(&rtype) || rtype == "states"
                        })
                        && m.mock
                            .get("parameters")
                            .or_else(|| m.mock.get("input"))
                            .is_none_or(|r| params.is_some_and(|p| wild_eq(r, p)))
                })
                .map(|(i, _)| i)
                .collect();
        }
        let chosen = params
            .and_then(|p| {
                candidates.iter().copied().find(|i| {
                    let m = &mocks[*i].mock;
                    let recorded = m.get("parameters").or_else(|| m.get("input"));
                    recorded.is_some_and(|r| wild_eq(r, p))
                })
            })
            .or_else(|| candidates.first().copied())?;
        mocks[chosen].used = true;
        Some(mocks[chosen].mock.clone())
    }
}

fn cause_text(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(python_dumps(other)),
    }
}

#[async_trait::async_trait]
impl TaskInvoker for MockInvoker {
    async fn invoke(
        &self,
        _resource: &str,
        parameters: Value,
        ctx: TaskContext,
    ) -> Result<Value, TaskError> {
        let Some(mock) = self.take(&ctx.state_name, Some(&parameters), Some(&ctx.resource)) else {
            return Err(TaskError::new(
                "Harness.NoMock",
                format!("no recorded task outcome for state '{}'", ctx.state_name),
            ));
        };
        let result = mock.get("result").and_then(Value::as_str).unwrap_or("");
        match result {
            "success" => Ok(mock.get("output").cloned().unwrap_or(Value::Null)),
            "failure" => Err(TaskError {
                error: mock
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                cause: cause_text(mock.get("cause")),
            }),
            "submitted" if ctx.task_token.is_none() => {
                // `.sync`: the submitted response is followed by the job's final outcome.
                match self.take(&ctx.state_name, None, None) {
                    Some(done) if done.get("result").and_then(Value::as_str) == Some("failure") => {
                        Err(TaskError {
                            error: done
                                .get("error")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                            cause: cause_text(done.get("cause")),
                        })
                    }
                    Some(done) => Ok(done.get("output").cloned().unwrap_or(Value::Null)),
                    None => Ok(mock.get("output").cloned().unwrap_or(Value::Null)),
                }
            }
            "submitted" => {
                let callback = self.take(&ctx.state_name, None, None);
                if let (Some(cb), Some(engine), Some(token)) =
                    (callback, self.engine.get(), ctx.task_token.as_deref())
                {
                    let outcome = match cb.get("result").and_then(Value::as_str) {
                        Some("success") => engine.send_task_success(
                            token,
                            cb.get("output").cloned().unwrap_or(Value::Null),
                        ),
                        Some("failure") => engine.send_task_failure(
                            token,
                            cb.get("error").and_then(Value::as_str).map(str::to_string),
                            cause_text(cb.get("cause")),
                        ),
                        _ => Ok(()),
                    };
                    if let Err(e) = outcome {
                        return Err(TaskError::new("Harness.CallbackFailed", e.to_string()));
                    }
                }
                Ok(mock.get("output").cloned().unwrap_or(Value::Null))
            }
            // "timeout": do not answer, so the executor's (fake, instant) timers decide; if the
            // state has no timer at all, report the recorded timeout after a short real delay.
            _ => {
                tokio::time::sleep(Duration::from_secs(2)).await;
                Err(TaskError {
                    error: mock
                        .get("error")
                        .and_then(Value::as_str)
                        .unwrap_or("States.Timeout")
                        .to_string(),
                    cause: cause_text(mock.get("cause")),
                })
            }
        }
    }
}

/// The S3 objects a case's distributed Map `ItemReader` may read: what the case holds in
/// `s3_objects.json` (`{"bucket": {"key": body}}`, a body being text or JSON) and the bodies its
/// recorded `s3:putObject` tasks wrote. Reads of anything else are remembered, because then the
/// recording cannot decide the case.
#[derive(Debug, Default)]
pub struct CaseItemSource {
    store: crate::item_reader::InMemoryItemSource,
    misses: Mutex<Vec<String>>,
}

fn body_bytes(body: &Value) -> Vec<u8> {
    match body {
        Value::String(s) => s.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    }
}

impl CaseItemSource {
    /// Builds the source from a case directory's `s3_objects.json` (if any) and its mocks.
    pub fn for_case(dir: Option<&Path>, mocks: &[Value]) -> Result<Self, String> {
        let source = Self::default();
        for m in mocks {
            let put = m.get("resourceType").and_then(Value::as_str) == Some("aws-sdk:s3")
                && m.get("resource").and_then(Value::as_str) == Some("putObject");
            let params = m.get("parameters");
            if let (true, Some(bucket), Some(key), Some(body)) = (
                put,
                params.and_then(|p| p.get("Bucket")).and_then(Value::as_str),
                params.and_then(|p| p.get("Key")).and_then(Value::as_str),
                params.and_then(|p| p.get("Body")),
            ) {
                source.store.put(bucket, key, body_bytes(body));
            }
        }
        if let Some(path) = dir.map(|d| d.join("s3_objects.json"))
            && path.exists()
        {
            let doc = read_json(&path)?;
            for (bucket, objects) in doc.as_object().into_iter().flatten() {
                source.store.create_bucket(bucket);
                for (key, body) in objects.as_object().into_iter().flatten() {
                    source.store.put(bucket, key, body_bytes(body));
                }
            }
        }
        Ok(source)
    }

    /// The objects (or listings) read that the case does not hold.
    pub fn misses(&self) -> Vec<String> {
        self.misses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn missed(&self, what: String) {
        self.misses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(what);
    }
}

#[async_trait::async_trait]
impl ItemSource for CaseItemSource {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, SourceError> {
        let r = self.store.get_object(bucket, key).await;
        if r.is_err() {
            self.missed(format!("s3://{bucket}/{key}"));
        }
        r
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ObjectSummary>, SourceError> {
        let r = self.store.list_objects(bucket, prefix).await;
        if r.is_err() {
            self.missed(format!("s3://{bucket}/{prefix}*"));
        }
        r
    }
}
