//! The public `Engine` calls: create, start, describe, wait, list, history and stop executions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use tokio::sync::watch;

use super::run::Run;
use super::{
    Engine, EngineConfig, ExecRecord, ExecState, ExecutionDescription, ExecutionStatus, Inner,
    describe_record, lock,
};
use crate::clock::Clock;
use crate::definition::StateMachine;
use crate::entropy::{Entropy, uuid_from};
use crate::error::{EngineError, names};
use crate::history::HistoryEvent;
use crate::invoker::TaskInvoker;
use crate::item_reader::ItemSource;

impl Engine {
    /// Creates an engine with default ARN settings.
    pub fn new(invoker: Arc<dyn TaskInvoker>, clock: Arc<dyn Clock>) -> Self {
        Self::with_config(invoker, clock, EngineConfig::default())
    }

    /// Gives the engine the S3 reader a distributed Map's `ItemReader` reads through. Without
    /// one, a Map state with an `ItemReader` fails with `States.ItemReaderFailed`. Only the first
    /// call has an effect.
    pub fn set_item_source(&self, source: Arc<dyn ItemSource>) {
        let _ = self.inner.item_source.set(source);
    }

    /// Gives the engine the randomness its task tokens, retry jitter and default execution
    /// names come from (see [`crate::entropy`]); without one it uses the operating system's.
    /// Only the first call has an effect, and it belongs before the first execution starts.
    pub fn set_entropy(&self, source: Arc<dyn Entropy>) {
        let _ = self.inner.entropy.set(source);
    }

    /// Creates an engine with explicit ARN settings.
    pub fn with_config(
        invoker: Arc<dyn TaskInvoker>,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                invoker,
                clock,
                config,
                item_source: OnceLock::new(),
                entropy: OnceLock::new(),
                executions: Mutex::new(HashMap::new()),
                order: Mutex::new(Vec::new()),
                tokens: Mutex::new(HashMap::new()),
                ended_tokens: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The ARN this engine gives a state machine.
    pub fn state_machine_arn(&self, machine: &StateMachine) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{}",
            self.inner.config.region, self.inner.config.account, machine.name
        )
    }

    /// Starts an execution (must be called inside a tokio runtime) and returns its ARN.
    pub fn start_execution(
        &self,
        machine: Arc<StateMachine>,
        name: Option<String>,
        input: Value,
    ) -> Result<String, EngineError> {
        let name = name.unwrap_or_else(|| uuid_from(self.inner.entropy()));
        let sm_arn = self.state_machine_arn(&machine);
        let arn = format!(
            "arn:aws:states:{}:{}:execution:{}:{}",
            self.inner.config.region, self.inner.config.account, machine.name, name
        );
        let (done, _) = watch::channel(false);
        let (stop, _) = watch::channel(None);
        let record = Arc::new(ExecRecord {
            arn: arn.clone(),
            name,
            state_machine_arn: sm_arn,
            input: input.clone(),
            start: self.inner.clock.now(),
            state: Mutex::new(ExecState {
                status: ExecutionStatus::Running,
                output: None,
                error: None,
                cause: None,
                stop_date: None,
            }),
            history: Mutex::new(Vec::new()),
            done,
            stop,
        });
        {
            let mut execs = lock(&self.inner.executions);
            if execs.contains_key(&arn) {
                return Err(EngineError::ExecutionAlreadyExists(arn));
            }
            execs.insert(arn.clone(), record.clone());
            lock(&self.inner.order).push(arn.clone());
        }
        let run = Run {
            inner: self.inner.clone(),
            rec: record,
            machine,
        };
        let rec = run.rec.clone();
        let inner = self.inner.clone();
        let handle = tokio::spawn(async move { run.execute(input).await });
        tokio::spawn(async move {
            // An invoker that panics must not leave the execution RUNNING forever.
            if handle.await.is_err() && !*rec.done.borrow() {
                {
                    let mut st = lock(&rec.state);
                    st.status = ExecutionStatus::Failed;
                    st.error = Some(names::RUNTIME.into());
                    st.cause = Some("Internal error: the execution task panicked".into());
                    st.stop_date = Some(inner.clock.now());
                }
                rec.done.send_replace(true);
            }
        });
        Ok(arn)
    }

    fn record(&self, arn: &str) -> Result<Arc<ExecRecord>, EngineError> {
        lock(&self.inner.executions)
            .get(arn)
            .cloned()
            .ok_or_else(|| EngineError::ExecutionDoesNotExist(arn.to_string()))
    }

    /// Describes an execution.
    pub fn describe(&self, arn: &str) -> Result<ExecutionDescription, EngineError> {
        let rec = self.record(arn)?;
        Ok(describe_record(&rec))
    }

    /// Waits until the execution is no longer running and describes it.
    pub async fn wait(&self, arn: &str) -> Result<ExecutionDescription, EngineError> {
        let rec = self.record(arn)?;
        let mut rx = rec.done.subscribe();
        while !*rx.borrow_and_update() {
            if rx.changed().await.is_err() {
                break;
            }
        }
        Ok(describe_record(&rec))
    }

    /// Starts an execution and waits for it to finish.
    pub async fn run(
        &self,
        machine: Arc<StateMachine>,
        input: Value,
    ) -> Result<ExecutionDescription, EngineError> {
        let arn = self.start_execution(machine, None, input)?;
        self.wait(&arn).await
    }

    /// The execution history (`GetExecutionHistory` events, oldest first).
    pub fn history(&self, arn: &str) -> Result<Vec<HistoryEvent>, EngineError> {
        Ok(lock(&self.record(arn)?.history).clone())
    }

    /// All executions in start order.
    pub fn list_executions(&self) -> Vec<ExecutionDescription> {
        let order = lock(&self.inner.order).clone();
        let execs = lock(&self.inner.executions);
        order
            .iter()
            .filter_map(|a| execs.get(a))
            .map(|r| describe_record(r))
            .collect()
    }

    /// Stops a running execution (status `ABORTED`). Stopping a finished execution is a no-op.
    pub fn stop_execution(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<(), EngineError> {
        let rec = self.record(arn)?;
        rec.stop.send_replace(Some((error, cause)));
        Ok(())
    }
}
