//! Parsing and static validation of state machine definitions into a typed model.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::choice::{self, ChoiceRule};
use crate::error::{DefinitionError, names};

/// A parsed, validated state machine.
#[derive(Debug, Clone)]
pub struct StateMachine {
    /// The top-level graph.
    pub graph: Arc<Graph>,
    /// Definition-level `TimeoutSeconds`.
    pub timeout_seconds: Option<u64>,
    /// The raw definition.
    pub definition: Value,
    /// Name used in ARNs (defaults to `StateMachine`).
    pub name: String,
}

/// A set of states with a start state (the machine itself, a Parallel branch or a Map processor).
#[derive(Debug)]
pub struct Graph {
    /// `StartAt`.
    pub start_at: String,
    /// States by name.
    pub states: HashMap<String, State>,
}

/// `InputPath`/`OutputPath`/`ResultPath`: `None` is JSON `null`.
pub type IoPath = Option<String>;

/// A number given literally or through a `*Path` field.
#[derive(Debug, Clone, PartialEq)]
pub enum NumOrPath {
    /// Literal value.
    Value(Value),
    /// Path into the effective input.
    Path(String),
}

/// How a state continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// `Next`.
    Next(String),
    /// `End: true`, `Succeed`, or `Fail`.
    End,
    /// Choice: decided at run time.
    Choice,
}

/// A `Retry` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `IntervalSeconds` (default 1).
    pub interval_seconds: f64,
    /// `MaxAttempts` (default 3).
    pub max_attempts: u64,
    /// `BackoffRate` (default 2.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`.
    pub max_delay_seconds: Option<f64>,
    /// `JitterStrategy` == `FULL`.
    pub jitter_full: bool,
}

/// A `Catch` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `Next`.
    pub next: String,
    /// `ResultPath` (default `$`).
    pub result_path: IoPath,
    /// `Assign`.
    pub assign: Option<Value>,
}

/// `Wait` duration specification.
#[derive(Debug, Clone, PartialEq)]
pub enum WaitSpec {
    /// `Seconds`.
    Seconds(Value),
    /// `Timestamp`.
    Timestamp(String),
    /// `SecondsPath`.
    SecondsPath(String),
    /// `TimestampPath`.
    TimestampPath(String),
}

/// A string given literally or through a path (Fail `Error`/`Cause`).
#[derive(Debug, Clone, PartialEq)]
pub enum StrOrPath {
    /// Literal.
    Literal(String),
    /// Path or intrinsic.
    Path(String),
}

/// Map state configuration.
#[derive(Debug)]
pub struct MapSpec {
    /// Iteration graph.
    pub processor: Arc<Graph>,
    /// `ItemsPath` (default `$`).
    pub items_path: String,
    /// `ItemSelector` (or legacy `Parameters`).
    pub item_selector: Option<Value>,
    /// `MaxConcurrency(Path)`.
    pub max_concurrency: Option<NumOrPath>,
    /// `ToleratedFailureCount(Path)`.
    pub tolerated_count: Option<NumOrPath>,
    /// `ToleratedFailurePercentage(Path)`.
    pub tolerated_percentage: Option<NumOrPath>,
    /// `ItemReader` (distributed Map reading S3 through the engine's item source).
    pub item_reader: Option<Value>,
    /// `ItemBatcher` (items handed to iterations in batches).
    pub item_batcher: Option<Value>,
}

/// State-type specific data.
#[derive(Debug)]
pub enum StateKind {
    /// Pass state.
    Pass {
        /// `Result`.
        result: Option<Value>,
    },
    /// Task state.
    Task {
        /// `Resource` ARN.
        resource: String,
        /// `TimeoutSeconds(Path)`.
        timeout: Option<NumOrPath>,
        /// `HeartbeatSeconds(Path)`.
        heartbeat: Option<NumOrPath>,
        /// `Credentials`.
        credentials: Option<Value>,
    },
    /// Choice state.
    Choice {
        /// Rules.
        choices: Vec<ChoiceRule>,
        /// `Default`.
        default: Option<String>,
    },
    /// Wait state.
    Wait(WaitSpec),
    /// Succeed state.
    Succeed,
    /// Fail state.
    Fail {
        /// `Error`/`ErrorPath`.
        error: Option<StrOrPath>,
        /// `Cause`/`CausePath`.
        cause: Option<StrOrPath>,
    },
    /// Parallel state.
    Parallel {
        /// Branches.
        branches: Vec<Arc<Graph>>,
    },
    /// Map state.
    Map(MapSpec),
}

