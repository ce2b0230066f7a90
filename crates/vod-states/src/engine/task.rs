//! One Task attempt: parameters, the invoker call, `TimeoutSeconds`, `HeartbeatSeconds` and the
//! wait for a task-token callback, with their history events.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::lock;
use super::numbers::resolve_positive_int;
use super::run::{Frame, Run, str_details};
use super::tokens::{Callback, TokenEnd, TokenSlot, new_token};
use crate::definition::{State, StateKind};
use crate::error::{Failure, names};
use crate::invoker::{self, Pattern, TaskContext};
use crate::path::{self, Env};

impl Run {
    pub(super) async fn task_attempt(
        &self,
        st: &State,
        eff: &Value,
        frame: &mut Frame,
        entered_time: DateTime<Utc>,
        retry_count: u64,
    ) -> Result<Value, Failure> {
        let StateKind::Task {
            resource,
            timeout,
            heartbeat,
            credentials,
        } = &st.kind
        else {
            return Err(Failure::runtime("internal: not a task"));
        };
        let pattern = invoker::pattern(resource);
        let token = (pattern == Pattern::WaitForTaskToken).then(|| new_token(self.inner.entropy()));
        let ctx = self.context(
            &st.name,
            entered_time,
            Some(retry_count),
            token.as_deref(),
            frame.map_item.as_ref(),
        );
        let vars = frame.vars.clone();
        let env = Env {
            input: eff,
            context: &ctx,
            vars: &vars,
        };
        let params = match &st.parameters {
            Some(p) => path::eval_template(p, &env)?,
            None => eff.clone(),
        };
        let timeout = resolve_positive_int(timeout.as_ref(), "TimeoutSeconds", &env)?;
        let heartbeat = resolve_positive_int(heartbeat.as_ref(), "HeartbeatSeconds", &env)?;
        let (rtype, rname) = invoker::resource_parts(resource);
        let legacy = invoker::is_legacy_lambda(resource);
        let ev = |name: &str| -> String {
            if legacy {
                format!("LambdaFunction{name}")
            } else {
                format!("Task{name}")
            }
        };
        let base = |extra: Value| -> Value {
            let mut m = Map::new();
            if !legacy {
                m.insert("resourceType".into(), json!(rtype));
            }
            m.insert(
                "resource".into(),
                json!(if legacy { resource } else { &rname }),
            );
            if let Value::Object(e) = extra {
                m.extend(e);
            }
            Value::Object(m)
        };
        let mut sched = if legacy {
            json!({"input": str_details(&params), "inputDetails": {"truncated": false}})
        } else {
            json!({"region": self.inner.config.region, "parameters": str_details(&params)})
        };
        if let Value::Object(m) = &mut sched {
            if let Some(t) = timeout {
                m.insert("timeoutInSeconds".into(), json!(t));
            }
            if let Some(h) = heartbeat {
                m.insert("heartbeatInSeconds".into(), json!(h));
            }
        }
        self.event(frame, &ev("Scheduled"), Some(base(sched)));
        self.event(
            frame,
            &ev("Started"),
            if legacy { None } else { Some(base(json!({}))) },
        );
        let started = self.inner.clock.now();
        let mut rx = None;
        if let Some(t) = &token {
            let (tx, r) = mpsc::unbounded_channel();
            lock(&self.inner.tokens).insert(
                t.clone(),
                TokenSlot {
                    tx,
                    execution_arn: self.rec.arn.clone(),
                },
            );
            rx = Some(r);
        }
        let tctx = TaskContext {
            state_name: st.name.clone(),
            resource: resource.clone(),
            task_token: token.clone(),
            execution_arn: self.rec.arn.clone(),
            execution_name: self.rec.name.clone(),
            state_machine_arn: self.rec.state_machine_arn.clone(),
            retry_count,
            credentials: match credentials {
                Some(c) => Some(path::eval_template(c, &env)?),
                None => None,
            },
            context: ctx,
        };
        // nothing below needs the context or variables: free them before the task is awaited
        drop(vars);
        let clock = self.inner.clock.clone();
        let invoke = self.inner.invoker.invoke(resource, params, tctx);
        let timer = async {
            match timeout {
                Some(t) => clock.sleep(Duration::from_secs(t)).await,
                None => futures::future::pending::<()>().await,
            }
        };
        let first = tokio::select! {
            biased;
            r = invoke => Some(r),
            () = timer => None,
        };
        let end_token = |how: TokenEnd| {
            if let Some(t) = &token {
                lock(&self.inner.tokens).remove(t);
                lock(&self.inner.ended_tokens).insert(t.clone(), how);
            }
        };
        let timed_out = |this: &Self, frame: &mut Frame, heartbeat_hit: bool| -> Failure {
            this.event(
                frame,
                &ev("TimedOut"),
                Some(base(json!({"error": names::TIMEOUT, "cause": ""}))),
            );
            Failure {
                error: names::TIMEOUT.into(),
                cause: Some(String::new()),
                heartbeat: heartbeat_hit,
            }
        };
        let value = match first {
            None => {
                end_token(TokenEnd::TimedOut);
                return Err(timed_out(self, frame, false));
            }
            Some(Err(e)) => {
                end_token(TokenEnd::Completed);
                let mut d = json!({"error": e.error});
                if let (Some(c), Value::Object(m)) = (&e.cause, &mut d) {
                    m.insert("cause".into(), json!(c));
                }
                self.event(frame, &ev("Failed"), Some(base(d)));
                return Err(Failure {
                    error: e.error,
                    cause: e.cause,
                    heartbeat: false,
                });
            }
            Some(Ok(v)) => v,
        };
        let Some(mut rx) = rx else {
            let out = json!({"output": str_details(&value), "outputDetails": {"truncated": false}});
            self.event(frame, &ev("Succeeded"), Some(base(out)));
            return Ok(value);
        };
        self.event(
            frame,
            "TaskSubmitted",
            Some(base(
                json!({"output": str_details(&value), "outputDetails": {"truncated": false}}),
            )),
        );
        let deadline = timeout.map(|t| {
            started + chrono::Duration::seconds(i64::try_from(t).unwrap_or(i64::MAX / 1000))
        });
        loop {
            let now = clock.now();
            let remaining = deadline.map(|d| (d - now).to_std().unwrap_or_default());
            let hb = heartbeat.map(Duration::from_secs);
            let timer = async {
                match (remaining, hb) {
                    (Some(r), Some(h)) if h < r => {
                        clock.sleep(h).await;
                        true
                    }
                    (Some(r), _) => {
                        clock.sleep(r).await;
                        false
                    }
                    (None, Some(h)) => {
                        clock.sleep(h).await;
                        true
                    }
                    (None, None) => futures::future::pending::<bool>().await,
                }
            };
            let msg = tokio::select! {
                biased;
                m = rx.recv() => Ok(m),
                hb_hit = timer => Err(hb_hit),
            };
            match msg {
                Ok(Some(Callback::Heartbeat)) => continue,
                Ok(Some(Callback::Success(out))) => {
                    end_token(TokenEnd::Completed);
                    let d =
                        json!({"output": str_details(&out), "outputDetails": {"truncated": false}});
                    self.event(frame, "TaskSucceeded", Some(base(d)));
                    return Ok(out);
                }
                Ok(Some(Callback::Failure(error, cause))) => {
                    end_token(TokenEnd::Completed);
                    let mut d = json!({"error": error});
                    if let (Some(c), Value::Object(m)) = (&cause, &mut d) {
                        m.insert("cause".into(), json!(c));
                    }
                    self.event(frame, "TaskFailed", Some(base(d)));
                    return Err(Failure {
                        error,
                        cause,
                        heartbeat: false,
                    });
                }
                Ok(None) => {
                    end_token(TokenEnd::Completed);
                    return Err(Failure::new(
                        names::TASK_FAILED,
                        "The task token channel closed",
                    ));
                }
                Err(hb_hit) => {
                    end_token(TokenEnd::TimedOut);
                    return Err(timed_out(self, frame, hb_hit));
                }
            }
        }
    }
}
