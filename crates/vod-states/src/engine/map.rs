//! One Map attempt: items from `ItemsPath` or a distributed `ItemReader`, `ItemSelector`,
//! `ItemBatcher`, `MaxConcurrency` and the tolerated-failure thresholds.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::lock;
use super::numbers::{Refused, int_like, resolve_config, resolve_count, resolve_percentage};
use super::run::{Frame, Run, error_output};
use crate::definition::{MapSpec, State};
use crate::error::{Failure, names};
use crate::item_reader::{self, ReadRequest};
use crate::path::{self, Env};

impl Run {
    /// Reads a distributed Map's items through the engine's [`ItemSource`](crate::item_reader::ItemSource).
    async fn read_items(&self, reader: &Value, env: &Env<'_>) -> Result<Vec<Value>, Failure> {
        let cfg = reader.get("ReaderConfig").cloned().unwrap_or(Value::Null);
        let max_items = resolve_config(&cfg, "MaxItems", env, |v| match int_like(v) {
            Some(n) if n < 0 => Err(Refused::Because(Failure::new(
                names::ITEM_READER_FAILED,
                "field MaxItems must be positive",
            ))),
            Some(n) => Ok(n.unsigned_abs()),
            None => Err(Refused::NotA("integer")),
        })?;
        let parameters = match reader.get("Parameters") {
            Some(t) => path::eval_template(t, env)?,
            None => json!({}),
        };
        let request = ReadRequest {
            resource: reader
                .get("Resource")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            parameters,
            config: cfg,
            max_items,
        };
        let Some(source) = self.inner.item_source.get() else {
            return Err(Failure::new(
                names::ITEM_READER_FAILED,
                "no S3 item source is configured for this executor",
            ));
        };
        item_reader::read_items(source.as_ref(), &request).await
    }

