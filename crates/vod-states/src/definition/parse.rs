//! Parsing a definition's graphs and states into the typed model, with the static checks AWS
//! makes when a state machine is created (fields, transitions, reachability, literal values).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::fields::{Types, check_state_fields};
use super::retry_catch::{parse_catch, parse_retry};
use super::types::{
    Graph, IoPath, MapSpec, NumOrPath, State, StateKind, StrOrPath, Transition, WaitSpec,
};
use crate::choice;
use crate::error::DefinitionError;

pub(super) fn check_query_language(
    obj: &Map<String, Value>,
    loc: &str,
) -> Result<(), DefinitionError> {
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

pub(super) fn parse_graph(obj: &Map<String, Value>, loc: &str) -> Result<Graph, DefinitionError> {
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

pub(super) fn opt_path(
    obj: &Map<String, Value>,
    key: &str,
    loc: &str,
) -> Result<IoPath, DefinitionError> {
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

/// Which of a field's two forms a state gives: `key` (a literal) or `{key}Path`.
enum Given<'o> {
    Literal(&'o Value),
    Path(String),
}

/// `key` or `{key}Path`, never both; a path must be a string `is_path` accepts.
fn literal_or_path<'o>(
    obj: &'o Map<String, Value>,
    key: &str,
    loc: &str,
    is_path: fn(&str) -> bool,
) -> Result<Option<Given<'o>>, DefinitionError> {
    let pkey = format!("{key}Path");
    match (obj.get(key), obj.get(&pkey)) {
        (Some(_), Some(_)) => Err(DefinitionError::schema(
            loc,
            format!("'{key}' and '{pkey}' are mutually exclusive"),
        )),
        (Some(v), None) => Ok(Some(Given::Literal(v))),
        (None, Some(Value::String(p))) if is_path(p) => Ok(Some(Given::Path(p.clone()))),
        (None, Some(other)) => Err(DefinitionError::schema(
            &format!("{loc}/{pkey}"),
            format!("invalid path {other}"),
        )),
        (None, None) => Ok(None),
    }
}

/// A number (`check` accepts the literal) or a reference path.
fn num_or_path(
    obj: &Map<String, Value>,
    key: &str,
    loc: &str,
    check: fn(&Value) -> bool,
) -> Result<Option<NumOrPath>, DefinitionError> {
    Ok(
        match literal_or_path(obj, key, loc, |p| p.starts_with('$'))? {
            None => None,
            Some(Given::Path(p)) => Some(NumOrPath::Path(p)),
            Some(Given::Literal(v)) if check(v) => Some(NumOrPath::Value(v.clone())),
            Some(Given::Literal(v)) => {
                return Err(DefinitionError::schema(
                    &format!("{loc}/{key}"),
                    format!("invalid value {v}"),
                ));
            }
        },
    )
}

/// A string, or a path or intrinsic giving one (Fail `Error`/`Cause`).
fn str_or_path(
    obj: &Map<String, Value>,
    key: &str,
    loc: &str,
) -> Result<Option<StrOrPath>, DefinitionError> {
    let is_path: fn(&str) -> bool = |p| p.starts_with('$') || p.starts_with("States.");
    Ok(match literal_or_path(obj, key, loc, is_path)? {
        None => None,
        Some(Given::Path(p)) => Some(StrOrPath::Path(p)),
        Some(Given::Literal(Value::String(s))) => Some(StrOrPath::Literal(s.clone())),
        Some(Given::Literal(other)) => {
            return Err(DefinitionError::schema(
                &format!("{loc}/{key}"),
                format!("must be a string, got {other}"),
            ));
        }
    })
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
    let ty = Types::named(&type_name)
        .ok_or_else(|| DefinitionError::schema(loc, format!("unknown state Type '{type_name}'")))?;
    check_state_fields(obj, &type_name, ty, loc)?;
    for key in ["Parameters", "ResultSelector", "ItemSelector", "Assign"] {
        if obj.get(key).is_some_and(|p| !p.is_object()) {
            return Err(DefinitionError::schema(
                &format!("{loc}/{key}"),
                "must be a JSON object",
            ));
        }
    }
    let transition = parse_transition(obj, &type_name, loc)?;
    let kind = match type_name.as_str() {
        "Pass" => StateKind::Pass {
            result: obj.get("Result").cloned(),
        },
        "Task" => parse_task(obj, loc)?,
        "Choice" => parse_choice(obj, loc)?,
        "Wait" => parse_wait(obj, loc)?,
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
        "Parallel" => parse_parallel(obj, loc)?,
        "Map" => parse_map(obj, loc)?,
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
        // a Map's Parameters are its legacy ItemSelector
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

/// `Next`/`End`: Choice, Succeed and Fail have neither; the other types exactly one.
fn parse_transition(
    obj: &Map<String, Value>,
    type_name: &str,
    loc: &str,
) -> Result<Transition, DefinitionError> {
    let has_next = obj.get("Next");
    let end = obj.get("End");
    let terminal_kind = matches!(type_name, "Choice" | "Succeed" | "Fail");
    Ok(if terminal_kind {
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
    })
}

/// `Resource`, `TimeoutSeconds(Path)`, `HeartbeatSeconds(Path)`, `Credentials`.
fn parse_task(obj: &Map<String, Value>, loc: &str) -> Result<StateKind, DefinitionError> {
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
    Ok(StateKind::Task {
        resource,
        timeout,
        heartbeat,
        credentials: obj.get("Credentials").cloned(),
    })
}

/// `Choices` (each a rule with its `Next`) and `Default`.
fn parse_choice(obj: &Map<String, Value>, loc: &str) -> Result<StateKind, DefinitionError> {
    let arr = obj
        .get("Choices")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| DefinitionError::schema(loc, "Choice needs a non-empty 'Choices' array"))?;
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
    Ok(StateKind::Choice { choices, default })
}

/// Exactly one of `Seconds`, `Timestamp`, `SecondsPath`, `TimestampPath`.
fn parse_wait(obj: &Map<String, Value>, loc: &str) -> Result<StateKind, DefinitionError> {
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
            let p = s
                .as_str()
                .filter(|p| p.starts_with('$'))
                .ok_or_else(|| DefinitionError::schema(loc, format!("'{key}' must be a path")))?;
            specs.push(mk(p.to_string()));
        }
    }
    if specs.len() != 1 {
        return Err(DefinitionError::schema(
            loc,
            "a Wait state needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath",
        ));
    }
    Ok(StateKind::Wait(specs.remove(0)))
}