/// One state.
#[derive(Debug)]
pub struct State {
    /// Name.
    pub name: String,
    /// `Type` as written.
    pub type_name: String,
    /// Kind.
    pub kind: StateKind,
    /// `InputPath`.
    pub input_path: IoPath,
    /// `OutputPath`.
    pub output_path: IoPath,
    /// `ResultPath`.
    pub result_path: IoPath,
    /// `Parameters`.
    pub parameters: Option<Value>,
    /// `ResultSelector`.
    pub result_selector: Option<Value>,
    /// `Assign`.
    pub assign: Option<Value>,
    /// Transition.
    pub transition: Transition,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// Whether any field of this state mentions `$$` (the context object is only built then).
    pub uses_context: bool,
}

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
            if !matches!(
                key.as_str(),
                "StartAt" | "States" | "Comment" | "Version" | "TimeoutSeconds" | "QueryLanguage"
            ) {
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

fn check_query_language(obj: &Map<String, Value>, loc: &str) -> Result<(), DefinitionError> {
    match obj.get("QueryLanguage") {
        None => Ok(()),
        Some(Value::String(s)) if s == "JSONPath" => Ok(()),
        Some(Value::String(s)) if s == "JSONata" => Err(DefinitionError::Unsupported {
            location: loc.to_string(),
            feature: "QueryLanguage JSONata".into(),
        }),
        Some(other) => Err(DefinitionError::schema(
            loc,
            format!("invalid QueryLanguage {other}"),
        )),
    }
}

fn parse_graph(obj: &Map<String, Value>, loc: &str) -> Result<Graph, DefinitionError> {
    let start_at = obj
        .get("StartAt")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            DefinitionError::schema(&format!("{loc}/StartAt"), "missing or not a string")
        })?
        .to_string();
    let states_obj = obj
        .get("States")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            DefinitionError::schema(&format!("{loc}/States"), "missing or not an object")
        })?;
    if states_obj.is_empty() {
        return Err(DefinitionError::schema(
            &format!("{loc}/States"),
            "must not be empty",
        ));
    }
    let mut states = HashMap::new();
    for (name, sv) in states_obj {
        if name.is_empty() || name.chars().count() > 80 {
            return Err(DefinitionError::schema(
                &format!("{loc}/States"),
                format!("invalid state name '{name}'"),
            ));
        }
        let st = parse_state(name, sv, &format!("{loc}/States/{name}"))?;
        states.insert(name.clone(), st);
    }
    if !states.contains_key(&start_at) {
        return Err(DefinitionError::UnknownTarget {
            location: format!("{loc}/StartAt"),
            target: start_at,
        });
    }
    // transition targets and reachability
    let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
    for (name, st) in &states {
        let mut targets: Vec<&str> = Vec::new();
        if let Transition::Next(n) = &st.transition {
            targets.push(n);
        }
        if let StateKind::Choice { choices, default } = &st.kind {
            targets.extend(choices.iter().map(|c| c.next.as_str()));
            targets.extend(default.as_deref());
        }
        targets.extend(st.catch.iter().map(|c| c.next.as_str()));
        for t in &targets {
            if !states.contains_key(*t) {
                return Err(DefinitionError::UnknownTarget {
                    location: format!("{loc}/States/{name}"),
                    target: (*t).to_string(),
                });
            }
        }
        edges.insert(name.as_str(), targets);
    }
    let mut seen: HashSet<&str> = HashSet::new();
    let mut queue: VecDeque<&str> = VecDeque::from([start_at.as_str()]);
    while let Some(s) = queue.pop_front() {
        if seen.insert(s) {
            for t in edges.get(s).into_iter().flatten() {
                queue.push_back(t);
            }
        }
    }
    let mut unreachable: Vec<&String> = states
        .keys()
        .filter(|k| !seen.contains(k.as_str()))
        .collect();
    unreachable.sort();
    if let Some(u) = unreachable.first() {
        return Err(DefinitionError::Unreachable {
            location: format!("{loc}/States/{u}"),
            state: (*u).clone(),
        });
    }
    Ok(Graph { start_at, states })
}

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

