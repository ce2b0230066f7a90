//! One execution's run loop: history events, the context object, the state graph walk, the
//! states that need no retry (Pass, Succeed, Fail, Choice, Wait) and the input/output paths.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

use super::tokens::TokenEnd;
use super::{ExecRecord, ExecutionStatus, Inner, lock};
use crate::choice;
use crate::definition::{Graph, State, StateKind, StateMachine, StrOrPath, Transition, WaitSpec};
use crate::error::{Failure, names};
use crate::history::{HistoryEvent, details_key};
use crate::path::{self, Env, PathError, Vars};

/// A timestamp as the context object and history show it (RFC 3339, milliseconds, `Z`).
fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Per graph-run mutable data: variables and the previous event id of this thread.
pub(super) struct Frame {
    pub(super) vars: Arc<Vars>,
    pub(super) prev: u64,
    pub(super) map_item: Option<Value>,
}

/// How an execution ended.
enum End {
    Done(Result<Value, Failure>),
    Aborted(Option<String>, Option<String>),
    TimedOut,
}

/// Where the walk goes after a state.
pub(super) enum Step {
    Next(String, Value),
    End(Value),
}

/// One execution being run.
pub(super) struct Run {
    pub(super) inner: Arc<Inner>,
    pub(super) rec: Arc<ExecRecord>,
    pub(super) machine: Arc<StateMachine>,
}

/// A payload as history details hold it: JSON text.
pub(super) fn str_details(v: &Value) -> String {
    v.to_string()
}

/// A `States.Runtime` cause names the state and its entered event, as AWS words it (once).
fn runtime_prefix(state: &str, entered: u64, f: Failure) -> Failure {
    if !f.is_runtime() {
        return f;
    }
    let cause = f.cause.clone().unwrap_or_default();
    if cause.starts_with("An error occurred while executing the state") {
        return f;
    }
    Failure::runtime(format!(
        "An error occurred while executing the state '{state}' (entered at the event id #{entered}). {cause}"
    ))
}

fn missing_property_message(p: &str, value: &Value) -> String {
    // Jayway's wording: a missing intermediate property vs. a missing leaf.
    let mut cur = value;
    let mut shown = String::from("$");
    let body = p.trim_start_matches('$');
    let parts: Vec<&str> = body.split('.').filter(|s| !s.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let key = part.split('[').next().unwrap_or(part);
        shown.push_str(&format!("['{key}']"));
        match cur.get(key) {
            Some(next) => cur = next,
            None if i + 1 == parts.len() => {
                return format!("Invalid path '{p}' : No results for path: {shown}");
            }
            None => return format!("Invalid path '{p}' : Missing property in path {shown}"),
        }
    }
    format!("Invalid path '{p}' : No results for path: {shown}")
}

impl Run {
    pub(super) fn event(&self, frame: &mut Frame, ty: &str, details: Option<Value>) -> u64 {
        let mut hist = lock(&self.rec.history);
        let id = hist.len() as u64 + 1;
        let mut map = Map::new();
        if let (Some(d), Some(key)) = (details, details_key(ty)) {
            map.insert(key, d);
        }
        hist.push(HistoryEvent {
            timestamp: self.inner.clock.now(),
            event_type: ty.to_string(),
            id,
            previous_event_id: frame.prev,
            details: map,
        });
        frame.prev = id;
        id
    }

    pub(super) fn context(
        &self,
        state: &str,
        entered: DateTime<Utc>,
        retry: Option<u64>,
        token: Option<&str>,
        item: Option<&Value>,
    ) -> Value {
        let mut ctx = json!({
            "Execution": {
                "Id": self.rec.arn,
                "Input": self.rec.input,
                "Name": self.rec.name,
                "RoleArn": self.inner.config.role_arn,
                "StartTime": iso(self.rec.start),
                "RedriveCount": 0,
            },
            "State": {"EnteredTime": iso(entered), "Name": state},
            "StateMachine": {"Id": self.rec.state_machine_arn, "Name": self.machine.name},
        });
        if let Value::Object(m) = &mut ctx {
            if let Some(retry) = retry
                && let Some(Value::Object(state)) = m.get_mut("State")
            {
                state.insert("RetryCount".into(), json!(retry));
            }
            if let Some(t) = token {
                m.insert("Task".into(), json!({"Token": t}));
            }
            if let Some(item) = item {
                m.insert("Map".into(), json!({"Item": item}));
            }
        }
        ctx
    }