/// `Branches`, each a graph of its own.
fn parse_parallel(obj: &Map<String, Value>, loc: &str) -> Result<StateKind, DefinitionError> {
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
    Ok(StateKind::Parallel { branches })
}

/// The processor graph, `ItemsPath`, `ItemSelector` and the numeric limits; `ItemReader` and
/// `ItemBatcher` are kept as written and read at run time.
fn parse_map(obj: &Map<String, Value>, loc: &str) -> Result<StateKind, DefinitionError> {
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
    Ok(StateKind::Map(MapSpec {
        processor: Arc::new(parse_graph(po, &pl)?),
        items_path,
        item_selector: obj
            .get("ItemSelector")
            .or_else(|| obj.get("Parameters"))
            .cloned(),
        max_concurrency: num_or_path(obj, "MaxConcurrency", loc, |v| v.as_u64().is_some())?,
        tolerated_count: num_or_path(obj, "ToleratedFailureCount", loc, |v| v.as_u64().is_some())?,
        tolerated_percentage: num_or_path(obj, "ToleratedFailurePercentage", loc, |v| {
            v.as_f64().is_some_and(|f| (0.0..=100.0).contains(&f))
        })?,
        item_reader: obj.get("ItemReader").cloned(),
        item_batcher: obj.get("ItemBatcher").cloned(),
    }))
}