fn allowed_fields(t: &str) -> Option<&'static [&'static str]> {
    Some(match t {
        "Pass" => &[
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "Result",
            "Next",
            "End",
            "Assign",
        ],
        "Task" => &[
            "Resource",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Next",
            "End",
            "Assign",
            "Credentials",
        ],
        "Choice" => &["InputPath", "OutputPath", "Choices", "Default", "Assign"],
        "Wait" => &[
            "InputPath",
            "OutputPath",
            "Seconds",
            "Timestamp",
            "SecondsPath",
            "TimestampPath",
            "Next",
            "End",
            "Assign",
        ],
        "Succeed" => &["InputPath", "OutputPath"],
        "Fail" => &["Error", "ErrorPath", "Cause", "CausePath"],
        "Parallel" => &[
            "Branches",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "Parameters",
            "ResultSelector",
            "Retry",
            "Catch",
            "Next",
            "End",
            "Assign",
        ],
        "Map" => &[
            "ItemProcessor",
            "Iterator",
            "ItemsPath",
            "ItemSelector",
            "Parameters",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "Label",
            "InputPath",
            "OutputPath",
            "ResultPath",
            "ResultSelector",
            "Retry",
            "Catch",
            "Next",
            "End",
            "Assign",
        ],
        _ => return None,
    })
}

fn opt_path(obj: &Map<String, Value>, key: &str, loc: &str) -> Result<IoPath, DefinitionError> {
    match obj.get(key) {
        None => Ok(Some("$".to_string())),
        Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.starts_with('$') => Ok(Some(s.clone())),
        Some(other) => Err(DefinitionError::schema(
            &format!("{loc}/{key}"),
            format!("invalid path {other}"),
        )),
    }
}

