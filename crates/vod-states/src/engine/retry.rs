//! `Retry` and `Catch` around the attempts of Task, Parallel and Map states.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::run::{Frame, Run, Step, error_output};
use crate::definition::{Retrier, State, StateKind};
use crate::entropy::Entropy;
use crate::error::{Failure, names};
use crate::path::{self, Env};

fn error_matches(list: &[String], f: &Failure) -> bool {
    if list.is_empty() {
        // AWS treats an empty ErrorEquals as matching every (non-runtime) error.
        return !f.is_runtime();
    }
    list.iter().any(|e| {
        e == &f.error
            || (e == names::ALL && !f.is_runtime())
            || (e == names::TASK_FAILED && f.error != names::TIMEOUT && !f.is_runtime())
            || (e == names::HEARTBEAT_TIMEOUT && f.heartbeat)
    })
}

fn retry_delay(r: &Retrier, attempt: u64, entropy: &dyn Entropy) -> Duration {
    let exp = i32::try_from(attempt).unwrap_or(i32::MAX);
    let mut secs = r.interval_seconds * r.backoff_rate.powi(exp);
    if let Some(max) = r.max_delay_seconds {
        secs = secs.min(max);
    }
    if r.jitter_full {
        let rnd = entropy.next_u64() % 1_000_000;
        #[allow(clippy::cast_precision_loss)]
        let frac = rnd as f64 / 1_000_000.0;
        secs *= frac;
    }
    Duration::from_secs_f64(secs.clamp(0.0, 1.0e9))
}

impl Run {
    pub(super) async fn run_recoverable(
        &self,
        st: &State,
        raw: Value,
        eff: Value,
        frame: &mut Frame,
        entered_time: DateTime<Utc>,
    ) -> Result<Step, Failure> {
        let mut counts = vec![0u64; st.retry.len()];
        let mut retry_count = 0u64;
        loop {
            let attempt = match &st.kind {
                StateKind::Task { .. } => {
                    // boxed so an execution's future only holds the active state's variant
                    Box::pin(self.task_attempt(st, &eff, frame, entered_time, retry_count)).await
                }
                StateKind::Parallel { branches } => {
                    Box::pin(self.parallel_attempt(st, branches, &eff, frame, entered_time)).await
                }
                StateKind::Map(spec) => {
                    Box::pin(self.map_attempt(st, spec, &eff, frame, entered_time)).await
                }
                _ => Err(Failure::runtime("internal: not a recoverable state")),
            };
            let f = match attempt {
                Ok(result) => {
                    let ctx = if st.uses_context {
                        self.context(&st.name, entered_time, None, None, frame.map_item.as_ref())
                    } else {
                        Value::Null
                    };
                    match self.complete(st, &raw, result, &ctx, frame, None) {
                        // a ResultPath that cannot be applied is an ordinary, catchable error
                        Err(f) if f.error == names::RESULT_PATH_MATCH_FAILURE => f,
                        other => return other,
                    }
                }
                Err(f) => f,
            };
            if f.is_runtime() {
                return Err(f);
            }
            if let Some(i) = st
                .retry
                .iter()
                .position(|r| error_matches(&r.error_equals, &f))
            {
                let r = &st.retry[i];
                if counts[i] < r.max_attempts {
                    let delay = retry_delay(r, counts[i], self.inner.entropy());
                    counts[i] += 1;
                    retry_count += 1;
                    if !delay.is_zero() {
                        self.inner.clock.sleep(delay).await;
                    }
                    continue;
                }
            }
            if let Some(c) = st.catch.iter().find(|c| error_matches(&c.error_equals, &f)) {
                let ctx = self.context(&st.name, entered_time, None, None, frame.map_item.as_ref());
                let err_out = error_output(&f);
                let vars = frame.vars.clone();
                let assigned = match &c.assign {
                    Some(a) => match path::eval_template(
                        a,
                        &Env {
                            input: &err_out,
                            context: &ctx,
                            vars: &vars,
                        },
                    )? {
                        Value::Object(m) => m,
                        _ => Map::new(),
                    },
                    None => Map::new(),
                };
                let out = path::set_result_path(&raw, c.result_path.as_deref(), err_out)
                    .map_err(|m| Failure::new(names::RESULT_PATH_MATCH_FAILURE, m))?;
                self.apply_assign(frame, &assigned);
                self.exit(st, frame, &out, Some(&assigned));
                return Ok(Step::Next(c.next.clone(), out));
            }
            return Err(f);
        }
    }
}