    pub(super) async fn execute(self, input: Value) {
        let mut frame = Frame {
            vars: Arc::new(Vars::new()),
            prev: 0,
            map_item: None,
        };
        self.event(
            &mut frame,
            "ExecutionStarted",
            Some(json!({
                "input": str_details(&input),
                "inputDetails": {"truncated": false},
                "roleArn": self.inner.config.role_arn,
            })),
        );
        let graph = self.machine.graph.clone();
        let mut stop_rx = self.rec.stop.subscribe();
        let timeout = self.machine.timeout_seconds;
        let clock = self.inner.clock.clone();
        let outcome = {
            let run = self.run_graph(&graph, input, &mut frame);
            let stop = async {
                loop {
                    if let Some(v) = stop_rx.borrow_and_update().clone() {
                        return v;
                    }
                    if stop_rx.changed().await.is_err() {
                        futures::future::pending::<()>().await;
                    }
                }
            };
            let time_out = async {
                match timeout {
                    Some(t) => clock.sleep(Duration::from_secs(t)).await,
                    None => futures::future::pending::<()>().await,
                }
            };
            tokio::select! {
                biased;
                stopped = stop => End::Aborted(stopped.0, stopped.1),
                r = run => End::Done(r),
                () = time_out => End::TimedOut,
            }
        };
        self.finish(&mut frame, outcome);
    }

    fn finish(&self, frame: &mut Frame, outcome: End) {
        let now = self.inner.clock.now();
        let (status, output, error, cause) = match outcome {
            End::Done(Ok(out)) => {
                self.event(
                    frame,
                    "ExecutionSucceeded",
                    Some(
                        json!({"output": str_details(&out), "outputDetails": {"truncated": false}}),
                    ),
                );
                (ExecutionStatus::Succeeded, Some(out), None, None)
            }
            End::Done(Err(f)) => {
                let error = Some(f.error.clone()).filter(|e| !e.is_empty());
                let mut d = Map::new();
                if let Some(e) = &error {
                    d.insert("error".into(), json!(e));
                }
                if let Some(c) = &f.cause {
                    d.insert("cause".into(), json!(c));
                }
                self.event(frame, "ExecutionFailed", Some(Value::Object(d)));
                (ExecutionStatus::Failed, None, error, f.cause)
            }
            End::Aborted(error, cause) => {
                let mut d = Map::new();
                if let Some(e) = &error {
                    d.insert("error".into(), json!(e));
                }
                if let Some(c) = &cause {
                    d.insert("cause".into(), json!(c));
                }
                self.event(frame, "ExecutionAborted", Some(Value::Object(d)));
                (ExecutionStatus::Aborted, None, error, cause)
            }
            End::TimedOut => {
                self.event(
                    frame,
                    "ExecutionTimedOut",
                    Some(json!({"error": names::TIMEOUT, "cause": "The execution timed out"})),
                );
                (
                    ExecutionStatus::TimedOut,
                    None,
                    Some(names::TIMEOUT.to_string()),
                    Some("The execution timed out".to_string()),
                )
            }
        };
        {
            let mut st = lock(&self.rec.state);
            st.status = status;
            st.output = output;
            st.error = error;
            st.cause = cause;
            st.stop_date = Some(now);
        }
        // release outstanding callback tokens of this execution
        {
            let mut tokens = lock(&self.inner.tokens);
            let dead: Vec<String> = tokens
                .iter()
                .filter(|(_, s)| s.execution_arn == self.rec.arn)
                .map(|(t, _)| t.clone())
                .collect();
            let mut ended = lock(&self.inner.ended_tokens);
            for t in dead {
                tokens.remove(&t);
                ended.insert(t, TokenEnd::Completed);
            }
        }
        self.rec.done.send_replace(true);
    }

    pub(super) fn run_graph<'a>(
        &'a self,
        graph: &'a Graph,
        input: Value,
        frame: &'a mut Frame,
    ) -> BoxFuture<'a, Result<Value, Failure>> {
        async move {
            let mut name = graph.start_at.clone();
            let mut input = input;
            loop {
                let Some(state) = graph.states.get(&name) else {
                    return Err(Failure::runtime(format!("state '{name}' does not exist")));
                };
                match self.run_state(state, input, frame).await? {
                    Step::Next(n, out) => {
                        name = n;
                        input = out;
                    }
                    Step::End(out) => return Ok(out),
                }
            }
        }
        .boxed()
    }
}

/// A value as AWS quotes it in causes: a string without its quotes.
pub(super) fn display_plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `{"Error", "Cause"}` object a catcher or a tolerated Map iteration sees.
pub(super) fn error_output(f: &Failure) -> Value {
    let mut m = Map::new();
    let error = if f.error.is_empty() {
        Value::Null
    } else {
        json!(f.error)
    };
    m.insert("Error".into(), error);
    m.insert(
        "Cause".into(),
        f.cause.clone().map_or(Value::Null, Value::String),
    );
    Value::Object(m)
}