    pub(super) async fn map_attempt(
        &self,
        st: &State,
        spec: &MapSpec,
        eff: &Value,
        frame: &mut Frame,
        entered_time: DateTime<Utc>,
    ) -> Result<Value, Failure> {
        let ctx = self.context(&st.name, entered_time, None, None, frame.map_item.as_ref());
        let vars = frame.vars.clone();
        let env = Env {
            input: eff,
            context: &ctx,
            vars: &vars,
        };
        let items = match &spec.item_reader {
            // boxed: keeps the common (ItemsPath) Map future small
            Some(reader) => Box::pin(self.read_items(reader, &env)).await?,
            None => {
                let items = path::eval_path(&spec.items_path, &env)
                    .map_err(|e| path::path_failure(&spec.items_path, "ItemsPath", &env, &e))?;
                let Value::Array(items) = items else {
                    return Err(Failure::runtime(format!(
                        "Invalid path '{}': The ItemsPath field must reference a JSON array, but got {}",
                        spec.items_path, items
                    )));
                };
                items
            }
        };
        let max_conc =
            resolve_count(spec.max_concurrency.as_ref(), "MaxConcurrency", &env)?.unwrap_or(0);
        let tol_count =
            resolve_count(spec.tolerated_count.as_ref(), "ToleratedFailureCount", &env)?;
        let tol_pct = resolve_percentage(
            spec.tolerated_percentage.as_ref(),
            "ToleratedFailurePercentage",
            &env,
        )?;
        // iteration inputs
        let mut inputs: Vec<(usize, Value, Value)> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_ctx_value = json!({"Index": i, "Value": item});
            let input = match &spec.item_selector {
                Some(sel) => {
                    let ictx =
                        self.context(&st.name, entered_time, None, None, Some(&item_ctx_value));
                    path::eval_template(
                        sel,
                        &Env {
                            input: eff,
                            context: &ictx,
                            vars: &vars,
                        },
                    )?
                }
                None => item.clone(),
            };
            inputs.push((i, input, item_ctx_value));
        }
        if let Some(batcher) = &spec.item_batcher {
            inputs = batch_inputs(batcher, inputs, &env)?;
        }
        let total = inputs.len();
        let started = self.event(frame, "MapStateStarted", Some(json!({"length": total})));
        let limit = if max_conc == 0 {
            total.max(1)
        } else {
            usize::try_from(max_conc).unwrap_or(usize::MAX)
        };
        let processor = spec.processor.clone();
        let hist_frame = Arc::new(Mutex::new(started));
        let stream = futures::stream::iter(inputs.into_iter().map(|(i, input, item)| {
            let vars = vars.clone();
            let processor = processor.clone();
            let hist_frame = hist_frame.clone();
            async move {
                let mut f = Frame {
                    vars,
                    prev: *lock(&hist_frame),
                    map_item: Some(item),
                };
                self.event(
                    &mut f,
                    "MapIterationStarted",
                    Some(json!({"name": st.name, "index": i})),
                );
                let r = self.run_graph(&processor, input, &mut f).await;
                match &r {
                    Ok(_) => {
                        self.event(
                            &mut f,
                            "MapIterationSucceeded",
                            Some(json!({"name": st.name, "index": i})),
                        );
                    }
                    Err(e) if !e.is_runtime() => {
                        self.event(
                            &mut f,
                            "MapIterationFailed",
                            Some(json!({"name": st.name, "index": i})),
                        );
                    }
                    Err(_) => {}
                }
                let mut last = lock(&hist_frame);
                *last = (*last).max(f.prev);
                r
            }
        }))
        .buffered(limit);
        futures::pin_mut!(stream);
        let mut results = Vec::with_capacity(total);
        let mut failures = 0usize;
        let has_tolerance = tol_count.is_some() || tol_pct.is_some();
        while let Some(r) = stream.next().await {
            match r {
                Ok(v) => results.push(v),
                Err(f) if f.is_runtime() => return Err(f),
                Err(f) => {
                    failures += 1;
                    let exceeded = if has_tolerance {
                        let by_count = tol_count.is_some_and(|c| failures as u64 > c);
                        #[allow(clippy::cast_precision_loss)]
                        let by_pct = tol_pct
                            .is_some_and(|p| (failures as f64) * 100.0 / (total.max(1) as f64) > p);
                        let both_zero =
                            tol_count.unwrap_or(0) == 0 && tol_pct.unwrap_or(0.0) == 0.0;
                        if tol_count.is_some() && tol_pct.is_some() {
                            by_count || by_pct || both_zero
                        } else {
                            by_count || by_pct
                        }
                    } else {
                        true
                    };
                    if exceeded {
                        frame.prev = *lock(&hist_frame);
                        let failure = if has_tolerance {
                            Failure::new(
                                names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                "The specified tolerated failure threshold for the Map Run has been exceeded",
                            )
                        } else {
                            f
                        };
                        self.event(frame, "MapStateFailed", None);
                        return Err(failure);
                    }
                    results.push(error_output(&f));
                }
            }
        }
        frame.prev = *lock(&hist_frame);
        self.event(frame, "MapStateSucceeded", None);
        Ok(Value::Array(results))
    }
}

/// Groups Map iteration inputs into `ItemBatcher` batches: `{"BatchInput": ..., "Items": [...]}`
/// holding at most `MaxItemsPerBatch` items and `MaxInputBytesPerBatch` bytes of items.
fn batch_inputs(
    batcher: &Value,
    inputs: Vec<(usize, Value, Value)>,
    env: &Env<'_>,
) -> Result<Vec<(usize, Value, Value)>, Failure> {
    let limit = |field: &str| {
        resolve_config(batcher, field, env, |v| match int_like(v) {
            Some(n) if n > 0 => Ok(n.unsigned_abs()),
            _ => Err(Refused::NotA("integer")),
        })
    };
    let max_items =
        limit("MaxItemsPerBatch")?.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let max_bytes = limit("MaxInputBytesPerBatch")?
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let batch_input = match batcher.get("BatchInput") {
        Some(t) => Some(path::eval_template(t, env)?),
        None => None,
    };
    let mut batches: Vec<Vec<Value>> = Vec::new();
    let mut bytes = 0usize;
    for (_, input, _) in inputs {
        let size = input.to_string().len();
        match batches.last_mut() {
            Some(b) if b.len() < max_items && bytes + size <= max_bytes => {
                bytes += size;
                b.push(input);
            }
            _ => {
                bytes = size;
                batches.push(vec![input]);
            }
        }
    }
    Ok(batches
        .into_iter()
        .enumerate()
        .map(|(i, items)| {
            let mut m = Map::new();
            if let Some(b) = &batch_input {
                m.insert("BatchInput".into(), b.clone());
            }
            m.insert("Items".into(), Value::Array(items));
            let batch = Value::Object(m);
            (i, batch.clone(), json!({"Index": i, "Value": batch}))
        })
        .collect())
}
