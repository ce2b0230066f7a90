//! One Parallel attempt: every branch runs on the state's input; the first failure fails all.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::run::{Frame, Run};
use crate::definition::{Graph, State};
use crate::error::Failure;
use crate::path::{self, Env};

impl Run {
    pub(super) async fn parallel_attempt(
        &self,
        st: &State,
        branches: &[Arc<Graph>],
        eff: &Value,
        frame: &mut Frame,
        entered_time: DateTime<Utc>,
    ) -> Result<Value, Failure> {
        let ctx = self.context(&st.name, entered_time, None, None, frame.map_item.as_ref());
        let vars = frame.vars.clone();
        let input = match &st.parameters {
            Some(p) => path::eval_template(
                p,
                &Env {
                    input: eff,
                    context: &ctx,
                    vars: &vars,
                },
            )?,
            None => eff.clone(),
        };
        let started = self.event(frame, "ParallelStateStarted", None);
        let futs = branches.iter().map(|b| {
            let input = input.clone();
            let vars = vars.clone();
            async move {
                let mut f = Frame {
                    vars,
                    prev: started,
                    map_item: None,
                };
                let r = self.run_graph(b, input, &mut f).await;
                r.map(|v| (v, f.prev))
            }
        });
        match futures::future::try_join_all(futs).await {
            Ok(results) => {
                frame.prev = results.iter().map(|(_, p)| *p).max().unwrap_or(frame.prev);
                self.event(frame, "ParallelStateSucceeded", None);
                Ok(Value::Array(results.into_iter().map(|(v, _)| v).collect()))
            }
            Err(f) => {
                if !f.is_runtime() {
                    let mut d = Map::new();
                    d.insert("error".into(), json!(f.error));
                    if let Some(c) = &f.cause {
                        d.insert("cause".into(), json!(c));
                    }
                    self.event(frame, "ParallelStateFailed", Some(Value::Object(d)));
                }
                Err(f)
            }
        }
    }
}
