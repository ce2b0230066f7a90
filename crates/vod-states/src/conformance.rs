//! Conformance harness: replays recorded Step Functions executions (case directories and the
//! Choice-operator table) against this executor, answering Task calls from recorded mocks.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::clock::FakeClock;
use crate::definition::StateMachine;
use crate::engine::{Engine, EngineConfig, ExecutionStatus};
use crate::error::TaskError;
use crate::intrinsics::json_eq;
use crate::invoker::{TaskContext, TaskInvoker};
use crate::item_reader::{ItemSource, ObjectSummary, SourceError};

/// Outcome of one case or row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// Case directory name or row label.
    pub name: String,
    /// `None` when it passed (or could not be compared), else a short reason.
    pub failure: Option<String>,
    /// Set when the recording cannot decide the case (the reason why); such a case is neither
    /// passed nor failed and is counted apart.
    pub unscoreable: Option<String>,
}

impl CaseResult {
    fn scored(name: String, failure: Option<String>) -> Self {
        Self {
            name,
            failure,
            unscoreable: None,
        }
    }
}

/// Literal words the recorder used in place of non-deterministic values.
const PLACEHOLDER_WORDS: &[&str] = &[
    "a_task_token",
    "generated-uuid",
    "timestamp",
    "date",
    "start-time",
    "entered-time",
    "snf_role_arn",
];

fn is_placeholder(s: &str) -> bool {
    PLACEHOLDER_WORDS.contains(&s)
        || (s.starts_with('<') && s.ends_with('>') && !s[1..].contains('<'))
}

/// Glob match where `<...>` tokens in `pattern` match any text.
fn placeholder_glob(pattern: &str, text: &str) -> bool {
    let mut pieces: Vec<&str> = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('<') {
        match rest[start..].find('>') {
            Some(end) => {
                pieces.push(&rest[..start]);
                rest = &rest[start + end + 1..];
            }
            None => break,
        }
    }
    pieces.push(rest);
    if pieces.len() == 1 {
        return pattern == text;
    }
    let mut pos = 0;
    for (i, p) in pieces.iter().enumerate() {
        if i == 0 {
            if !text.starts_with(p) {
                return false;
            }
            pos = p.len();
        } else if i == pieces.len() - 1 {
            return text.len() >= pos + p.len() && text.ends_with(p);
        } else {
            match text[pos..].find(p) {
                Some(ix) => pos += ix + p.len(),
                None => return false,
            }
        }
    }
    true
}

/// Compares recorded (`expected`, with placeholders) and actual values.
pub fn wild_eq(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), _) if is_placeholder(e) => true,
        (Value::String(e), Value::String(a)) => {
            e == a
                || placeholder_glob(e, a)
                || (e.starts_with('{') && a.starts_with('{') && {
                    match (
                        serde_json::from_str::<Value>(e),
                        serde_json::from_str::<Value>(a),
                    ) {
                        (Ok(pe), Ok(pa)) => wild_eq(&pe, &pa),
                        _ => false,
                    }
                })
        }
        (Value::Object(_) | Value::Array(_), Value::String(a)) => serde_json::from_str::<Value>(a)
            .is_ok_and(|parsed| !parsed.is_string() && wild_eq(expected, &parsed)),
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|av| wild_eq(v, av)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| wild_eq(x, y))
        }
        _ => json_eq(expected, actual),
    }
}

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

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("invalid JSON in {}: {e}", path.display()))
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

/// What one execution ended with.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Final status.
    pub status: ExecutionStatus,
    /// Output if succeeded.
    pub output: Option<Value>,
    /// Error.
    pub error: Option<String>,
    /// Cause.
    pub cause: Option<String>,
    /// S3 objects an `ItemReader` read that the recording does not hold.
    pub unheld_objects: Vec<String>,
}

/// Runs one definition with mocks on an instant fake clock, with a real-time guard.
pub async fn run_definition(
    definition: &str,
    input: Value,
    mocks: Vec<Value>,
) -> Result<Outcome, String> {
    let objects = Arc::new(CaseItemSource::for_case(None, &mocks)?);
    run_definition_with(definition, input, mocks, objects).await
}