fn num_or_path(
    obj: &Map<String, Value>,
    key: &str,
    loc: &str,
    check: fn(&Value) -> bool,
) -> Result<Option<NumOrPath>, DefinitionError> {
    let pkey = format!("{key}Path");
    match (obj.get(key), obj.get(&pkey)) {
        (Some(_), Some(_)) => Err(DefinitionError::schema(
            loc,
            format!("'{key}' and '{pkey}' are mutually exclusive"),
        )),
        (Some(v), None) => {
            if check(v) {
                Ok(Some(NumOrPath::Value(v.clone())))
            } else {
                Err(DefinitionError::schema(
                    &format!("{loc}/{key}"),
                    format!("invalid value {v}"),
                ))
            }
        }
        (None, Some(Value::String(p))) if p.starts_with('$') => {
            Ok(Some(NumOrPath::Path(p.clone())))
        }
        (None, Some(other)) => Err(DefinitionError::schema(
            &format!("{loc}/{pkey}"),
            format!("invalid path {other}"),
        )),
        (None, None) => Ok(None),
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

fn check_all_last(lists: &[&Vec<String>], loc: &str) -> Result<(), DefinitionError> {
    for (i, l) in lists.iter().enumerate() {
        if l.iter().any(|e| e == names::ALL) && i + 1 != lists.len() {
            return Err(DefinitionError::schema(
                loc,
                "States.ALL must be the last entry",
            ));
        }
    }
    Ok(())
}

fn parse_retry(v: Option<&Value>, loc: &str) -> Result<Vec<Retrier>, DefinitionError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let arr = v
        .as_array()
        .ok_or_else(|| DefinitionError::schema(loc, "Retry must be an array"))?;
    let mut out = Vec::new();
    for (i, r) in arr.iter().enumerate() {
        let l = format!("{loc}[{i}]");
        let o = r
            .as_object()
            .ok_or_else(|| DefinitionError::schema(&l, "must be an object"))?;
        for k in o.keys() {
            if !matches!(
                k.as_str(),
                "ErrorEquals"
                    | "IntervalSeconds"
                    | "MaxAttempts"
                    | "BackoffRate"
                    | "MaxDelaySeconds"
                    | "JitterStrategy"
                    | "Comment"
            ) {
                return Err(DefinitionError::schema(
                    &l,
                    format!("unknown field '{k}' in Retry"),
                ));
            }
        }
        let interval_seconds = match o.get("IntervalSeconds") {
            None => 1.0,
            Some(x) => x
                .as_u64()
                .filter(|n| *n >= 1)
                .map(|n| n as f64)
                .ok_or_else(|| {
                    DefinitionError::schema(&l, "IntervalSeconds must be a positive integer")
                })?,
        };
        let max_attempts = match o.get("MaxAttempts") {
            None => 3,
            Some(x) => x.as_u64().ok_or_else(|| {
                DefinitionError::schema(&l, "MaxAttempts must be a non-negative integer")
            })?,
        };
        let backoff_rate = match o.get("BackoffRate") {
            None => 2.0,
            Some(x) => x.as_f64().filter(|f| *f >= 1.0).ok_or_else(|| {
                DefinitionError::schema(&l, "BackoffRate must be a number >= 1.0")
            })?,
        };
        let max_delay_seconds = match o.get("MaxDelaySeconds") {
            None => None,
            Some(x) => Some(
                x.as_u64()
                    .filter(|n| *n >= 1)
                    .map(|n| n as f64)
                    .ok_or_else(|| {
                        DefinitionError::schema(&l, "MaxDelaySeconds must be a positive integer")
                    })?,
            ),
        };
        let jitter_full = match o.get("JitterStrategy").map(|j| j.as_str()) {
            None | Some(Some("NONE")) => false,
            Some(Some("FULL")) => true,
            _ => {
                return Err(DefinitionError::schema(
                    &l,
                    "JitterStrategy must be FULL or NONE",
                ));
            }
        };
        out.push(Retrier {
            error_equals: error_list(o.get("ErrorEquals"), &l)?,
            interval_seconds,
            max_attempts,
            backoff_rate,
            max_delay_seconds,
            jitter_full,
        });
    }
    check_all_last(
        &out.iter().map(|r| &r.error_equals).collect::<Vec<_>>(),
        loc,
    )?;
    Ok(out)
}

fn parse_catch(v: Option<&Value>, loc: &str) -> Result<Vec<Catcher>, DefinitionError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let arr = v
        .as_array()
        .ok_or_else(|| DefinitionError::schema(loc, "Catch must be an array"))?;
    let mut out = Vec::new();
    for (i, c) in arr.iter().enumerate() {
        let l = format!("{loc}[{i}]");
        let o = c
            .as_object()
            .ok_or_else(|| DefinitionError::schema(&l, "must be an object"))?;
        for k in o.keys() {
            if !matches!(
                k.as_str(),
                "ErrorEquals" | "Next" | "ResultPath" | "Assign" | "Comment"
            ) {
                if k == "Output" {
                    return Err(DefinitionError::Unsupported {
                        location: l.clone(),
                        feature: "JSONata 'Output' in Catch".into(),
                    });
                }
                return Err(DefinitionError::schema(
                    &l,
                    format!("unknown field '{k}' in Catch"),
                ));
            }
        }
        out.push(Catcher {
            error_equals: error_list(o.get("ErrorEquals"), &l)?,
            next: o
                .get("Next")
                .and_then(Value::as_str)
                .ok_or_else(|| DefinitionError::schema(&l, "Catch needs a string 'Next'"))?
                .to_string(),
            result_path: opt_path(o, "ResultPath", &l)?,
            assign: o.get("Assign").cloned(),
        });
    }
    check_all_last(
        &out.iter().map(|r| &r.error_equals).collect::<Vec<_>>(),
        loc,
    )?;
    Ok(out)
}