impl Run {
    fn input_or_output_path(
        &self,
        p: Option<&String>,
        value: &Value,
        ctx: &Value,
        vars: &Vars,
    ) -> Result<Value, Failure> {
        match p {
            None => Ok(json!({})),
            Some(p) if p == "$" => Ok(value.clone()),
            Some(p) => {
                let env = Env {
                    input: value,
                    context: ctx,
                    vars,
                };
                path::eval_path(p, &env).map_err(|e| match e {
                    PathError::NotFound => Failure::runtime(missing_property_message(p, value)),
                    other => path::path_failure(p, "InputPath/OutputPath", &env, &other),
                })
            }
        }
    }

    async fn run_state(&self, st: &State, raw: Value, frame: &mut Frame) -> Result<Step, Failure> {
        let entered_time = self.inner.clock.now();
        let entered = self.event(
            frame,
            &format!("{}StateEntered", st.type_name),
            Some(json!({"name": st.name, "input": str_details(&raw), "inputDetails": {"truncated": false}})),
        );
        self.run_state_inner(st, raw, frame, entered, entered_time)
            .await
            .map_err(|f| runtime_prefix(&st.name, entered, f))
    }

    async fn run_state_inner(
        &self,
        st: &State,
        raw: Value,
        frame: &mut Frame,
        entered: u64,
        entered_time: DateTime<Utc>,
    ) -> Result<Step, Failure> {
        let _ = entered;
        let ctx = if st.uses_context {
            self.context(&st.name, entered_time, None, None, frame.map_item.as_ref())
        } else {
            Value::Null
        };
        let vars = frame.vars.clone();
        let eff = if matches!(st.kind, StateKind::Fail { .. }) {
            raw.clone()
        } else {
            self.input_or_output_path(st.input_path.as_ref(), &raw, &ctx, &vars)?
        };
        let env = Env {
            input: &eff,
            context: &ctx,
            vars: &vars,
        };
        match &st.kind {
            StateKind::Pass { result } => {
                let params = match &st.parameters {
                    Some(p) => path::eval_template(p, &env)?,
                    None => eff.clone(),
                };
                let result = result.clone().unwrap_or(params);
                self.complete(st, &raw, result, &ctx, frame, None)
            }
            StateKind::Succeed => {
                let out = self.input_or_output_path(st.output_path.as_ref(), &eff, &ctx, &vars)?;
                self.exit(st, frame, &out, None);
                Ok(Step::End(out))
            }
            StateKind::Fail { error, cause } => {
                let resolve =
                    |sp: &Option<StrOrPath>, field: &str| -> Result<Option<String>, Failure> {
                        match sp {
                            None => Ok(None),
                            Some(StrOrPath::Literal(s)) => Ok(Some(s.clone())),
                            Some(StrOrPath::Path(p)) => {
                                let v = path::eval_expression(p, field, &env)?;
                                Ok(Some(display_plain(&v)))
                            }
                        }
                    };
                let error = resolve(error, "ErrorPath")?;
                let cause = resolve(cause, "CausePath")?;
                Err(Failure {
                    error: error.unwrap_or_default(),
                    cause,
                    heartbeat: false,
                })
            }
            StateKind::Choice { choices, default } => {
                let mut chosen: Option<(&String, Option<&Value>)> = None;
                for rule in choices {
                    if choice::evaluate(&rule.rule, &env)? {
                        chosen = Some((&rule.next, rule.assign.as_ref()));
                        break;
                    }
                }
                let (next, rule_assign) = match chosen {
                    Some(c) => c,
                    None => match default {
                        Some(d) => (d, None),
                        None => {
                            return Err(Failure::new(names::NO_CHOICE_MATCHED, "No Matches!"));
                        }
                    },
                };
                let mut assigned = Map::new();
                for a in [st.assign.as_ref(), rule_assign].into_iter().flatten() {
                    if let Value::Object(m) = path::eval_template(a, &env)? {
                        assigned.extend(m);
                    }
                }
                let out = self.input_or_output_path(st.output_path.as_ref(), &eff, &ctx, &vars)?;
                self.apply_assign(frame, &assigned);
                self.exit(st, frame, &out, Some(&assigned));
                Ok(Step::Next(next.clone(), out))
            }
            StateKind::Wait(spec) => {
                let now = self.inner.clock.now();
                let dur = match spec {
                    WaitSpec::Seconds(v) => Duration::from_secs(v.as_u64().unwrap_or(0)),
                    WaitSpec::Timestamp(t) => until(t, now).unwrap_or_default(),
                    WaitSpec::SecondsPath(p) => {
                        let v = path::eval_path(p, &env)
                            .map_err(|e| path::path_failure(p, "SecondsPath", &env, &e))?;
                        match &v {
                            Value::Number(n) if n.as_u64().is_some() => {
                                Duration::from_secs(n.as_u64().unwrap_or(0))
                            }
                            Value::Number(n) if n.as_i64().is_some() => {
                                return Err(Failure::runtime(format!(
                                    "The SecondsPath parameter references a negative value: {p} == {v}"
                                )));
                            }
                            _ => {
                                return Err(Failure::runtime(format!(
                                    "The SecondsPath parameter cannot be parsed as a long value: {p} == {v}"
                                )));
                            }
                        }
                    }
                    WaitSpec::TimestampPath(p) => {
                        let v = path::eval_path(p, &env)
                            .map_err(|e| path::path_failure(p, "TimestampPath", &env, &e))?;
                        let ts = v.as_str().and_then(|s| until(s, now));
                        match ts {
                            Some(d) => d,
                            None => {
                                return Err(Failure::runtime(format!(
                                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {p} == {}",
                                    display_plain(&v)
                                )));
                            }
                        }
                    }
                };
                if !dur.is_zero() {
                    self.inner.clock.sleep(dur).await;
                }
                let assigned = match &st.assign {
                    Some(a) => match path::eval_template(a, &env)? {
                        Value::Object(m) => m,
                        _ => Map::new(),
                    },
                    None => Map::new(),
                };
                let out = self.input_or_output_path(st.output_path.as_ref(), &eff, &ctx, &vars)?;
                self.apply_assign(frame, &assigned);
                self.exit(st, frame, &out, Some(&assigned));
                Ok(self.transition(st, out))
            }
            StateKind::Task { .. } | StateKind::Parallel { .. } | StateKind::Map(_) => {
                Box::pin(self.run_recoverable(st, raw.clone(), eff, frame, entered_time)).await
            }
        }
    }