/// Runs one definition with mocks and the S3 objects its `ItemReader` may read.
pub async fn run_definition_with(
    definition: &str,
    input: Value,
    mocks: Vec<Value>,
    objects: Arc<CaseItemSource>,
) -> Result<Outcome, String> {
    let machine =
        StateMachine::from_json(definition).map_err(|e| format!("definition rejected: {e}"))?;
    let invoker = Arc::new(MockInvoker::new(mocks));
    let clock = Arc::new(FakeClock::instant(chrono::Utc::now()));
    let config = EngineConfig {
        account: "111111111111".into(),
        ..EngineConfig::default()
    };
    let engine = Engine::with_config(invoker.clone(), clock, config);
    invoker.attach(engine.clone());
    engine.set_item_source(objects.clone());
    let arn = engine
        .start_execution(Arc::new(machine), Some("conformance".into()), input)
        .map_err(|e| e.to_string())?;
    let desc = tokio::time::timeout(Duration::from_secs(20), engine.wait(&arn))
        .await
        .map_err(|_| "execution did not finish (hung)".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(Outcome {
        status: desc.status,
        output: desc.output,
        error: desc.error,
        cause: desc.cause,
        unheld_objects: objects.misses(),
    })
}

fn short(v: &impl std::fmt::Display) -> String {
    let s = v.to_string();
    if s.len() > 160 {
        let mut cut = 160;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…", &s[..cut])
    } else {
        s
    }
}

fn opt_text_matches(expected: Option<&Value>, actual: Option<&String>) -> bool {
    match (expected, actual) {
        (None | Some(Value::Null), None) => true,
        (None | Some(Value::Null), Some(a)) => a.is_empty(),
        (Some(e), Some(a)) => wild_eq(e, &Value::String(a.clone())),
        (Some(Value::String(e)), None) => e.is_empty() || is_placeholder(e),
        (Some(_), None) => false,
    }
}

/// Compares an outcome with `expected.json`; `None` means it matches.
pub fn compare(expected: &Value, got: &Outcome) -> Option<String> {
    let exp_status = expected.get("status").and_then(Value::as_str).unwrap_or("");
    if exp_status != got.status.as_str() {
        return Some(format!(
            "status {} != expected {exp_status} (error={:?} cause={})",
            got.status.as_str(),
            got.error,
            short(&got.cause.clone().unwrap_or_default())
        ));
    }
    if exp_status == "SUCCEEDED" {
        let exp_out = expected.get("output").cloned().unwrap_or(Value::Null);
        let actual = got.output.clone().unwrap_or(Value::Null);
        let ok = wild_eq(&exp_out, &actual)
            || exp_out
                .as_str()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .is_some_and(|parsed| wild_eq(&parsed, &actual));
        if !ok {
            return Some(format!(
                "output {} != expected {}",
                short(&actual),
                short(&exp_out)
            ));
        }
        return None;
    }
    if !opt_text_matches(expected.get("error"), got.error.as_ref()) {
        return Some(format!(
            "error {:?} != expected {}",
            got.error,
            short(&expected["error"])
        ));
    }
    if !opt_text_matches(expected.get("cause"), got.cause.as_ref()) {
        return Some(format!(
            "cause {} != expected {}",
            short(&format!("{:?}", got.cause)),
            short(&expected["cause"])
        ));
    }
    None
}

/// The recorder's stand-ins for a timestamp or date.
fn is_timestamp_placeholder(s: &str) -> bool {
    matches!(s, "date" | "timestamp" | "<timestamp>" | "<date>")
}

fn holds_timestamp_placeholder(v: &Value) -> bool {
    match v {
        Value::String(s) => is_timestamp_placeholder(s),
        Value::Object(m) => m.values().any(holds_timestamp_placeholder),
        Value::Array(a) => a.iter().any(holds_timestamp_placeholder),
        _ => false,
    }
}

/// Gives recorder placeholders in an execution input concrete values of the right kind
/// (a `date` becomes a fixed RFC 3339 timestamp), so the expected data's wildcards still apply.
pub fn substitute_input_placeholders(v: Value) -> Value {
    match v {
        Value::String(s) if is_timestamp_placeholder(&s) => {
            Value::String("2016-03-14T01:59:00Z".into())
        }
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, substitute_input_placeholders(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(substitute_input_placeholders).collect()),
        other => other,
    }
}

/// Runs one case directory and renders what happened (for debugging a failing case).
pub async fn show_case(dir: &Path) -> String {
    let definition = std::fs::read_to_string(dir.join("definition.asl.json")).unwrap_or_default();
    let input =
        substitute_input_placeholders(read_json(&dir.join("input.json")).unwrap_or(json!({})));
    let mocks = read_json(&dir.join("task_mocks.json"))
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    let objects = match CaseItemSource::for_case(Some(dir), &mocks) {
        Ok(o) => Arc::new(o),
        Err(e) => return e,
    };
    match run_definition_with(&definition, input, mocks, objects).await {
        Ok(o) => format!(
            "status={} error={:?} cause={:?}\noutput={}",
            o.status.as_str(),
            o.error,
            o.cause,
            o.output.map(|v| v.to_string()).unwrap_or_default()
        ),
        Err(e) => e,
    }
}

/// Runs one case directory.
pub async fn run_case(dir: &Path) -> CaseResult {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut unscoreable = None;
    let failure = async {
        let definition = std::fs::read_to_string(dir.join("definition.asl.json"))
            .map_err(|e| format!("cannot read definition: {e}"))?;
        let raw_input = read_json(&dir.join("input.json")).unwrap_or(json!({}));
        let timestamp_unknown = holds_timestamp_placeholder(&raw_input);
        let input = substitute_input_placeholders(raw_input);
        let expected = read_json(&dir.join("expected.json"))?;
        let mocks_path = dir.join("task_mocks.json");
        let mocks = if mocks_path.exists() {
            read_json(&mocks_path)?
                .as_array()
                .cloned()
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let objects = Arc::new(CaseItemSource::for_case(Some(dir), &mocks)?);
        let got = run_definition_with(&definition, input, mocks, objects).await?;
        match compare(&expected, &got) {
            None => Ok(()),
            Some(reason) => {
                unscoreable = why_unscoreable(&definition, &expected, &got).or_else(|| {
                    let about_timestamps = |c: Option<&str>| {
                        c.is_some_and(|c| c.contains("ISO-8601 extended offset date-time"))
                    };
                    (timestamp_unknown
                        && (about_timestamps(expected.get("cause").and_then(Value::as_str))
                            || about_timestamps(got.cause.as_deref())))
                    .then(|| {
                        "the timestamp the execution validated is a recorder placeholder in the input, so its validity is unknown"
                            .to_string()
                    })
                });
                Err(reason)
            }
        }
    }
    .await
    .err();
    match unscoreable {
        Some(why) => CaseResult {
            name,
            failure: None,
            unscoreable: Some(why),
        },
        None => CaseResult::scored(name, failure),
    }
}

/// Whether `s` names a history field (`executionSucceededEventDetails.output`) rather than
/// holding a value: what the recorder wrote when it could not find the value.
fn is_recorder_field_name(s: &str) -> bool {
    s.split_once("EventDetails.").is_some_and(|(event, field)| {
        !event.is_empty()
            && event.chars().all(|c| c.is_ascii_alphanumeric())
            && !field.is_empty()
            && field.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// Why a case that did not match cannot be decided by its recording, if it cannot: its
/// `ItemReader` read S3 objects the recording does not hold, or its successful output depends
/// on `States.MathRandom`, whose value the recorder replaced with a stand-in.
fn why_unscoreable(definition: &str, expected: &Value, got: &Outcome) -> Option<String> {
    if !got.unheld_objects.is_empty() {
        return Some(format!(
            "the ItemReader read {}, which the recording does not hold (no s3_objects.json)",
            got.unheld_objects.join(", ")
        ));
    }
    let both_succeeded = expected.get("status").and_then(Value::as_str) == Some("SUCCEEDED")
        && got.status == ExecutionStatus::Succeeded;
    if let Some(stand_in) = expected.get("output").and_then(Value::as_str)
        && is_recorder_field_name(stand_in)
    {
        return Some(format!(
            "the recorded output is the recorder's field name '{stand_in}', not the execution's output"
        ));
    }
    if both_succeeded && definition.contains("States.MathRandom") {
        return Some(
            "the output depends on States.MathRandom and the recording holds a stand-in for the random value"
                .into(),
        );
    }
    None
}

/// Parses a known-failures list (`name  # reason` per line; `#` comment lines and blanks ignored).
pub fn parse_known_failures(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('#') {
            Some((name, reason)) => (name.trim().to_string(), reason.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

/// Lists case directories (sorted) under `dir`.
pub fn case_dirs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("definition.asl.json").exists())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Runs every case under `dir`.
pub async fn run_cases(dir: &Path) -> Result<Vec<CaseResult>, String> {
    let mut out = Vec::new();
    for d in case_dirs(dir)? {
        out.push(run_case(&d).await);
    }
    Ok(out)
}

fn replace_value(v: &Value, needle: &str, with: &Value) -> Value {
    match v {
        Value::String(s) if s == needle => with.clone(),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), replace_value(v, needle, with)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| replace_value(x, needle, with)).collect()),
        other => other.clone(),
    }
}

fn replace_key(v: &Value, key: &str, with: &str) -> Value {
    match v {
        Value::Object(m) => {
            let out: Map<String, Value> = m
                .iter()
                .map(|(k, v)| {
                    (
                        if k == key {
                            with.to_string()
                        } else {
                            k.clone()
                        },
                        replace_key(v, key, with),
                    )
                })
                .collect();
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| replace_key(x, key, with)).collect()),
        other => other.clone(),
    }
}

/// Runs the rows of `choice_operators.json`. Row names are `choice_operators[index]:Operator`.
pub async fn run_choice_operators(file: &Path) -> Result<Vec<CaseResult>, String> {
    let doc = read_json(file)?;
    let template = doc.get("template").cloned().ok_or("missing template")?;
    let rows = doc
        .get("cases")
        .and_then(Value::as_array)
        .cloned()
        .ok_or("missing cases")?;
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let op = row.get("operator").and_then(Value::as_str).unwrap_or("");
        let input = row.get("input").cloned().unwrap_or(Value::Null);
        let name = format!("choice_operators[{i}]:{op}");
        let mut def = replace_key(&template, "%ComparisonOperatorType%", op);
        if row.get("value_mode").and_then(Value::as_str) == Some("literal") {
            def = replace_value(&def, "$.Value", input.get("Value").unwrap_or(&Value::Null));
        }
        let expected = json!({"status": "SUCCEEDED", "output": row.get("expected_output").cloned().unwrap_or(Value::Null)});
        let failure = match run_definition(&def.to_string(), input.clone(), Vec::new()).await {
            Ok(got) => compare(&expected, &got).map(|r| format!("input {input}: {r}")),
            Err(e) => Some(e),
        };
        let both_placeholders = ["Variable", "Value"].iter().all(|k| {
            input
                .get(*k)
                .and_then(Value::as_str)
                .is_some_and(is_placeholder)
        });
        if failure.is_some() && both_placeholders {
            out.push(CaseResult {
                name,
                failure: None,
                unscoreable: Some(
                    "Variable and Value are both recorder placeholders, so the compared values are unknown"
                        .into(),
                ),
            });
            continue;
        }
        out.push(CaseResult::scored(name, failure));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(f),
            Err(e) => panic!("runtime: {e}"),
        }
    }

    #[test]
    fn outcomes_recorded_without_the_state_name_are_replayed_by_resource() {
        let def = r#"{"StartAt": "Call", "States": {"Call": {"Type": "Task",
            "Resource": "arn:aws:states:::apigateway:invoke",
            "Parameters": {"ApiEndpoint": "x.execute-api", "Method": "GET", "Path.$": "$.p"}, "End": true}}}"#;
        let mocks = vec![
            json!({"resourceType": "apigateway", "resource": "invoke",
                   "parameters": {"ApiEndpoint": "<api-endpoint>", "Method": "GET", "Path": "other"},
                   "result": "success", "output": {}}),
            json!({"resourceType": "apigateway", "resource": "invoke",
                   "parameters": {"ApiEndpoint": "<api-endpoint>", "Method": "GET", "Path": "missing"},
                   "result": "failure", "error": "ApiGateway.403", "cause": "Forbidden"}),
        ];
        let got = block_on(run_definition(def, json!({"p": "missing"}), mocks.clone()));
        let got = got.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.error.as_deref(), Some("ApiGateway.403"));
        assert_eq!(got.cause.as_deref(), Some("Forbidden"));
        // parameters that match no recorded outcome still have no mock
        let got = block_on(run_definition(def, json!({"p": "elsewhere"}), mocks));
        let got = got.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.error.as_deref(), Some("Harness.NoMock"));
    }

    #[test]
    fn unscoreable_reasons() {
        assert!(is_recorder_field_name(
            "executionSucceededEventDetails.output"
        ));
        assert!(!is_recorder_field_name("some output"));
        let got = Outcome {
            status: ExecutionStatus::Succeeded,
            output: Some(json!({"FunctionResult": 14})),
            error: None,
            cause: None,
            unheld_objects: Vec::new(),
        };
        let expected =
            json!({"status": "SUCCEEDED", "output": {"FunctionResult": "RandomNumberGenerated"}});
        let def = r#"{"x.$": "States.MathRandom(1, 99)"}"#;
        assert!(why_unscoreable(def, &expected, &got).is_some());
        assert!(why_unscoreable("{}", &expected, &got).is_none());
        let unheld = Outcome {
            unheld_objects: vec!["s3://b/k".into()],
            ..got
        };
        assert!(why_unscoreable("{}", &expected, &unheld).is_some_and(|r| r.contains("s3://b/k")));
    }

    #[test]
    fn wildcards() {
        assert!(wild_eq(&json!("<uuid:1>"), &json!("abc")));
        assert!(wild_eq(
            &json!("arn:<partition>:lambda:<region>:1:function:x"),
            &json!("arn:aws:lambda:us-east-1:1:function:x")
        ));
        assert!(!wild_eq(&json!("arn:<partition>:x"), &json!("arn:aws:y")));
        assert!(wild_eq(&json!({"a": 1}), &json!("{\"a\": 1.0}")));
        assert!(wild_eq(&json!("date"), &json!(5)));
        assert_eq!(python_dumps(&json!({"a": [1, "x"]})), "{\"a\": [1, \"x\"]}");
    }
}