fn str_or_path(
    obj: &Map<String, Value>,
    key: &str,
    loc: &str,
) -> Result<Option<StrOrPath>, DefinitionError> {
    let pkey = format!("{key}Path");
    match (obj.get(key), obj.get(&pkey)) {
        (Some(_), Some(_)) => Err(DefinitionError::schema(
            loc,
            format!("'{key}' and '{pkey}' are mutually exclusive"),
        )),
        (Some(Value::String(s)), None) => Ok(Some(StrOrPath::Literal(s.clone()))),
        (Some(other), None) => Err(DefinitionError::schema(
            &format!("{loc}/{key}"),
            format!("must be a string, got {other}"),
        )),
        (None, Some(Value::String(p))) if p.starts_with('$') || p.starts_with("States.") => {
            Ok(Some(StrOrPath::Path(p.clone())))
        }
        (None, Some(other)) => Err(DefinitionError::schema(
            &format!("{loc}/{pkey}"),
            format!("invalid path {other}"),
        )),
        (None, None) => Ok(None),
    }
}

fn is_json_object(v: &Value) -> bool {
    v.is_object()
}

fn check_jsonata_strings(v: &Value, loc: &str) -> Result<(), DefinitionError> {
    match v {
        Value::String(s) if s.trim_start().starts_with("{%") && s.trim_end().ends_with("%}") => {
            Err(DefinitionError::Unsupported {
                location: loc.to_string(),
                feature: "JSONata expression".into(),
            })
        }
        _ => Ok(()),
    }
}