    fn transition(&self, st: &State, out: Value) -> Step {
        match &st.transition {
            Transition::Next(n) => Step::Next(n.clone(), out),
            _ => Step::End(out),
        }
    }

    pub(super) fn apply_assign(&self, frame: &mut Frame, assigned: &Map<String, Value>) {
        if assigned.is_empty() {
            return;
        }
        let vars = Arc::make_mut(&mut frame.vars);
        for (k, v) in assigned {
            vars.insert(k.clone(), v.clone());
        }
    }

    pub(super) fn exit(
        &self,
        st: &State,
        frame: &mut Frame,
        out: &Value,
        assigned: Option<&Map<String, Value>>,
    ) {
        let mut d = json!({"name": st.name, "output": str_details(out), "outputDetails": {"truncated": false}});
        if let (Some(a), Value::Object(m)) = (assigned.filter(|a| !a.is_empty()), &mut d) {
            let vars: Map<String, Value> = a
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
                .collect();
            m.insert("assignedVariables".into(), Value::Object(vars));
            m.insert(
                "assignedVariablesDetails".into(),
                json!({"truncated": false}),
            );
        }
        self.event(frame, &format!("{}StateExited", st.type_name), Some(d));
    }

    /// ResultSelector, ResultPath, Assign, OutputPath, exit event.
    pub(super) fn complete(
        &self,
        st: &State,
        raw: &Value,
        result: Value,
        ctx: &Value,
        frame: &mut Frame,
        assign_override: Option<(&Value, &Value)>,
    ) -> Result<Step, Failure> {
        let vars = frame.vars.clone();
        let selected = match &st.result_selector {
            Some(sel) => path::eval_template(
                sel,
                &Env {
                    input: &result,
                    context: ctx,
                    vars: &vars,
                },
            )?,
            None => result,
        };
        let assigned = match assign_override.or(st.assign.as_ref().map(|a| (a, &selected))) {
            Some((a, input)) => match path::eval_template(
                a,
                &Env {
                    input,
                    context: ctx,
                    vars: &vars,
                },
            )? {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            None => Map::new(),
        };
        let with_result = path::set_result_path(raw, st.result_path.as_deref(), selected)
            .map_err(|m| Failure::new(names::RESULT_PATH_MATCH_FAILURE, m))?;
        let out = self.input_or_output_path(st.output_path.as_ref(), &with_result, ctx, &vars)?;
        self.apply_assign(frame, &assigned);
        self.exit(st, frame, &out, Some(&assigned));
        Ok(self.transition(st, out))
    }
}

fn until(ts: &str, now: DateTime<Utc>) -> Option<Duration> {
    let t = choice::parse_timestamp(ts)?;
    Some((t.with_timezone(&Utc) - now).to_std().unwrap_or_default())
}