fn parse_state(name: &str, v: &Value, loc: &str) -> Result<State, DefinitionError> {
    let obj = v
        .as_object()
        .ok_or_else(|| DefinitionError::schema(loc, "a state must be an object"))?;
    check_query_language(obj, loc)?;
    let type_name = obj
        .get("Type")
        .and_then(Value::as_str)
        .ok_or_else(|| DefinitionError::schema(loc, "missing 'Type'"))?
        .to_string();
    let allowed = allowed_fields(&type_name)
        .ok_or_else(|| DefinitionError::schema(loc, format!("unknown state Type '{type_name}'")))?;
    for key in obj.keys() {
        if COMMON.contains(&key.as_str()) || allowed.contains(&key.as_str()) {
            continue;
        }
        if matches!(key.as_str(), "Arguments" | "Output" | "Items") {
            return Err(DefinitionError::Unsupported {
                location: format!("{loc}/{key}"),
                feature: format!("JSONata field '{key}'"),
            });
        }
        return Err(DefinitionError::schema(
            loc,
            format!("field '{key}' is not supported by state type {type_name}"),
        ));
    }
    for key in ["Parameters", "ResultSelector", "ItemSelector", "Assign"] {
        if let Some(p) = obj.get(key) {
            if key != "Assign" && !is_json_object(p) {
                return Err(DefinitionError::schema(
                    &format!("{loc}/{key}"),
                    "must be a JSON object",
                ));
            }
            if key == "Assign" && !p.is_object() {
                return Err(DefinitionError::schema(
                    &format!("{loc}/{key}"),
                    "must be a JSON object",
                ));
            }
        }
    }
    let has_next = obj.get("Next");
    let end = obj.get("End");
    let terminal_kind = matches!(type_name.as_str(), "Choice" | "Succeed" | "Fail");
    let transition = if terminal_kind {
        if has_next.is_some() || end.is_some() {
            return Err(DefinitionError::schema(
                loc,
                format!("{type_name} states must not have 'Next' or 'End'"),
            ));
        }
        if type_name == "Choice" {
            Transition::Choice
        } else {
            Transition::End
        }
    } else {
        match (has_next, end) {
            (Some(Value::String(n)), None) => Transition::Next(n.clone()),
            (None, Some(Value::Bool(true))) => Transition::End,
            (Some(_), Some(_)) => {
                return Err(DefinitionError::schema(
                    loc,
                    "'Next' and 'End' are mutually exclusive",
                ));
            }
            (None, None) | (None, Some(Value::Bool(false))) => {
                return Err(DefinitionError::schema(
                    loc,
                    "missing 'Next' or 'End: true'",
                ));
            }
            _ => return Err(DefinitionError::schema(loc, "invalid 'Next'/'End'")),
        }
    };
    let kind = match type_name.as_str() {
        "Pass" => StateKind::Pass {
            result: obj.get("Result").cloned(),
        },
        "Task" => {
            let resource = obj
                .get("Resource")
                .and_then(Value::as_str)
                .ok_or_else(|| DefinitionError::schema(loc, "Task needs a string 'Resource'"))?
                .to_string();
            let timeout = num_or_path(obj, "TimeoutSeconds", loc, |v| {
                v.as_u64().is_some_and(|n| n > 0)
            })?;
            let heartbeat = num_or_path(obj, "HeartbeatSeconds", loc, |v| {
                v.as_u64().is_some_and(|n| n > 0)
            })?;
            if let (Some(NumOrPath::Value(t)), Some(NumOrPath::Value(h))) = (&timeout, &heartbeat)
                && h.as_u64() >= t.as_u64()
            {
                return Err(DefinitionError::schema(
                    loc,
                    "HeartbeatSeconds must be smaller than TimeoutSeconds",
                ));
            }
            StateKind::Task {
                resource,
                timeout,
                heartbeat,
                credentials: obj.get("Credentials").cloned(),
            }
        }
        "Choice" => {
            let arr = obj
                .get("Choices")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .ok_or_else(|| {
                    DefinitionError::schema(loc, "Choice needs a non-empty 'Choices' array")
                })?;
            let choices = arr
                .iter()
                .enumerate()
                .map(|(i, c)| choice::parse_top(c, &format!("{loc}/Choices[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            let default = match obj.get("Default") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(DefinitionError::schema(loc, "'Default' must be a string")),
            };
            StateKind::Choice { choices, default }
        }
        "Wait" => {
            let mut specs = Vec::new();
            if let Some(s) = obj.get("Seconds") {
                if s.as_u64().is_none() {
                    return Err(DefinitionError::schema(
                        loc,
                        "'Seconds' must be a non-negative integer",
                    ));
                }
                specs.push(WaitSpec::Seconds(s.clone()));
            }
            if let Some(s) = obj.get("Timestamp") {
                let t = s
                    .as_str()
                    .filter(|t| choice::parse_timestamp(t).is_some())
                    .ok_or_else(|| {
                        DefinitionError::schema(loc, "'Timestamp' must be an RFC 3339 timestamp")
                    })?;
                specs.push(WaitSpec::Timestamp(t.to_string()));
            }
            for (key, mk) in [
                (
                    "SecondsPath",
                    WaitSpec::SecondsPath as fn(String) -> WaitSpec,
                ),
                ("TimestampPath", WaitSpec::TimestampPath),
            ] {
                if let Some(s) = obj.get(key) {
                    let p = s.as_str().filter(|p| p.starts_with('$')).ok_or_else(|| {
                        DefinitionError::schema(loc, format!("'{key}' must be a path"))
                    })?;
                    specs.push(mk(p.to_string()));
                }
            }
            if specs.len() != 1 {
                return Err(DefinitionError::schema(
                    loc,
                    "a Wait state needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath",
                ));
            }
            StateKind::Wait(specs.remove(0))
        }
        "Succeed" => StateKind::Succeed,
        "Fail" => {
            if let Some(e) = obj.get("Error") {
                check_jsonata_strings(e, loc)?;
            }
            StateKind::Fail {
                error: str_or_path(obj, "Error", loc)?,
                cause: str_or_path(obj, "Cause", loc)?,
            }
        }
        "Parallel" => {
            let arr = obj
                .get("Branches")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
                .ok_or_else(|| {
                    DefinitionError::schema(loc, "Parallel needs a non-empty 'Branches' array")
                })?;
            let mut branches = Vec::new();
            for (i, b) in arr.iter().enumerate() {
                let bl = format!("{loc}/Branches[{i}]");
                let bo = b
                    .as_object()
                    .ok_or_else(|| DefinitionError::schema(&bl, "a branch must be an object"))?;
                check_query_language(bo, &bl)?;
                branches.push(Arc::new(parse_graph(bo, &bl)?));
            }
            StateKind::Parallel { branches }
        }
        "Map" => {
            let (proc_key, proc) = match (obj.get("ItemProcessor"), obj.get("Iterator")) {
                (Some(_), Some(_)) => {
                    return Err(DefinitionError::schema(
                        loc,
                        "'ItemProcessor' and 'Iterator' are mutually exclusive",
                    ));
                }
                (Some(p), None) => ("ItemProcessor", p),
                (None, Some(p)) => ("Iterator", p),
                (None, None) => {
                    return Err(DefinitionError::schema(loc, "Map needs 'ItemProcessor'"));
                }
            };
            let pl = format!("{loc}/{proc_key}");
            let po = proc
                .as_object()
                .ok_or_else(|| DefinitionError::schema(&pl, "must be an object"))?;
            check_query_language(po, &pl)?;
            // A DISTRIBUTED processor without ItemReader runs like INLINE here.
            if obj.contains_key("ItemSelector") && obj.contains_key("Parameters") {
                return Err(DefinitionError::schema(
                    loc,
                    "'ItemSelector' and 'Parameters' are mutually exclusive",
                ));
            }
            let items_path = match obj.get("ItemsPath") {
                None => "$".to_string(),
                Some(Value::String(s)) if s.starts_with('$') => s.clone(),
                Some(other) => {
                    return Err(DefinitionError::schema(
                        loc,
                        format!("invalid ItemsPath {other}"),
                    ));
                }
            };
            StateKind::Map(MapSpec {
                processor: Arc::new(parse_graph(po, &pl)?),
                items_path,
                item_selector: obj
                    .get("ItemSelector")
                    .or_else(|| obj.get("Parameters"))
                    .cloned(),
                max_concurrency: num_or_path(obj, "MaxConcurrency", loc, |v| v.as_u64().is_some())?,
                tolerated_count: num_or_path(obj, "ToleratedFailureCount", loc, |v| {
                    v.as_u64().is_some()
                })?,
                tolerated_percentage: num_or_path(obj, "ToleratedFailurePercentage", loc, |v| {
                    v.as_f64().is_some_and(|f| (0.0..=100.0).contains(&f))
                })?,
                item_reader: obj.get("ItemReader").cloned(),
                item_batcher: obj.get("ItemBatcher").cloned(),
            })
        }
        other => {
            return Err(DefinitionError::schema(
                loc,
                format!("unknown state Type '{other}'"),
            ));
        }
    };
    let is_map = matches!(kind, StateKind::Map(_));
    Ok(State {
        name: name.to_string(),
        type_name,
        input_path: opt_path(obj, "InputPath", loc)?,
        output_path: opt_path(obj, "OutputPath", loc)?,
        result_path: opt_path(obj, "ResultPath", loc)?,
        parameters: if is_map {
            None
        } else {
            obj.get("Parameters").cloned()
        },
        result_selector: obj.get("ResultSelector").cloned(),
        assign: obj.get("Assign").cloned(),
        transition,
        retry: parse_retry(obj.get("Retry"), &format!("{loc}/Retry"))?,
        catch: parse_catch(obj.get("Catch"), &format!("{loc}/Catch"))?,
        uses_context: v.to_string().contains("$$"),
        kind,
    })
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
